"""The page's own main text, and which links are part of it (``editorial``).

Read from a :class:`~linkcrawler.extract.Doc` (the page as flat arrays), in three steps, the way main-content
extractors such as Readability do, with the page's landmarks and the class words of common themes:

1. **Score paragraphs**: each block of running text (at least 25 characters, not inside a navigation, sidebar,
   footer, comments or other non-content region, nor inside an element whose class/id words name boilerplate)
   scores ``1 + commas + min(characters / 100, 3)``, credited in full to its container, half to the next
   ancestor and a third of its level further up (five levels).
2. **Pick the main text**: each container's score, plus its tag's and class words' weight, times one minus its
   link density (words inside links / words); the best one (moved up to an ancestor that several near-best
   containers share, or that scores better) is the main text, with its siblings that score at least a fifth
   of it.
3. **Drop the boilerplate inside it**: elements whose class/id words name boilerplate (share, related, tags,
   author box, newsletter…), non-content regions (a table of contents, comments), forms, teaser ``article``
   cards, and link-heavy blocks that are no running text (Readability's conditional cleaning, stricter for
   lists whose items are links only).

A link is editorial when it lies in the main text outside the dropped elements. ``words`` counts the main
text's words, ``link_words`` those inside links.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from itertools import accumulate
from typing import TYPE_CHECKING

from linkcrawler.position import BUILDER_PREFIXES, token_words

if TYPE_CHECKING:
    from linkcrawler.extract import Doc

# block-level elements: text inside one of them is one paragraph of it
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "html", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TAG_WEIGHT = {"div": 5, "pre": 3, "td": 3, "blockquote": 3, "address": -3, "ol": -3, "ul": -3, "dl": -3,
               "dd": -3, "dt": -3, "li": -3, "form": -3, "th": -5, **dict.fromkeys(_HEADINGS, -5)}
_CLEANED = frozenset({"div", "section", "ul", "ol", "dl", "table", "aside", "header", "footer", "nav"})
_FORMS = frozenset({"form", "fieldset", "button", "select", "input", "textarea", "label"})
_WORD_CHAR = re.compile(r"\w")
# anchors of the page's tools and site furniture, in the languages most sites are written in: a link standing alone
# with one of these is a control, not words of the text ("Print", "Email a friend", "Read more »", "« Previous")
UTILITY = re.compile(
    r"^\W*+(?:print(?:er[- ]friendly)?(?: version| this)?|printable|e-?mail(?: (?:a|to a) friend| this)?|share"
    r"(?: this| on \w+)?|tweet|digg(?: this| it)?|reddit!?|del\.icio\.us|delicious|stumbleupon|facebook|twitter"
    r"|linkedin|pinterest|whatsapp|bookmark|save|permalink|permanent link|link|respond|reply|comments?|\d+ comments?"
    r"|leave a (?:comment|reply)|add (?:a )?comment|post a comment|trackback|rss|feed|subscribe|top|back(?: to top)?"
    r"|(?:back|return) to \w+(?: \w+)?|home|main|next|prev(?:ious)?|older|newer|more(?: \w+)?|read more|continue"
    r"(?: reading)?|full (?:story|article)|view (?:larger|full)(?: image)?|enlarge|zoom|login|log in|sign in"
    r"|register|sign up|help|feedback|contact(?: us)?|about(?: us)?|privacy(?: policy)?|terms(?: of \w+)?|imprint"
    r"|learn more|join (?:now|today)|view now|sitemap"
    r"|advertise|drucken|druckversion|weiterlesen|mehr|zurück|nach oben|teilen|kommentare?|impressum"
    r"|datenschutz|kontakt|imprimer|lire la suite|retour|partager|commentaires?|suite|imprimir|leer más|volver"
    r"|compartir|comentarios?|stampa|condividi|leggi tutto|indietro)\W*$", re.IGNORECASE)
# anchors of post furniture, never words of the text wherever they stand: a teaser's link to the rest of its story,
# a photo's or video's player link, the page's print, e-mail, share, comment and subscription tools, and the ways
# back ("Back to the list of questions", "Return to home page", "Jump up")
FURNITURE = re.compile(
    r"^\W*+(?:read (?:more|on|the (?:full|whole|rest of the) (?:story|article|post))"
    r"|continue reading(?: the main story)?|more\s*(?:\.\.\.|…)|full story|view full (?:story|article)|weiterlesen"
    r"|mehr lesen|lire la suite|leer más"
    r"|seguir leyendo|leggi tutto|continua a leggere|watch(?: the)? video|view full ?size(?: photos?| images?)?"
    r"|view (?:larger|full) (?:image|photo)s?|enlarge(?: (?:image|photo))?|subscribe(?: now| today| here)?"
    r"|sign up(?: now| here| today)?|tweet(?: this)?"
    r"|e-?mail alerts?|newsletter|order reprints|today['’]?s paper"
    r"|click (?:here )?to (?:view|watch|play)(?: the)? video|download (?:mp3|mp4|pdf)"
    r"|print(?: this)?(?: article| page| story)?"
    r"|e-?mail this(?: article| page| story)?|share(?: this)?(?: article| story| page)?|digg(?: this| it)?|reddit!?"
    r"|del\.icio\.us|stumbleupon|comments? \(\d+\)|\d+ comments?|leave a comment|reply|permalink"
    r"|(?:go )?(?:back|return) to\b.{0,60}?\b(?:top|home|homepage|main|index|list|page|pages|profiles|menu|overview"
    r"|contents|results|search|questions|archives?|section|site|articles|blog|news|gallery|normal)"
    r"|jump (?:up|to (?:the )?(?:top|comments?|content|navigation|search|footnotes?|main content|page))"
    r"|(?:back to )?top(?: of (?:the )?page)?|zurück(?: zu.*)?|retour(?: à.*)?|volver(?: a.*)?|torna(?: a.*)?)\W*$",
    re.IGNORECASE)
# what stands before a byline's name: "By" opening the block, "Posted by", "Words and photos by", a date
# ("November 10, 2012 by", "12:05 PM by"), or the date after "Posted by: Jeff at"
_BY = re.compile(r"(?:^|\b(?:posted|written|words|photos?|pictures?|story|reported|edited|published|compiled|text"
                 r"|video|interview)\b[^.]{0,30}?|\d{4},?\s*|\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?\s*)"
                 r"(?:by|von|par|por|door|af|av)\s*:?\s*$|\bposted\b.{0,60}\b(?:at|on)\s*$", re.IGNORECASE)
BYLINE_WORDS = 15  # a byline is a short block
BYLINE_CHARS = 100  # how much of the block before the name is read
# a line asking readers to follow the site or the author on a social network ("Follow Marcas on Twitter @MarcasG"),
# giving its contact details ("Tel: 01795 411527 or visit www…", "Write to Caroline Porter at …"), asking in a
# sentence of its own for their tips, stories or letters ("Got a news tip? …", "We pay for your stories!", "Submit
# a letter"), to get in touch ("Email us"), to sign up or subscribe ("Sign up for our daily newsletter", "Subscribe
# now to our eNATION edition") or to download its apps ("… apps for iOS and Android"), or its copyright
_FOLLOW = re.compile(
    r"\bfollow(?:ing)?\b.{0,40}?(?:\bon (?:twitter|x|facebook|instagram|linkedin|pinterest|youtube|tiktok|threads"
    r"|mastodon|bluesky|telegram|snapchat)\b|@\w)|\bs[ií]guenos\b|\bfolgen? (?:sie )?uns\b|\bsuivez[- ]nous\b"
    r"|\bseguici\b|\b(?:tel|fax|phone|telephone)\b\s*[:.]?\s*[+(]?\d|\be-?mail\s*:"
    r"|\b(?:e-?mail|write to|contact) (?:us |me |him |her |the \w+ )?at\b"
    # (asked at the start of a sentence: "Police got a tip from…", "Volunteers can sign up for the beach clean" and
    # "a letter to the editor of the Globe" are the text's)
    r"|(?:^|[.!?:,]\s*|\bplease )(?:(?:got|have) a (?:news )?tip\b[^.!?]{0,60}\?|we pay for (?:your )?stories"
    r"|send (?:us )?your (?:videos?|stories|pictures|photos|tips)|(?:do you )?have a story for|submit a letter"
    r"|e-?mail us|get in touch with (?:us|our)|sign up (?:here )?for (?:our|the)|subscribe (?:now |today )?to"
    r" (?:our|the))(?!\w)|\bdownload (?:the|our) .{0,30}?\bapps? (?:for|on) (?:ios|android|iphone)\b"
    r"|©|\(c\)\s*\d{4}|\bcopyright\s*(?:©|\(c\)|\d{4})|\ball rights reserved\b", re.IGNORECASE)
FOLLOW_WORDS = 30  # such a line is a short block
_COMMAS = re.compile("[,\u060c\ufe50\ufe10\ufe11\u2e41\u2e34\u2e32\uff0c]")

# Readability's class/id weights (substring tests, as it does), for choosing the container
_POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story")
_NEGATIVE = re.compile(r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|"
                       r"masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|"
                       r"sponsor|shopping|tags|widget")

# words that name a boilerplate block inside an article when a class/id token is made of them
BOILERPLATE_WORDS = frozenset({
    "share", "shares", "sharing", "sharer", "sharebar", "sharedaddy", "addtoany", "social", "sociable",
    "shariff", "related", "relatedposts", "yarpp", "crp", "recommended", "recommendations", "recirc",
    "recirculation", "tags", "tagcloud", "taglist", "categories", "byline", "bylines", "author", "authors",
    "bio", "avatar", "newsletter", "subscribe", "subscription", "signup", "optin", "mailchimp", "cookie",
    "cookies", "consent", "gdpr", "advert", "advertisement", "advertising", "ads", "sponsor", "sponsored",
    "promo", "promotion", "breadcrumb", "breadcrumbs", "toc", "pagination", "pager", "comments", "comment",
    "respond", "disqus", "sidebar", "widget", "widgets", "skip", "print", "rating", "ratings", "reactions",
    "outbrain", "taboola", "zergnet", "popular", "trending", "teaser", "teasers", "meta", "metadata",
    "dateline", "postmeta", "entrymeta", "navigation", "nav", "menu", "footer", "header", "masthead",
    "wpcnt", "donate", "donation", "paywall", "login", "signin", "banner", "promoted", "readmore", "toolbar",
    "sharethis", "newsletters", "disclaimer", "featured", "thumbnail", "navbox", "editsection", "postmetadata",
    "catlinks", "commentbody", "commentlist", "userinfo", "username", "ad", "posted",
    # consent managers' banners (OneTrust's optanon-alert-box-body, #onetrust-banner-sdk, #CybotCookiebotDialog)
    "optanon", "onetrust", "cookiebot", "cybot", "didomi", "truste", "trustarc", "usercentrics", "cmplz",
    "cookieconsent", "cookienotice", "cookielaw",
})
# words that may stand before a boilerplate word in a token: where it is, or a theme's or plugin's prefix
BOILERPLATE_QUALIFIERS = frozenset({
    "post", "entry", "article", "story", "single", "page", "site", "blog", "main", "top", "bottom", "left", "right",
    "inline", "floating", "sticky", "mobile", "desktop", "default", "simple", "global", "content", "the", "my",
    "jp", "td", "ast", "gh", "wp", "c", "m", "o", "et", "fl", "tie", "jeg", "mh", "kb", "nv", "ct", "bs", "sd",
    "a2a", "ez", "yoast", "rank", "math", "jetpack", "jnews", "penci", "sp", "share", "social", "author",
    "related", "pf", "ssba", "heateor", "sfsi", "shared", "addthis", "at", "st", "us", "crp", "yarpp", "mw", "about",
    "cc", "cky", "borlabs",  # consent banners: Osano's cc-banner, CookieYes' cky-consent-bar, BorlabsCookieBox
})
# two-word compounds that name boilerplate though neither word does alone
BOILERPLATE_PAIRS = frozenset({
    ("tag", "links"), ("cat", "links"), ("tags", "links"), ("post", "tags"), ("entry", "tags"), ("post", "terms"),
    ("posted", "on"), ("posted", "by"), ("entry", "date"), ("post", "date"), ("read", "more"), ("more", "stories"),
    ("you", "may"), ("also", "like"), ("see", "also"), ("screen", "reader"), ("ez", "toc"), ("table", "contents"),
    ("post", "navigation"), ("nav", "links"), ("about", "author"), ("author", "box"), ("tag", "cloud"),
    ("more", "from"), ("further", "reading"), ("most", "read"), ("up", "next"),
})
# words of the article's own content container, which may stand before a boilerplate word too ("entry-meta")
CONTENT_WORDS = frozenset({
    "content", "entry", "article", "story", "body", "text", "prose", "markdown", "richtext", "post", "main",
})
# page builders' tokens that name boilerplate (their other tokens are generic parts)
BUILDER_BOILERPLATE = ("share-buttons", "post-info", "author-box", "post-navigation", "nav-menu", "sidebar",
                       "posts", "portfolio", "breadcrumbs", "table-of-contents", "post-comments", "social",
                       "form", "login", "call-to-action", "menu", "related")

# class tokens of social posts embedded by their platform's script (a tweet, an Instagram or TikTok post)
EMBEDS = frozenset({"twitter-tweet", "twitter-timeline", "instagram-media", "tiktok-embed", "fb-post", "fb-video",
                    "reddit-card", "reddit-embed-bq", "bluesky-embed", "mastodon-embed", "threads-embed"})
HINT_NONE = (0, False, False, False)
LISTING_WORDS = 80  # a page with fewer words of running text found is about its biggest list
LISTING_LINK_SHARE = 0.1  # a listing's words are at least this share link words
_LISTS = frozenset({"ul", "ol", "dl", "table", "tbody", "div", "section", "main", "article"})
# lines of links beside a prose article (see _link_lines)
LINE_SHARE = 0.3  # a run of lines is a list of links when this share of its words are link words
LINE_WORDS = 25  # a line: a block with a link and at most this many words
LINE_BLOCK = 0.8  # ... or with three links or more and this share of link words
PROSE_WORDS = 10  # a paragraph of running text has this many words, under 30 % link words
PROSE_SHARE = 0.4  # the main text is prose when this share of its words stands in such paragraphs
# tokens of an article's own text container, as themes and CMSs name it
TEXT_CONTAINERS = frozenset({
    "entry-content", "post-content", "post-body", "entry-body", "article-body", "article-content", "articlebody",
    "story-body", "storybody", "story-content", "the-content", "post-entry", "entry-text", "post-text",
    "article-text", "articletext", "body-text", "bodytext", "main-content", "gh-content", "content-body",
    "single-content", "td-post-content", "wp-block-post-content", "elementor-widget-theme-post-content",
    "c-entry-content", "article__body", "article__content", "post__content", "entry__content",
})
# elements that can be an article's text container (a paragraph or a span with the container's class word is not)
_CONTAINER_TAGS = frozenset({"div", "section", "article", "main", "td", "body", "dd", "figure"})
_COLUMNS = ("td", "th", "li")  # cells of a row and items of a list stand beside each other: no continuation
# words of a class/id token that make an element a column of a layout row ("col-md-4", "elementor-column",
# "#right", "sidebar-wrap")
COLUMN_WORDS = frozenset({"col", "cols", "column", "sidebar", "rail", "aside"})
COLUMN_TOKENS = frozenset({"left", "right", "leftcol", "rightcol", "side", "sidecol"})


def _words(token: str) -> list[str]:
    """A token's words; of a BEM name (``c-entry-hero__tags--big``) those of the element it names (``tags``)."""
    token = token.partition("--")[0] or token
    if "__" in token:
        token = token.rpartition("__")[2]
    return [w for w in re.split(r"[-_\s]+|(?<=[a-z])(?=[A-Z])", token) if w]


