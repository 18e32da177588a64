"""A generated WordPress/Astra-like gardening blog of ~40 pages, for end-to-end crawls of page and link rules.

:func:`build_blog` writes the files into a folder and returns the :class:`~linkcrawler.demo.server.Route` table
for what files cannot say (a 302, the 404 of a deleted post, a meta-refresh stub without a trailing slash).
Every page shares the theme: a skip link, ``<header id="masthead">`` with the logo and a 9-item main menu, Yoast
breadcrumbs, a right sidebar (recent posts, categories, an affiliate banner to ``/go/hose``) and a footer (a text
widget whose "Read more" goes to ``/about/``, a footer menu). Posts add entry meta with a "Print" link, Jetpack
share buttons and related posts inside ``.entry-content``, tags, an author box, post navigation and, on some,
comments with ``?replytocom=N#respond`` reply links and "Cancel reply".

Some posts are built to trip one page rule each (:data:`EXPECTED`); the template's links are described in
:data:`TEMPLATE_BLOCKS`. Every ``<a href>`` also carries the truth as in ``tests/themes``: ``data-position`` and
``data-editorial``. The main text of a page is its ``.entry-content`` without the share and related blocks.
Everything is fixed: the same arguments build the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from linkcrawler.demo.server import Route

SITE_NAME = "Greenfinger Notes"
AUTHOR = ("Maggie Holt", "/author/maggie/")
CATEGORIES = {"vegetables": "Vegetables", "fruit": "Fruit", "soil": "Soil", "tools": "Tools"}
TAGS = {"seeds": "seeds", "tomatoes": "tomatoes", "compost": "compost", "watering": "watering", "pests": "pests",
        "beginners": "beginners"}
MENU = (("Home", "/"), ("Vegetables", "/category/vegetables/"), ("Fruit", "/category/fruit/"),
        ("Soil", "/category/soil/"), ("Tools", "/category/tools/"), ("Seeds", "/tag/seeds/"),
        ("Tomatoes", "/tag/tomatoes/"), ("About", "/about/"), ("Contact", "/contact/"))
FOOTER_MENU = (("About", "/about/"), ("Contact", "/contact/"), ("Privacy", "/privacy/"))


@dataclass(frozen=True)
class Post:
    number: int
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]

    @property
    def date(self) -> tuple[int, int]:
        return 2022 + (self.number - 1) // 12, (self.number - 1) % 12 + 1

    @property
    def path(self) -> str:
        year, month = self.date
        return f"/{year}/{month:02d}/{self.slug}/"


POSTS = tuple(Post(n, slug, title, category, tags) for n, (slug, title, category, tags) in enumerate((
    ("first-allotment-year", "My first year on the allotment", "vegetables", ("beginners",)),
    ("clay-soil-fixes", "Living with heavy clay", "soil", ("compost",)),
    ("spring-planting-guide", "A spring planting guide", "vegetables", ("seeds", "beginners")),
    ("hand-tools-worth-buying", "Hand tools worth buying", "tools", ("beginners",)),
    ("raised-bed-soil-mix", "The raised bed soil mix I use", "soil", ("compost",)),
    ("strawberry-runners", "Potting up strawberry runners", "fruit", ("watering",)),
    ("slug-patrol", "Slug patrol without pellets", "vegetables", ("pests",)),
    ("seed-catalogues-roundup", "Twenty seed catalogues worth reading", "vegetables", ("seeds",)),
    ("leaf-mould", "Making leaf mould", "soil", ("compost",)),
    ("rain-barrels", "What two rain barrels taught me", "tools", ("watering",)),
    ("pruning-apples", "Winter pruning an old apple tree", "fruit", ("pests",)),
    ("companion-planting", "Companion planting that actually worked", "vegetables", ("pests",)),
    ("back-soon", "Back soon", "vegetables", ("seeds",)),
    ("garden-glossary", "A gardener's glossary", "soil", ("beginners",)),
    ("feeding-tomatoes", "Feeding tomatoes through the summer", "vegetables", ("tomatoes",)),
    ("feeding-tomatoes-print", "Feeding tomatoes through the summer (print copy)", "vegetables", ("tomatoes",)),
    ("blackcurrant-cuttings", "Blackcurrants from hardwood cuttings", "fruit", ("compost",)),
    ("hose-and-seeds", "The hose and the seed club I pay for", "tools", ("watering", "seeds")),
    ("compost-bays", "Building three compost bays", "soil", ("compost",)),
    ("chitting-potatoes", "Chitting potatoes on the windowsill", "vegetables", ("seeds",)),
    ("saving-tomato-seeds", "Saving tomato seeds without the mess", "vegetables", ("tomatoes", "seeds")),
    ("drip-irrigation", "Drip irrigation on a budget", "tools", ("watering",)),
    ("gooseberry-sawfly", "Gooseberry sawfly, again", "fruit", ("pests",)),
    ("autumn-green-manure", "Sowing green manure in autumn", "soil", ("compost", "seeds")),
), start=1))
BY_NUMBER = {post.number: post for post in POSTS}

NORMAL = 12  # a plain post: no page flag
ROUNDUP = 8  # link-heavy: too much of the text is links
NO_INTERNAL = 10  # 300+ words, one external in-text link only
THIN = 13  # seven words
GLOSSARY = 14  # more than 100 links in all
ORIGINAL, DUPLICATE = 15, 16  # 16's canonical is 15
AFFILIATE = 18  # /go/hose and /go/seeds in its text, with rel="sponsored" and without
DELETABLE = 21  # in "recent posts" on every page and linked from the text of LINKS_TO_DELETABLE
LINKS_TO_DELETABLE = (1, 2, 3, 4, 6, 7, 8, 9, 11, 17, 19)  # 8, the roundup, links it in its list
MOVED_FROM, MOVED_TO = "/2021/04/raised-bed-soil/", BY_NUMBER[5].path  # a meta-refresh stub
LINKS_TO_MOVED = (2, 9, 19)
WITH_COMMENTS = (12, 15, 20)
RECENT = (24, 23, 22, 21, 20)  # the sidebar's "recent posts", newest first
EXTRA_LINK = (BY_NUMBER[NORMAL].path, BY_NUMBER[3].path)  # (page, href) added by extra_link=True
GO_HOSE, GO_SEEDS = "/go/hose", "/go/seeds"
# paths on outside_url the site links to (a test's outside server can answer them)
OUTSIDE_PATHS = ("hose", "seeds", "seed-bank/storage", "rhs/advice", "tap-water-report", "commenters/plotholders/",
                 "commenters/robgrows/", *(f"catalogues/{n}" for n in range(1, 7)))

EXPECTED: dict[str, frozenset[str]] = {
    BY_NUMBER[NORMAL].path: frozenset(),
    BY_NUMBER[ROUNDUP].path: frozenset({"too much of the text is links"}),
    BY_NUMBER[NO_INTERNAL].path: frozenset({"no link to the site in the article text"}),
    BY_NUMBER[THIN].path: frozenset({"thin page"}),
    BY_NUMBER[GLOSSARY].path: frozenset({"too many links"}),
}
"""Page flags (rule names of the lead's page rules) on the pages built to trip them, and none on the control
post. Other pages are not asserted: listing pages (home, archives) have no article text."""


@dataclass(frozen=True)
class Block:
    """Links the theme prints: where (``selector``), on which pages, with which truth."""

    position: str
    selector: str
    pages: str  # "all", "all but home", "posts", "posts with comments"
    links: tuple[tuple[str, str], ...] | None  # (anchor, href) when the same on every page; None when it varies


TEMPLATE_BLOCKS: dict[str, Block] = {
    "skip": Block("navigation", "a.skip-link", "all", (("Skip to content", "#content"),)),
    "logo": Block("header", "#masthead .site-branding", "all", ((SITE_NAME, "/"),)),
    "menu": Block("navigation", "#primary-site-navigation", "all", MENU),
    "breadcrumb": Block("breadcrumb", "#ast-breadcrumbs-yoast", "all but home", None),
    "sidebar": Block("sidebar", "#secondary", "all", tuple(
        [(BY_NUMBER[n].title, BY_NUMBER[n].path) for n in RECENT]
        + [(name, f"/category/{slug}/") for slug, name in CATEGORIES.items()]
        + [("Our watering kit: the hose we use", GO_HOSE)])),
    "footer": Block("footer", "#colophon", "all", (("Read more", "/about/"), *FOOTER_MENU, (SITE_NAME, "/"))),
    "entry_meta": Block("content", ".entry-header .entry-meta", "posts", None),
    "share": Block("content", ".sharedaddy", "posts", (("Facebook", "?share=facebook"), ("X", "?share=x"),
                                                       ("Pinterest", "?share=pinterest"))),
    "related": Block("content", "#jp-relatedposts", "posts", None),
    "tags": Block("content", ".entry-footer", "posts", None),
    "author_box": Block("content", ".ast-single-author-box", "posts", (("Maggie Holt", AUTHOR[1]),)),
    "post_navigation": Block("navigation", ".post-navigation", "posts", None),
    "comments": Block("comments", "#comments", "posts with comments", None),
}
"""The theme's links. ``share`` hrefs are appended to the post's path; none of these links is editorial."""

_SENTENCES = (
    "The first job every spring is to clear what the winter left behind and see what survived.",
    "Clay soil is slow to warm, so I wait an extra fortnight before sowing anything tender.",
    "A thick mulch of compost in autumn does more for the beds than any amount of digging.",
    "Watering in the evening means less is lost to the sun, though slugs enjoy it as much as the plants do.",
    "I keep a notebook in the shed and write down every sowing date, which is the only reason I learn anything.",
    "Most failures on my plot come from sowing too early rather than too late.",
    "The neighbours on the next plot grow twice as many beans in half the space, and I have stopped asking why.",
    "Netting is tedious to put up, but pigeons will strip a row of brassicas in a single morning.",
    "Every year I promise to thin the carrots properly, and every year I leave them too crowded.",
    "A cold frame made from an old window has paid for itself many times over.",
    "Rain barrels fill faster than you would expect from a small shed roof.",
    "Good tools matter less than sharp ones, so a file lives in my coat pocket.",
    "When a crop fails completely, the best answer is usually to sow something else in its place straight away.",
    "The soil test kit told me what I already suspected: the beds were short of nothing but organic matter.",
    "Seedlings raised on the windowsill lean towards the light, so I turn the trays every morning.",
    "There is no shame in buying plants from the garden centre when a sowing goes wrong.",
    "Weeding little and often is easier than one desperate afternoon in July.",
    "The wildlife pond at the end of the plot brought frogs, and the frogs brought fewer slugs.",
    "Crop rotation sounds complicated, but on four beds it is simply a matter of moving everything along one.",
    "Nothing tastes better than the first new potatoes, boiled within an hour of digging.",
)

_TERM_WORDS = """annual biennial perennial bolting brassica chitting cloche cordon cultivar damping-off deadheading dibber
drill espalier friable germination grafting hardening-off humus leggy loam manure mulch offset overwintering pinching
potash pricking-out propagator rhizome rootstock runner scion seedling sideshoot silt stolon subsoil successional
taproot tilth topsoil transplanting tuber umbel variegated vermiculite perlite watering-in windbreak worm-casts
aphid blight canker clubroot leafminer mildew nematode rust sawfly scab whitefly wilt greenfly catch-crop
intercropping earthing-up lime nitrogen phosphate sharp-sand trench"""
_TERMS = tuple(_TERM_WORDS.split())  # 72 one-word terms


def _sentences(count_sentences: int, seed: int) -> list[str]:
    """Sentences of the pool, chosen by fixed arithmetic from ``seed``."""
    return [_SENTENCES[(seed * 7 + k * 3) % len(_SENTENCES)] for k in range(count_sentences)]


def _a(href: str, text: str, position: str, editorial: bool, extra: str = "") -> str:
    flag = "true" if editorial else "false"
    return f'<a href="{escape(href)}"{extra} data-position="{position}" data-editorial="{flag}">{escape(text)}</a>'


def _body(text: str) -> str:
    """Escaped text whose ``[anchor](href)`` or ``[anchor](href rel)`` become editorial content links."""
    out, rest = [], text
    while "[" in rest:
        before, _, rest = rest.partition("[")
        anchor, _, rest = rest.partition("](")
        href, _, rest = rest.partition(")")
        extra = ""
        if " " in href:
            href, rel = href.split(" ", 1)
            extra = f' rel="{rel}"'
        out.append(escape(before) + _a(href, anchor, "content", True, extra))
    return "".join(out) + escape(rest)


def _paragraphs(texts: Iterable[str]) -> str:
    return "\n".join(f"<p>{_body(text)}</p>" for text in texts)


def _generic_text(post: Post, outside: str, extra_link: bool) -> str:
    """~320 words in six paragraphs, three or four in-text internal links and one external one."""
    n = post.number
    others = [BY_NUMBER[(n + k * 5 - 1) % len(POSTS) + 1] for k in (1, 2, 3)]
    others = [other for other in others if other.number not in (n, DELETABLE, THIN)][:3]
    links = [f"I wrote more about this in [{other.title.lower()}]({other.path})." for other in others]
    if n in LINKS_TO_DELETABLE:
        links.append(f"The same goes for [{BY_NUMBER[DELETABLE].title.lower()}]({BY_NUMBER[DELETABLE].path}).")
    if n in LINKS_TO_MOVED:
        links.append(f"My [raised bed soil recipe]({MOVED_FROM}) explains the mix.")
    if extra_link and post.path == EXTRA_LINK[0]:
        links.append(f"Sowing times are in [the spring planting guide]({EXTRA_LINK[1]}).")
    external = f"The [advice from the horticultural society]({outside}rhs/advice) agrees with most of this."
    paragraphs = []
    for p in range(6):
        sentences = _sentences(3, n * 6 + p)
        if p < len(links):
            sentences.append(links[p])
        if p == 5:
            sentences.append(external)
        paragraphs.append(" ".join(sentences))
    if n == AFFILIATE:
        paragraphs.insert(2, f"I water everything with [this expanding hose]({GO_HOSE}), bought after the old one "
                             f"split, and my seeds come from [the seed club]({GO_SEEDS} sponsored) every February.")
        paragraphs.append(f"If you join [the seed club]({GO_SEEDS}) yourself, order before the first of March.")
    return _paragraphs(paragraphs)


def _special_text(post: Post, outside: str, extra_link: bool) -> str:
    n = post.number
    if n == ROUNDUP:
        names = ("Hilltop Seeds", "The Heritage Bank", "Old Mill Growers", "Northern Organics", "Seed Savers Co-op",
                 "Sunny Patch")
        lines = ["Every winter the catalogues arrive and I read them all. These are the ones worth your time."]
        for k, name in enumerate(names, start=1):
            lines.append(f"[{name} catalogue]({outside}catalogues/{k}): clear pictures, honest descriptions.")
        lines.append(f"For sowing dates see [the spring planting guide]({BY_NUMBER[3].path}), "
                     f"[chitting potatoes on the windowsill]({BY_NUMBER[20].path}) and "
                     f"[saving tomato seeds]({BY_NUMBER[DELETABLE].path}).")
        lines.append(f"For storage, read [the seed bank storage notes]({outside}seed-bank/storage) and "
                     f"[my note on green manure seed]({BY_NUMBER[24].path}).")
        lines.append(f"And if you only buy one, the [seed club box]({GO_SEEDS} sponsored) is good value.")
        lines.append(" ".join(_sentences(4, n)))
        return _paragraphs(lines)
    if n == NO_INTERNAL:
        paragraphs = [" ".join(_sentences(4, n * 6 + p)) for p in range(6)]
        paragraphs[3] += f" The [tap water report]({outside}tap-water-report) was reassuring."
        return _paragraphs(paragraphs)
    if n == THIN:
        return _paragraphs([f"Back soon: see the [spring planting guide]({BY_NUMBER[3].path})."])
    if n == GLOSSARY:
        targets = [*(p.path for p in POSTS if p.number not in (THIN, DELETABLE, n)),
                   *(f"/category/{slug}/" for slug in CATEGORIES), *(f"/tag/{slug}/" for slug in TAGS)]
        entries = []
        for k, term in enumerate(_TERMS):
            entries.append(f"<li>{_a(targets[k % len(targets)], term, 'content', True)}: "
                           f"{escape(_SENTENCES[k % len(_SENTENCES)])}</li>")
        intro = _paragraphs(["Words that come up on this blog, each with the post that explains it best."])
        return intro + "\n<ul>\n" + "\n".join(entries) + "\n</ul>"
    if n in (ORIGINAL, DUPLICATE):
        return _generic_text(BY_NUMBER[ORIGINAL], outside, extra_link)
    return _generic_text(post, outside, extra_link)


def _related(post: Post) -> list[Post]:
    same = [p for p in POSTS if p.category == post.category and p.number not in (post.number, THIN)]
    return (same + [p for p in POSTS if p not in same and p.number not in (post.number, THIN)])[:3]


def _share(post: Post) -> str:
    items = "".join(
        f'<li class="share-{name.lower()}">{_a(post.path + suffix, name, "content", False, _share_attrs(name, post))}</li>'
        for name, suffix in TEMPLATE_BLOCKS["share"].links)
    return ('<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social '
            'sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3><div class="sd-content"><ul>'
            f'{items}<li class="share-end"></li></ul></div></div></div>')


def _share_attrs(name: str, post: Post) -> str:
    return (f' rel="nofollow noopener noreferrer" class="share-{name.lower()} sd-button share-icon" target="_blank" '
            f'data-shared="sharing-{name.lower()}-{post.number}"')


def _related_block(post: Post) -> str:
    cards = []
    for k, other in enumerate(_related(post)):
        href = f"{other.path}?relatedposts_hit=1&relatedposts_origin={post.number}&relatedposts_position={k}"
        link = _a(href, other.title, "content", False, ' class="jp-relatedposts-post-a"')
        cards.append(f'<div class="jp-relatedposts-post jp-relatedposts-post{k}" data-post-id="{other.number}">'
                     f'<h4 class="jp-relatedposts-post-title">{link}</h4></div>')
    return ('<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em>'
            f'</h3><div class="jp-relatedposts-items jp-relatedposts-items-visual">{"".join(cards)}</div></div>')


def _comments(post: Post, outside: str) -> str:
    items = []
    for k, (name, site, text) in enumerate((("Dev", "plotholders", "Thanks, this is exactly what I needed."),
                                            ("Ines", "", "Do you do the same in a wet summer?"),
                                            ("Rob", "robgrows", "Tried it last year, worked well."))):
        cid = post.number * 10 + k
        author = (_a(f"{outside}commenters/{site}/", name, "comments", False, ' class="url" rel="ugc external nofollow"')
                  if site else escape(name))
        date = _a(f"{post.path}#comment-{cid}", "June 2, 2024", "comments", False)
        reply = _a(f"{post.path}?replytocom={cid}#respond", "Reply", "comments", False, _reply_attrs(cid, name))
        items.append(
            f'<li id="comment-{cid}" class="comment depth-1"><article id="div-comment-{cid}" class="comment-body">'
            f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{author}</b></div>'
            f'<div class="comment-metadata">{date}</div></footer>'
            f'<div class="comment-content"><p>{escape(text)}</p></div>'
            f'<div class="reply">{reply}</div></article></li>')
    cancel = _a(f"{post.path}#respond", "Cancel reply", "comments", False,
                ' rel="nofollow" id="cancel-comment-reply-link" style="display:none;"')
    return (f'<div id="comments" class="comments-area"><h3 class="comments-title">3 thoughts on '
            f'&ldquo;{escape(post.title)}&rdquo;</h3><ol class="comment-list">{"".join(items)}</ol>'
            f'<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a '
            f'Comment <small>{cancel}</small></h3><form action="/wp-comments-post.php" method="post" '
            f'id="commentform" class="comment-form"><textarea id="comment" name="comment"></textarea>'
            f'<input name="submit" type="submit" value="Post Comment"></form></div></div>')


def _reply_attrs(cid: int, name: str) -> str:
    return (f' rel="nofollow" class="comment-reply-link" data-commentid="{cid}" data-respondelement="respond" '
            f'aria-label="Reply to {escape(name)}"')


def _crumbs(trail: list[tuple[str, str]], current: str) -> str:
    parts = [f"<span>{_a(href, text, 'breadcrumb', False)}</span>" for text, href in trail]
    last = f'<span class="breadcrumb_last" aria-current="page">{escape(current)}</span>'
    return ('<div class="ast-breadcrumbs-wrapper"><div class="main-header-bar-wrap"><div class="main-header-bar">'
            '<div class="ast-container"><div class="ast-flex main-header-container"><div id="ast-breadcrumbs-yoast">'
            f'<span>{" » ".join([*parts, last])}</span></div></div></div></div></div></div>')


MENU_LINK = ' class="menu-link"'


def _page(title: str, main: str, *, crumbs: str = "", head: str = "", body_class: str = "page") -> str:
    menu = "".join(f'<li class="menu-item">{_a(href, text, "navigation", False, MENU_LINK)}</li>' for text, href in MENU)
    recent = "".join(f"<li>{_a(BY_NUMBER[n].path, BY_NUMBER[n].title, 'sidebar', False)}</li>" for n in RECENT)
    categories = "".join(f'<li class="cat-item">{_a(f"/category/{slug}/", name, "sidebar", False)}</li>'
                         for slug, name in CATEGORIES.items())
    footer_menu = "".join(f'<li class="menu-item">{_a(href, text, "footer", False)}</li>' for text, href in FOOTER_MENU)
    ad = _a(GO_HOSE, "", "sidebar", False, ' rel="sponsored noopener" target="_blank"').replace(
        "></a>", '><img src="/wp-content/uploads/hose-banner-300x250.jpg" width="300" height="250" '
                 'alt="Our watering kit: the hose we use"></a>')
    skip = _a("#content", "Skip to content", "navigation", False, ' class="skip-link screen-reader-text"')
    logo = _a("/", SITE_NAME, "header", False, ' rel="home"')
    read_more = _a("/about/", "Read more", "footer", False)
    copyright_home = _a("/", SITE_NAME, "footer", False)
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} &#8211; {SITE_NAME}</title>
{head}<link rel="stylesheet" id="astra-theme-css-css" href="/wp-content/themes/astra/assets/css/minified/main.min.css?ver=4.6.4" media="all">
</head>
<body class="{body_class} ast-separate-container ast-right-sidebar astra-4.6.4">
{skip}
<div class="hfeed site" id="page">
<header class="site-header ast-primary-menu-enabled" id="masthead" itemtype="https://schema.org/WPHeader" itemscope>
<div class="ast-main-header-wrap main-header-bar-wrap"><div class="ast-primary-header-bar main-header-bar"><div class="ast-container">
<div class="site-branding ast-site-identity"><span class="site-title">{logo}</span></div>
<nav class="site-navigation main-navigation" id="primary-site-navigation" aria-label="Site Navigation"><ul id="ast-hf-menu-1" class="main-header-menu ast-nav-menu">{menu}</ul></nav>
</div></div></div>
</header>
{crumbs}
<div id="content" class="site-content"><div class="ast-container">
<div id="primary" class="content-area primary"><main id="main" class="site-main">
{main}
</main></div>
<div class="widget-area secondary" id="secondary"><div class="sidebar-main">
<aside id="recent-posts-2" class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><nav aria-label="Recent Posts"><ul>{recent}</ul></nav></aside>
<aside id="categories-2" class="widget widget_categories"><h2 class="widget-title">Categories</h2><nav aria-label="Categories"><ul>{categories}</ul></nav></aside>
<aside id="custom_html-3" class="widget_text widget widget_custom_html"><h2 class="widget-title">Sponsored</h2><div class="textwidget custom-html-widget">{ad}</div></aside>
</div></div>
</div></div>
<footer class="site-footer" id="colophon" itemtype="https://schema.org/WPFooter" itemscope>
<div class="site-primary-footer-wrap"><aside class="footer-widget-area widget-area" aria-label="Footer Widget 1"><section id="text-3" class="widget widget_text"><h2 class="widget-title">About this garden</h2><div class="textwidget"><p>One allotment, one small back garden, ten years of notes. {read_more}</p></div></section></aside>
<nav class="site-navigation footer-navigation" id="footer-site-navigation" aria-label="Footer Menu"><ul id="astra-footer-menu" class="ast-nav-menu">{footer_menu}</ul></nav></div>
<div class="ast-footer-copyright"><p>Copyright &copy; 2024 {copyright_home}</p></div>
</footer>
</div>
</body>
</html>
"""


def _post_html(post: Post, outside: str, extra_link: bool) -> str:
    year, month = post.date
    category = CATEGORIES[post.category]
    canonical = BY_NUMBER[ORIGINAL].path if post.number == DUPLICATE else post.path
    position = POSTS.index(post)
    previous = POSTS[position - 1] if position > 0 else None
    following = POSTS[position + 1] if position + 1 < len(POSTS) else None
    nav = []
    if previous:
        link = _a(previous.path, "Previous Post", "navigation", False, ' rel="prev"')
        nav.append(f'<div class="nav-previous">{link}</div>')
    if following:
        link = _a(following.path, "Next Post", "navigation", False, ' rel="next"')
        nav.append(f'<div class="nav-next">{link}</div>')
    tags = ", ".join(_a(f"/tag/{tag}/", TAGS[tag], "content", False, ' rel="tag"') for tag in post.tags)
    tag_line = f'<span class="tags-links">Tagged {tags}</span>' if tags else ""
    byline = _a(AUTHOR[1], AUTHOR[0], "content", False, ' rel="author" class="url fn n"')
    term = _a(f"/category/{post.category}/", category, "content", False)
    print_link = _a(f"{post.path}?print=1", "Print", "content", False, ' rel="nofollow"')
    author_box = _a(AUTHOR[1], AUTHOR[0], "content", False, ' class="url fn n" rel="author"')
    comments = _comments(post, outside) if post.number in WITH_COMMENTS else ""
    main = f"""<article class="post-{post.number} post type-post status-publish hentry category-{post.category} ast-article-single" id="post-{post.number}">
<header class="entry-header"><h1 class="entry-title">{escape(post.title)}</h1>
<div class="entry-meta">By <span class="posted-by vcard author">{byline}</span> / <span class="ast-terms-link">{term}</span> / <span class="posted-on">{year}-{month:02d}-14</span> / <span class="print-link">{print_link}</span></div>
</header>
<div class="entry-content clear">
{_special_text(post, outside, extra_link)}
{_share(post)}
{_related_block(post)}
</div>
<footer class="entry-footer">{tag_line}</footer>
<div class="ast-single-author-box"><div class="ast-author-meta"><div class="post-author-bio">{author_box}<div class="post-author-desc">Maggie grows vegetables on a clay allotment.</div></div></div></div>
</article>
<nav class="navigation post-navigation" aria-label="Posts"><div class="nav-links">{"".join(nav)}</div></nav>
{comments}"""
    crumbs = _crumbs([("Home", "/"), (category, f"/category/{post.category}/")], post.title)
    return _page(post.title, main, crumbs=crumbs, head=f'<link rel="canonical" href="{canonical}">\n',
                 body_class=f"post-template-default single single-post postid-{post.number}")


def _listing(title: str, posts: Iterable[Post], crumbs: str = "") -> str:
    cards = []
    for post in posts:
        heading = _a(post.path, post.title, "content", False, ' rel="bookmark"')
        more = _a(post.path, "Read Post »", "content", False)
        cards.append(f'<article class="post-{post.number} post ast-grid-common-col"><h2 class="entry-title">'
                     f'{heading}</h2><p class="read-more">{more}</p></article>')
    main = f'<header class="page-header"><h1 class="page-title">{escape(title)}</h1></header>\n' + "\n".join(cards)
    return _page(title, main, crumbs=crumbs, body_class="archive")


def _static(title: str, text: list[str]) -> str:
    main = (f'<article class="page type-page"><header class="entry-header"><h1 class="entry-title">{escape(title)}'
            f'</h1></header><div class="entry-content clear">{_paragraphs(text)}</div></article>')
    return _page(title, main, crumbs=_crumbs([("Home", "/")], title))


def stub(target: str, title: str = "Redirecting") -> str:
    """A meta-refresh stub as redirect plugins write it: noindex,nofollow, one "Redirecting to" link."""
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>\n'
            f'<meta http-equiv="refresh" content="0;url={escape(target)}">\n'
            '<meta name="robots" content="noindex,nofollow">\n</head>\n'
            f'<body><p>Redirecting to {_a(target, target, "content", False)}</p></body></html>\n')