@lru_cache(maxsize=8192)
def own_hint(tag: str, cls: str, ident: str, role: str) -> tuple[int, bool, bool, bool]:
    """``(weight, boilerplate, column, text container)`` of an element's own class/id/role: Readability's class
    weight (±25 for its positive and negative words in the class, and again in the id), whether a class/id token
    names a boilerplate block (share bar, related posts, tag list, author box, newsletter, cookie notice, ad…),
    whether one names a column of a layout row, and whether the element is an article's own text container
    (``entry-content``, ``post-body``…, ``main``, ``role=main``). Tokens that are layout modifiers or a page
    builder's generic parts say nothing of boilerplate (see :func:`linkcrawler.position.token_words`)."""
    if not cls and not ident and not role:
        return HINT_NONE if tag != "main" else (0, False, False, True)
    tokens = f"{cls} {ident}".lower().split()
    container = tag == "main" or role.lower() == "main" or (
        tag in _CONTAINER_TAGS and not TEXT_CONTAINERS.isdisjoint(tokens))  # p.body-text is a paragraph of it
    column = any(token in COLUMN_TOKENS or any(w in COLUMN_WORDS for w in re.split(r"[-_\d]+", token))
                 for token in f"{cls} {ident}".lower().split())
    weight = 0
    boiler = role.lower() in ("navigation", "complementary", "contentinfo", "banner", "menu", "menubar",
                              "search", "dialog", "alertdialog")
    for value in (cls, ident):
        named = []
        for token in value.split():
            token = token.lower()
            if token.startswith(BUILDER_PREFIXES):
                if any(part in token for part in BUILDER_BOILERPLATE):
                    named.append(token)
                    boiler = boiler or tag not in ("html", "body")
                continue
            if token in EMBEDS and tag not in ("html", "body"):
                boiler = True  # a social post embedded in the article: its links are the platform's, not the editor's
            words = token_words(token)
            if words is None:
                continue
            named.append(token)
            if not boiler and tag not in ("html", "body") and _names_boilerplate([w for w in _words(token) if w]):
                boiler = True
        if named:
            text = " ".join(named)
            if _NEGATIVE.search(text):
                weight -= 25
            if _POSITIVE.search(text):
                weight += 25
    return weight, boiler, column, container


def _names_boilerplate(words: list[str]) -> bool:
    """Whether a token's words name a boilerplate block: a boilerplate word or pair after qualifiers only
    (``entry-meta``, ``jp-relatedposts``, ``post-tags``; but ``url-breadcrumb`` names no breadcrumb)."""
    words = [w.lower() for w in words]
    first = next((i for i, w in enumerate(words) if w in BOILERPLATE_WORDS or (
        i + 1 < len(words) and (w, words[i + 1]) in BOILERPLATE_PAIRS)), None)
    return first is not None and all(w in BOILERPLATE_QUALIFIERS or w in CONTENT_WORDS for w in words[:first])


REASONS = ("", "boilerplate class words", "non-content region", "form", "teaser card", "link list or linky block",
           "symbols only", "outside the main text", "no main text found", "a tool or site link standing alone",
           "byline", "follow us, contact, sign-up or copyright line")


@dataclass
class Main:
    """The main text of a page: which links are editorial, its words and link words, and each link's context."""

    editorial: list[bool]
    words: int
    link_words: int
    doc: Doc
    block: list[int]  # nearest block-level element of each element
    areas: list[int] = field(default_factory=list)  # the main text's elements and the article holding them
    cum_words: list[int] = field(default_factory=list)
    cum_link: list[int] = field(default_factory=list)
    reasons: list[int] = field(default_factory=list)  # per link, why it is not editorial (REASONS), 0 if it is
    overruled: set[int] = field(default_factory=set)  # elements whose class words the main text overrules
    text_hash: str = ""  # 64-bit hash of the main text, in hex: pages with the same main text are duplicates
    footers: dict[int, int] = field(default_factory=dict)  # page part → its first footer part after the main text

    def why(self, link: int) -> str:
        """Why link number ``link`` is not editorial, in words ('' when it is)."""
        return REASONS[self.reasons[link]]

    def position(self, number: int) -> str:
        """The position of a link element whose markup names no region, from where it sits beside the main text.

        In the main text's article it is ``content``. Otherwise take the part of the page it is in, beside the
        main text (the child ``x`` of their nearest common ancestor ``p``). A part whose class/id words make it a
        column (``col-md-4``, ``#right``) is a ``sidebar``. Inside the page's ``main`` element, a part before the
        main text is ``navigation`` for a menu, ``header`` for a ticker of headlines, else like the parts after
        it the main column's ``content`` (a hero, teaser cards, more stories). Where ``p`` is the page itself
        (``body``, or an element holding three quarters of it): a part before the main text is ``navigation`` for
        a menu (three links or more, mostly link text, four words a link at most) or jumps within the page (skip
        links), else ``header``; the last part with links after it is the ``footer``, and so is any part after
        one its markup names the footer (a cookie banner at the end of the body); parts between are the main
        column's ``content``. Where ``p`` is a smaller container, the part is in the main column: ``content``."""
        doc = self.doc
        parent, last, hint, tags = doc.parent, doc.last, doc.hint, doc.tag
        if not self.areas or any(a <= number <= last[a] for a in self.areas):
            return "content"
        anchor = self.areas[0]
        x = number
        while True:
            p = parent[x]
            if p < 0:
                return "content"
            if p <= anchor <= last[p]:
                break
            x = p
        page_wide = tags[p] in ("body", "html") or last[p] - p >= 0.75 * len(tags)
        if hint[x][2]:
            return "sidebar"
        in_main = False
        a = p
        while a >= 0 and not in_main:
            in_main, a = tags[a] == "main", parent[a]
        if not page_wide and not in_main:
            return "content"
        first, end = bisect_left(doc.links, x), bisect_right(doc.links, last[x])
        if x < anchor:
            if end > first and all(doc.jumps[first:end]):
                return "navigation"
            words = self.cum_words[doc.end[x]] - self.cum_words[doc.start[x]]
            linked = self.cum_link[doc.end[x]] - self.cum_link[doc.start[x]]
            if end - first >= 3 and words and linked >= 0.7 * words:
                return "navigation" if linked <= 4 * (end - first) else "header"  # a menu, or a ticker
            return "content" if in_main else "header"
        if in_main:
            return "content"
        if bisect_right(doc.links, last[p]) == end or self._after_footer(p, x):
            return "footer"
        return "content"

    def _after_footer(self, p: int, x: int) -> bool:
        """Whether part ``x`` of the page ``p`` comes after a part its markup names the footer, past the main text
        (a cookie banner or a chat widget a script appends to the body). The first such part is found once per
        ``p``, not for every link."""
        footer = self.footers.get(p)
        if footer is None:
            doc = self.doc
            e = _child_of(p, self.areas[0], doc.parent)
            footer = len(doc.tag)  # none: no part comes after it
            e = doc.last[e] + 1
            while e <= doc.last[p]:
                if doc.region[e] == "footer":
                    footer = e
                    break
                e = doc.last[e] + 1
            self.footers[p] = footer
        return footer < x

    def context(self, number: int, size: int = 6, chars: int = 80) -> tuple[str, str]:
        """The words just before and just after element ``number`` inside its nearest block (up to ``size`` words
        or ``chars`` characters each side)."""
        doc = self.doc
        block = self.block[doc.parent[number]] if doc.parent[number] >= 0 else number
        text, start, end = doc.text, doc.start, doc.end
        before: list[str] = []
        i = start[number] - 1
        while i >= start[block] and len(before) < size:
            before[:0] = text[i].split()
            i -= 1
        after: list[str] = []
        i = end[number]
        while i < end[block] and len(after) < size:
            after.extend(text[i].split())
            i += 1
        left = " ".join(before[-size:])
        right = " ".join(after[:size])
        return left[-chars:].lstrip(), right[:chars].rstrip()