def _not_found() -> str:
    main = ('<section class="error-404 not-found"><h1 class="page-title">This page doesn\'t seem to exist.</h1>'
            '<p>It looks like the link pointing here was faulty.</p></section>')
    return _page("Page not found", main, body_class="error404")


def build_blog(folder: Path, outside_url: str, *, deleted: Iterable[int] = (),
               extra_link: bool = False) -> dict[str, Route]:
    """Write the blog into ``folder``; return the routes for what files cannot say.

    ``outside_url`` (ending in ``/``) stands for the rest of the web; ``/go/hose`` redirects to
    ``outside_url + "hose"`` and ``/go/seeds`` refreshes to ``outside_url + "seeds"``. A post whose number is in
    ``deleted`` is not written and answers 404, while the links to it stay. ``extra_link`` adds
    :data:`EXTRA_LINK` to one post's text.
    """
    gone = set(deleted)
    files: dict[str, str] = {}
    for post in POSTS:
        if post.number not in gone:
            files[post.path] = _post_html(post, outside_url, extra_link)
    files["/"] = _listing(SITE_NAME, sorted(POSTS, key=lambda p: -p.number)[:10])
    for slug, name in CATEGORIES.items():
        files[f"/category/{slug}/"] = _listing(name, [p for p in POSTS if p.category == slug],
                                               _crumbs([("Home", "/")], name))
    for slug, name in TAGS.items():
        files[f"/tag/{slug}/"] = _listing(f"Tag: {name}", [p for p in POSTS if slug in p.tags],
                                          _crumbs([("Home", "/")], name))
    files[AUTHOR[1]] = _listing(AUTHOR[0], POSTS[::-1][:10], _crumbs([("Home", "/")], AUTHOR[0]))
    files["/about/"] = _static("About", [
        "I have kept an allotment for ten years and a small back garden for longer. This blog is where the notes go: "
        "what worked, what did not, and what I would do differently. Most posts are about vegetables, because that "
        "is where most of my mistakes happen.",
        f"If you are new here, start with [my first year on the allotment]({BY_NUMBER[1].path}) and the "
        f"[spring planting guide]({BY_NUMBER[3].path}). Questions are welcome on the contact page."])
    files["/contact/"] = _static("Contact", [
        "The quickest way to reach me is a comment on the post you are asking about, because other readers often "
        "know the answer before I do. For anything else, write to the allotment association office and they will "
        f"pass it on. Before asking about pests, please read [slug patrol]({BY_NUMBER[7].path}) first."])
    files["/privacy/"] = _static("Privacy", [
        "This blog keeps no analytics and sets no tracking cookies. Comments store the name and website you give, "
        "which are shown next to the comment. The sidebar banner goes through a redirect so that the shop can see "
        "the visit came from here; it sets no cookie on this site. "
        "The [about page](/about/) says who runs the blog."])
    files[MOVED_FROM] = stub(MOVED_TO)
    for path, html in files.items():
        target = folder / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    routes = {
        GO_HOSE: Route(302, headers={"Location": f"{outside_url}hose"}),
        GO_SEEDS: Route(200, stub(f"{outside_url}seeds").encode()),
    }
    for number in sorted(gone):
        routes[BY_NUMBER[number].path] = Route(404, _not_found().encode())
    return routes