def analyse(doc: Doc) -> Main:
    """Find the main text of ``doc`` and decide for each link whether it is editorial (module docstring)."""
    n = len(doc.tag)
    tags, parent, last, start, end = doc.tag, doc.parent, doc.last, doc.start, doc.end
    hints = doc.hint
    pieces = len(doc.text)
    cum_words = [0, *accumulate(doc.words)]
    cum_link = [0, *accumulate(w if link else 0 for w, link in zip(doc.words, doc.in_link, strict=True))]
    origin, weak = doc.origin, doc.weak
    block = [0] * n
    has_block_child = [False] * n
    for e in range(n):
        p = parent[e]
        tag = tags[e]
        block[e] = e if (tag in BLOCKS or p < 0) else block[p]
        if tag in BLOCKS and p >= 0:
            has_block_child[p] = True

    # 1. paragraphs: the text each block element holds itself
    own_chars = [0] * n
    own_commas = [0] * n
    for i in range(pieces):
        b = block[doc.owner[i]]
        text = doc.text[i]
        if text == " ":  # white space between a link's elements is no paragraph text
            continue
        own_chars[b] += len(text)
        own_commas[b] += len(_COMMAS.findall(text)) if "," in text or "\uff0c" in text or "\u060c" in text else 0

    # a block that class words name boilerplate or a region cannot be that when it holds most of the page's running
    # text (Blogger wraps the posts in "widget Blog"), unless they make it a column beside the text (#sidebar)
    cum_paragraphs = [0, *accumulate(c if c >= 25 else 0 for c in own_chars)]
    total = cum_paragraphs[n]
    # (TypePad's "entry-author-…"): those words are overruled, as they are for one holding the article's text
    # container (entry-content, post-body…)
    holds_text = [False] * n
    for e in range(n - 1, -1, -1):
        if (hints[e][3] or holds_text[e]) and parent[e] >= 0:
            holds_text[parent[e]] = True
    def holds_most(e: int) -> bool:
        return total >= 500 and cum_paragraphs[last[e] + 1] - cum_paragraphs[e] >= 0.5 * total

    overruled = {e for e in range(n) if (hints[e][1] or (origin[e] == e and weak[e])) and (
        holds_text[e] or (not hints[e][2] and holds_most(e)))}
    # a form that holds most of the running text is the page's wrapper (ASP.NET's aspnetForm, Everything2's
    # writeups), not a form beside the text: only its controls are form
    wrappers = {e for e in range(n) if tags[e] == "form" and holds_most(e)}
    excluded = [False] * n  # inside a non-content region or a boilerplate-named element: no paragraph counts
    for e in range(n):
        p = parent[e]
        excluded[e] = (p >= 0 and excluded[p]) or (
            e not in overruled and (hints[e][1] or origin[e] == e)) or (tags[e] in _FORMS and e not in wrappers)

    score: dict[int, float] = {}
    for b in range(n):
        chars = own_chars[b]
        if chars < 25 or excluded[b] or tags[b] in _HEADINGS:
            continue
        gain = 1 + own_commas[b] + min(chars / 100, 3)
        a = b if has_block_child[b] else parent[b]
        level = 0
        while a >= 0 and level < 5:
            if a not in score:
                score[a] = _TAG_WEIGHT.get(tags[a], 0) + hints[a][0]
            score[a] += gain / (1 if level == 0 else 2 if level == 1 else level * 3)
            a = parent[a]
            level += 1

    def density(e: int) -> float:
        words = cum_words[end[e]] - cum_words[start[e]]
        return (cum_link[end[e]] - cum_link[start[e]]) / words if words else 0.0

    final = {e: s * (1 - density(e)) for e, s in score.items() if tags[e] not in ("html",) and not excluded[e]}
    editorial = [False] * len(doc.links)
    roots: list[int] = []
    article_tops: set[int] = set()
    if final:
        top = max(final, key=final.__getitem__)
        top_score = final[top]
        article_tops = {*_ancestors(top, parent), top}
        top = _better_top(top, final, parent, tags)
        article_tops.add(top)
        roots = _with_siblings(top, max(top_score, final.get(top, 0.0)), final, doc, parent, last, own_chars,
                               density)
    if roots:
        roots = _continued(roots, doc, excluded, cum_words, cum_link)
    found = sum(cum_words[end[r]] - cum_words[start[r]] for r in roots)
    if found < LISTING_WORDS:
        listing = _listing(doc, excluded, cum_words, cum_link, found)
        if listing is not None and not any(r <= listing <= last[r] for r in roots):
            roots = sorted([r for r in roots if not listing <= r <= last[listing]] + [listing])
            article_tops.add(listing)
    if not roots:
        return Main(editorial, 0, 0, doc, block, [], cum_words, cum_link, [8] * len(editorial), overruled)

    # 3. boilerplate inside the main text (why each element is dropped: a REASONS key, 0 = kept)
    dropped = [0] * n
    words = link_words = 0
    inside = [False] * n
    p_count = _prefix(tags, "p")
    li_count = _prefix(tags, "li")
    img_count = _prefix(tags, "img")
    input_count = _prefix(tags, ("input", "select", "textarea", "button"))
    commas_in = [0, *accumulate(len(_COMMAS.findall(t)) if "," in t else 0 for t in doc.text)]
    article_count = _prefix(tags, "article")
    articles = {root: article_count[last[root] + 1] - article_count[root] for root in roots}
    for root in roots:
        inside[root] = True
        for e in range(root + 1, last[root] + 1):
            p = parent[e]
            inside[e] = True
            if dropped[p]:
                dropped[e] = dropped[p]
                continue
            tag = tags[e]
            weight, boiler, _, _ = hints[e]
            if e in overruled:
                boiler = False
            drop = 1 if boiler else 2 if origin[e] == e and e not in overruled else 0
            if not drop and tag in _FORMS and e not in wrappers:
                drop = 3
            if not drop and tag == "article" and e not in article_tops and last[e] > e and articles[root] > 1 \
                    and not holds_text[e] and not hints[e][3]:
                drop = 4  # a teaser card beside the article (one of several, holding no article text container)
            if not drop and tag in _CLEANED and end[e] > start[e] and not hints[e][3] and not holds_text[e] and (
                    e not in article_tops) and _conditional(
                    e, weight, tags, start, end, last, cum_words, cum_link, commas_in, p_count, li_count, img_count,
                    input_count, has_block_child):
                drop = 5
            dropped[e] = drop
    linky = _link_lines(doc, block, inside, dropped)
    digest = blake2b(digest_size=8)
    for i in range(pieces):
        e = doc.owner[i]
        if inside[e] and not dropped[e] and block[e] not in linky:
            words += doc.words[i]
            if doc.text[i] != " ":  # the white space kept inside links: the hash stays that of the text
                digest.update(doc.text[i].encode("utf-8", "surrogatepass"))
            if doc.in_link[i]:
                link_words += doc.words[i]
    why = [0] * len(doc.links)
    lines = _Lines(doc, block, cum_words)
    for k, e in enumerate(doc.links):
        if inside[e] and not dropped[e] and parent[e] >= 0 and _block_of(e, block, parent) in linky:
            why[k] = 5
        elif inside[e] and not dropped[e]:
            anchor = " ".join("".join(doc.text[start[e]:end[e]]).split())
            if anchor and _WORD_CHAR.search(anchor) is None:
                why[k] = 6  # a link of symbols only ("#", "¶", "→") is a permalink or control, not words of the text
            elif FURNITURE.match(anchor) or (
                    UTILITY.match(anchor) and _alone(e, block, parent, start, end, cum_words, cum_link)):
                why[k] = 9
            elif lines.byline(e):
                why[k] = 10
            elif lines.follow_line(e) or (anchor.startswith("@") and lines.short(e)):
                why[k] = 11  # (a social handle in a short line: a profile to follow, not words of the text)
            editorial[k] = not why[k]
        else:
            why[k] = dropped[e] if inside[e] else 7
    areas = list(roots)
    article = next((a for a in article_tops if tags[a] == "article"), None)
    if article is not None and all(article <= r <= last[article] for r in roots):
        areas.insert(0, article)
    elif len(roots) == 1 and tags[roots[0]] in ("body", "html"):
        # a page whose text stands right in its body: for the layout, the main text is the body's parts that hold
        # its editorial links or its paragraphs of running text; a menu before them and a footer after them are
        # placed as on any other page
        held = [doc.links[k] for k in range(len(doc.links)) if editorial[k]]
        held += [b for b in range(roots[0], last[roots[0]] + 1) if own_chars[b] >= 25 and not dropped[b]
                 and density(b) < 0.3 and cum_words[end[b]] - cum_words[start[b]] >= PROSE_WORDS]
        areas = sorted({_child_of(roots[0], e, parent) for e in held} - {roots[0]}) or areas
    else:
        areas.sort()
    return Main(editorial, words, link_words, doc, block, areas, cum_words, cum_link, why, overruled,
                digest.hexdigest() if words else "")


def _link_lines(doc: Doc, block: list[int], inside: list[bool], dropped: list[int]) -> set[int]:
    """Blocks of the main text that are lines of links, where the main text is prose.

    The main text is prose when at least ``PROSE_SHARE`` of its words (those of its whole area, dropped blocks
    too) stand in paragraphs of running text (``PROSE_WORDS`` words or more, under 30 % of them link words). A
    *line* is a block with a link of its own and at most ``LINE_WORDS`` words (a headline with its source and
    date) that does not read as a sentence (:func:`_sentence`), or with three links or more and ``LINE_BLOCK`` of
    its words link words (a menu set inline with "|"). A run of lines one after another holding three links or
    more, ``LINE_SHARE`` of its words link words, is a list of links beside the article, not words of it. Where
    the main text is mostly such lines (a link directory, a filmography), they are the page's content and stay.
    """
    own_words: dict[int, int] = {}
    own_link: dict[int, int] = {}
    for i, e in enumerate(doc.owner):
        if inside[e]:
            b = block[e]
            own_words[b] = own_words.get(b, 0) + doc.words[i]
            if doc.in_link[i]:
                own_link[b] = own_link.get(b, 0) + doc.words[i]
    total = sum(own_words.values())
    prose = sum(w for b, w in own_words.items() if w >= PROSE_WORDS and own_link.get(b, 0) < 0.3 * w)
    if not total or prose < PROSE_SHARE * total:
        return set()
    links: dict[int, int] = {}
    for e in doc.links:
        p = doc.parent[e]
        if p >= 0 and inside[e]:
            links[block[p]] = links.get(block[p], 0) + 1
    out: set[int] = set()
    run: list[int] = []
    count = words_in = linked_in = 0
    for b in [*sorted(own_words), -1]:  # -1 ends the last run
        words = own_words.get(b, 0)
        if b >= 0 and not words:
            continue
        linked = own_link.get(b, 0)
        line = links.get(b, 0) and (words <= LINE_WORDS or (links[b] >= 3 and linked >= LINE_BLOCK * words))
        if line and words <= LINE_WORDS and _sentence(doc, b):
            line = False  # a short sentence with a link: the text's own (an annotated list of links)
        if b >= 0 and not dropped[b] and line:
            run.append(b)
            count, words_in, linked_in = count + links[b], words_in + words, linked_in + linked
            continue
        if count >= 3 and linked_in >= LINE_SHARE * words_in:
            out.update(run)
        run, count, words_in, linked_in = [], 0, 0, 0
    return out


# a date or a time in a line of links: a headline's dateline ("Wed, Jan 16 2008", "21 May, 2007", "09:30")
_MONTH = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_DATE = re.compile(rf"\b(?:19|20)\d\d\b|\b\d{{1,2}}:\d\d\b|\b{_MONTH}[a-z]*\.? \d{{1,2}}\b|\b\d{{1,2}}\.? {_MONTH}",
                   re.IGNORECASE)


def _sentence(doc: Doc, b: int) -> bool:
    """Whether block ``b`` reads as a sentence of the text rather than a headline: it says three words or more of
    its own besides its links, ends with a full stop, a question or an exclamation mark, and carries no date
    ("[Hilltop Seeds catalogue]: clear pictures, honest descriptions." and "For sowing dates see [the planting
    guide] and [saving seeds]." are the author's; a headline with its source and date is a teaser)."""
    text, in_link, words = doc.text, doc.in_link, doc.words
    own = [i for i in range(doc.start[b], doc.end[b]) if not in_link[i]]
    if sum(words[i] for i in own) < 3 or not "".join(text[i] for i in own).rstrip().endswith((".", "!", "?", "…")):
        return False
    return _DATE.search("".join(text[doc.start[b]:doc.end[b]])) is None


def _listing(doc: Doc, excluded: list[bool], cum_words: list[int], cum_link: list[int], found: int) -> int | None:
    """The list a page with little running text is about (a tour-date list, a roster, a link directory): the
    element holding the most links, five at least, outside the page's menus, headers, footers, sidebars and
    boilerplate blocks, at least a tenth of its words link words; of those, the deepest holding nine tenths of its
    links. None when there is none, or it holds no more words than the main text found. (A site-wide block that
    this takes for content on a small page is still a template link: the crawl-wide pass counts its repeats.)"""
    links, start, end, last = doc.links, doc.start, doc.end, doc.last
    best, most = None, 0  # the choice so far, and the links of the element holding the most
    for e in range(len(doc.tag)):
        if excluded[e] or doc.tag[e] not in _LISTS:
            continue
        count = bisect_right(links, last[e]) - bisect_left(links, e)
        deeper = best is not None and best <= e <= last[best]
        if count < 5 or (count < 0.9 * most if deeper else count <= most):
            continue
        words = cum_words[end[e]] - cum_words[start[e]]
        linked = cum_link[end[e]] - cum_link[start[e]]
        if words <= found or linked < LISTING_LINK_SHARE * words:
            continue
        best, most = e, most if deeper else count
    return best


class _Lines:
    """What a link's block says around it, read once per block: whether the link is the name in a byline ("by"
    just before it, in a block of at most ``BYLINE_WORDS`` words: "Post written by Leo Babauta.", "November 10,
    2012 by alysha") or stands in a line that asks readers to follow the site, for their tips or stories, to sign up
    or subscribe, gives its contact details or its copyright (a block of at most ``FOLLOW_WORDS`` words: "Follow
    Marcas on Twitter", "Síguenos en", "Tel:", "e-mail us at", "Got a news tip? Email us", "Sign up for our daily
    newsletter", "©")."""

    def __init__(self, doc: Doc, block: list[int], cum_words: list[int]):
        self.doc, self.block, self.cum_words = doc, block, cum_words
        self.follow: dict[int, bool] = {}

    def _block(self, e: int) -> tuple[int, int]:
        doc = self.doc
        b = _block_of(e, self.block, doc.parent)
        return b, self.cum_words[doc.end[b]] - self.cum_words[doc.start[b]]

    def byline(self, e: int) -> bool:
        b, words = self._block(e)
        if words > BYLINE_WORDS:
            return False
        text, before, i = self.doc.text, [], self.doc.start[e] - 1
        size = 0
        while i >= self.doc.start[b] and size < BYLINE_CHARS:
            before.append(text[i])
            size += len(text[i])
            i -= 1
        return _BY.search(" ".join("".join(reversed(before)).split())[-BYLINE_CHARS:]) is not None

    def short(self, e: int) -> bool:
        return self._block(e)[1] <= FOLLOW_WORDS

    def follow_line(self, e: int) -> bool:
        b, words = self._block(e)
        if words > FOLLOW_WORDS:
            return False
        said = self.follow.get(b)
        if said is None:
            doc = self.doc
            said = self.follow[b] = _FOLLOW.search(" ".join("".join(doc.text[doc.start[b]:doc.end[b]]).split())) \
                is not None
        return said


def _child_of(root: int, e: int, parent: list[int]) -> int:
    """The child of ``root`` that holds element ``e`` (``root`` itself when ``e`` is ``root``; ``e`` must be in it)."""
    while e != root and parent[e] != root and parent[e] >= 0:
        e = parent[e]
    return e


def _block_of(e: int, block: list[int], parent: list[int]) -> int:
    """The block a link element ``e`` stands in (its parent's nearest block-level element)."""
    return block[parent[e]] if parent[e] >= 0 else e


def _children(p: int, last: list[int]) -> list[int]:
    """The children of element ``p``, in document order."""
    kids = []
    e = p + 1
    while e <= last[p]:
        kids.append(e)
        e = last[e] + 1
    return kids


def _alone(e: int, block: list[int], parent: list[int], start: list[int], end: list[int], cum_words: list[int],
           cum_link: list[int]) -> bool:
    """Whether link element ``e`` stands alone: its block holds links and at most two other words."""
    b = _block_of(e, block, parent)
    words = cum_words[end[b]] - cum_words[start[b]]
    return words - (cum_link[end[b]] - cum_link[start[b]]) <= 2


def _prefix(tags: list[str], wanted: str | tuple[str, ...]) -> list[int]:
    """Running count of elements with a wanted tag, by element number (count in a subtree: [last+1] - [e+1])."""
    if isinstance(wanted, str):
        return [0, *accumulate(1 if t == wanted else 0 for t in tags)]
    return [0, *accumulate(1 if t in wanted else 0 for t in tags)]


def _ancestors(e: int, parent: list[int]) -> list[int]:
    out = []
    while parent[e] >= 0:
        e = parent[e]
        out.append(e)
    return out


def _better_top(top: int, final: dict[int, float], parent: list[int], tags: list[str]) -> int:
    """Readability's second look at the best container: an ancestor shared by three near-best containers, or
    an ancestor that scores better, holds the main text."""
    best = final[top]
    # never above the article or main element holding the best container: beyond it lies the page around it
    line = []
    a = parent[top]
    while a >= 0 and tags[a] not in ("body", "html"):
        line.append(a)
        if tags[a] in ("article", "main"):
            break
        a = parent[a]
    near = [e for e, s in final.items() if e != top and s >= 0.75 * best]
    if len(near) >= 3:
        lines = [set(_ancestors(e, parent)) for e in near]
        for a in line:
            if sum(a in ancestors for ancestors in lines) >= 3:
                return a
    last_score = best
    for a in line:
        if a in final:
            if final[a] < best / 3:
                break
            if final[a] > last_score:
                return a
            last_score = final[a]
    return top


def _with_siblings(top: int, top_score: float, final: dict[int, float], doc: Doc, parent: list[int],
                   last: list[int], own_chars: list[int], density: object) -> list[int]:
    """The main container and its siblings that belong to it: those scoring at least a fifth of it (at least
    10), and paragraphs of running text."""
    p = parent[top]
    if p < 0:
        return [top]
    threshold = max(10.0, top_score * 0.2)
    roots = []
    for e in _children(p, last):
        running_text = doc.tag[e] == "p" and own_chars[e] > 80 and density(e) < 0.25  # type: ignore[operator]
        if e == top or final.get(e, -1.0) >= threshold or running_text:
            roots.append(e)
    return roots


def _continued(roots: list[int], doc: Doc, excluded: list[bool], cum_words: list[int], cum_link: list[int],
               ) -> list[int]:
    """The main text with the elements it continues in: a page may split its text over several sibling elements
    of one kind (the tables of a 2000s layout, one after another). Going up from the main text's first container
    to the page's body, the first element with such siblings right before or after it takes them in: the same
    tag, class and id (but for digits), not a menu or other region, at least 30 words and a quarter of its own, and a
    share of link words within 0.2 of its own."""
    tags, parent, last, start, end, kind = doc.tag, doc.parent, doc.last, doc.start, doc.end, doc.kind

    def profile(e: int) -> tuple[int, float]:
        words = cum_words[end[e]] - cum_words[start[e]]
        return words, (cum_link[end[e]] - cum_link[start[e]]) / words if words else 0.0

    a = roots[0]
    while parent[a] >= 0 and tags[a] not in ("body", "html", *_COLUMNS):
        p = parent[a]
        words, share = profile(a)
        kids = _children(p, last)
        at = kids.index(a)
        taken = []
        for side in (kids[at + 1:], kids[at - 1::-1] if at else []):
            for k in side:
                k_words, k_share = profile(k)
                if not k_words:
                    continue
                if excluded[k] or tags[k] != tags[a] or kind[k] != kind[a] or k_words < max(30, 0.25 * words) \
                        or abs(k_share - share) > 0.2:
                    break
                taken.append(k)
        if taken:
            return sorted({*[r for r in roots if not any(k <= r <= last[k] for k in taken)], *taken})
        a = p
    return roots


def _conditional(e: int, weight: int, tags: list[str], start: list[int], end: list[int], last: list[int],
                 cum_words: list[int], cum_link: list[int], commas_in: list[int], p_count: list[int],
                 li_count: list[int], img_count: list[int], input_count: list[int],
                 has_block_child: list[bool]) -> bool:
    """Readability's conditional cleaning of a block inside the main text: drop it when it is no running text —
    few commas and more list items than paragraphs, inputs, or mostly links. A list (ul/ol) whose items are
    links only is dropped too (Readability keeps lists; related-post and tag lists are lists)."""
    if weight < 0:
        return True
    words = cum_words[end[e]] - cum_words[start[e]]
    if not words:
        return False
    if commas_in[end[e]] - commas_in[start[e]] >= 10:
        return False
    link = (cum_link[end[e]] - cum_link[start[e]]) / words
    p = p_count[last[e] + 1] - p_count[e + 1]
    li = li_count[last[e] + 1] - li_count[e + 1]
    img = img_count[last[e] + 1] - img_count[e + 1]
    inputs = input_count[last[e] + 1] - input_count[e + 1]
    tag = tags[e]
    is_list = tag in ("ul", "ol", "dl")
    if inputs > p // 3:
        return True
    if is_list:
        return link > 0.9 and li >= 3 and words / max(li, 1) < 12
    if li > p + 3 and link > 0.5:
        return True
    if weight < 25 and link > 0.8 and words < 80:
        return True
    if weight >= 25 and link > 0.7:
        return True
    return img > 2 and p / img < 0.5 and link > 0.5
