"""HTML → page facts and one :class:`~linkcrawler.items.Link` per ``<a href>``/``<area href>``.

The tree is walked once in document order. The walk gives each link its position (see
:mod:`linkcrawler.position`: each element's region is merged into a state its descendants inherit) and its
XPath, and it records the page as flat arrays (:class:`Doc`: elements with their parent and extent, text pieces
with the element they belong to) that :mod:`linkcrawler.maintext` reads to find the main text and decide which
links are editorial. Work per page is linear in its size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import SplitResult, urldefrag, urljoin, urlsplit

from lxml import etree
from w3lib.url import safe_url_string

from linkcrawler import maintext
from linkcrawler.classify import Classifier
from linkcrawler.items import Link
from linkcrawler.position import CONTENT, NO_RULES, START, UserRules, merge, signal

# C0 controls and DEL become spaces in text (Excel and most readers reject them); whitespace is then folded
_CONTROL_TO_SPACE = {c: " " for c in [*range(32), 127]}
# browsers drop tabs and newlines anywhere in a URL, and strip C0 controls and spaces around it
_URL_DROP = {9: None, 10: None, 13: None}
_C0_AND_SPACE = "".join(map(chr, range(33)))
_CONTROL_DROP = dict.fromkeys([*range(32), 127])
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# elements whose text is not page text
_NO_TEXT = frozenset({"script", "style", "template", "noscript", "title", "head", "svg", "math", "select",
                      "option", "textarea", "iframe", "object", "canvas", "button"})
_SECTIONING = frozenset({"article", "aside", "nav", "section"})
_NOFOLLOW_RELS = {"nofollow", "sponsored", "ugc"}
_REL_SPLIT = re.compile(r"[\s,]+")
_REFRESH = re.compile(r"^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['\"]?)(?P<url>[^'\"]*)\1", re.IGNORECASE)
_MARKER = "…"
_VALUED_DIRECTIVES = {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
_WORD_TOKEN = re.compile(r"\S*\w\S*")  # a word has a letter or digit: "|", "·" and "→" are not words
CONTEXT_WORDS = 6  # words kept on each side of a link (text_before / text_after)
CONTEXT_CHARS = 80

_END_TAGS = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)


def parse_page(text: str) -> tuple[etree._Element, str]:
    """``(root, error)`` of an HTML document, parsed as browsers do where libxml2 does not; the error is
    ``nesting too deep`` when links below libxml2's nesting limit (2,048 levels) are lost.

    libxml2 drops everything after ``</html>``, where browsers keep it in the body (templates and plugins that
    print after the closing tag are common), so stray ``</html>``/``</body>`` end tags are removed first.
    Comments and processing instructions are dropped while parsing (the text around them joins up), which keeps
    the walk linear however many there are.
    """
    end = text.rfind("</html")
    if end == -1:
        end = text.lower().rfind("</html")
    if end != -1 and text[end:].partition(">")[2].strip():
        text = _END_TAGS.sub("", text)
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, remove_comments=True, remove_pis=True)
    body = text.replace("\x00", "").encode("utf-8", "surrogatepass")
    root = etree.fromstring(body, parser=parser) if body.strip() else None
    if root is None:
        root = etree.fromstring(b"<html></html>", parser=parser)
    too_deep = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return root, "nesting too deep" if too_deep else ""


def parse_html(text: str) -> etree._Element:
    """The lxml root of an HTML document (see :func:`parse_page`)."""
    return parse_page(text)[0]


def clean_text(text: str) -> str:
    """Control characters removed and whitespace folded to single spaces."""
    return " ".join(text.translate(_CONTROL_TO_SPACE).split())


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with a visible marker when cut."""
    if limit and len(text) > limit:
        return text[: limit - 1] + _MARKER
    return text


def robots_directives(values: Iterable[str]) -> set[str]:
    """Lower-case directives from meta robots contents or X-Robots-Tag values.

    Directives scoped to a named user agent (``otherbot: noindex``) are skipped, except ``googlebot``'s, which
    site owners use as their general rule; ``none`` means ``noindex, nofollow``.
    """
    found: set[str] = set()
    for value in values:
        applies = True  # an "agent:" prefix scopes the directives after it, up to the next prefix
        for part in value.split(","):
            part = part.strip().lower()
            name, colon, rest = part.partition(":")
            if colon and name.strip() not in _VALUED_DIRECTIVES:
                applies = name.strip() in ("robots", "googlebot", "*")
                part = rest.strip()
            if not applies:
                continue
            if part == "none":
                found.update(("noindex", "nofollow"))
            elif part:
                found.add(part)
    return found


@lru_cache(maxsize=4_096)  # bounded: site-wide menu, sidebar and footer links are what repeat
def _normalize(joined: str) -> tuple[str, str, SplitResult | None, str]:
    """``(url, fragment, parts, error)`` for a joined absolute URL; cached, as site-wide links repeat."""
    url, fragment = urldefrag(joined)
    scheme = url.partition(":")[0].lower()
    if scheme in ("http", "https"):
        url = safe_url_string(url)
        parts = urlsplit(url)
        if not parts.hostname:
            return "", "", None, f"no host in URL: {url}"
        parts.port  # noqa: B018 - raises ValueError for a port out of range
        return url, fragment, parts, ""
    return url, fragment, urlsplit(url), ""


@lru_cache(maxsize=8_192)
def _resolve(base: str, href: str) -> tuple[str, str, SplitResult | None, str]:
    try:
        scheme, colon, rest = href.partition(":")
        if not colon or scheme.lower() not in ("http", "https"):
            rest = href
        if rest.startswith("//") and not rest.strip("/"):  # urljoin reads "http://" and "//" as the base itself
            return "", "", None, f"no host in URL: {href}"
        return _normalize(urljoin(base, href))
    except ValueError as exc:
        return "", "", None, f"invalid URL: {exc}"


def _base_key(base: str, href: str) -> str:
    """The part of ``base`` that resolving ``href`` depends on: nothing for an absolute URL, the origin for a
    root-relative one, the whole base otherwise (so that the cache of resolutions serves every page)."""
    if href.startswith(("http://", "https://")):
        return ""
    if href.startswith("/") and not href.startswith("//"):
        scheme, _, rest = base.partition("://")
        return f"{scheme}://{rest.partition('/')[0]}/"
    return base


def resolve(base: str, href: str) -> tuple[str, str, SplitResult | None, str]:
    """Resolve ``href`` against ``base``: ``(url, fragment, parts, error)``; parts is None when invalid."""
    return _resolve(_base_key(base, href), href)


@dataclass
class Extracted:
    title: str = ""
    canonical: str = ""
    meta_robots: str = ""
    refresh: str = ""  # absolute target of <meta http-equiv=refresh>
    noindex: bool = False
    nofollow: bool = False
    words: int = 0  # words of the main text
    editorial_link_words: int = 0  # of those, words inside links
    text_hash: str = ""  # hash of the main text (see linkcrawler.maintext.Main.text_hash)
    links: list[Link] = field(default_factory=list)
    links_over: int = 0  # links past the limit: counted, not recorded


def _attr(root: etree._Element, xpath: str) -> str:
    values = root.xpath(xpath)
    return str(values[0]).strip() if values else ""


def head_facts(root: etree._Element, page_url: str) -> tuple[str, str, str, str, str]:
    """``(base, title, canonical, meta_robots, refresh)`` of a document; base and URLs are absolute."""
    base = page_url
    base_href = _attr(root, "//base[@href][1]/@href")
    if base_href:
        joined, _, parts, _ = resolve(page_url, base_href)
        if parts is not None:
            base = joined
    title_el = root.find(".//title")
    title = clean_text("".join(title_el.itertext())) if title_el is not None else ""
    canonical = _attr(root, "//link[contains(concat(' ', translate(@rel, 'CANONIAL', 'canonial'), ' '),"
                            " ' canonical ')][@href][1]/@href")
    if canonical:
        canonical = resolve(base, canonical.translate(_URL_DROP))[0]
    metas = root.xpath("//meta[translate(@name, 'ROBTSGLE', 'robtsgle')='robots' or "
                       "translate(@name, 'ROBTSGLE', 'robtsgle')='googlebot']/@content")
    meta_robots = ", ".join(clean_text(str(m)) for m in metas if str(m).strip())
    refresh = ""
    refresh_content = _attr(root, "//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh'][1]/@content")
    match = _REFRESH.match(refresh_content) if refresh_content else None
    if match and match.group("url").strip():
        url, _, parts, _ = resolve(base, match.group("url").strip().translate(_URL_DROP))
        refresh = url if parts is not None else ""
    return base, title, canonical, meta_robots, refresh


@dataclass
class Doc:
    """A page as flat arrays, in document order (element numbers are preorder: an element's descendants are
    the numbers after it up to ``last``).

    Text pieces are the visible text nodes (text and tails, not inside script/style/…), each with the
    innermost element it belongs to; ``start``/``end`` give each element's range of pieces.
    """

    tag: list[str] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    last: list[int] = field(default_factory=list)  # last descendant's number
    start: list[int] = field(default_factory=list)  # first piece
    end: list[int] = field(default_factory=list)  # one past the last piece
    hint: list[int] = field(default_factory=list)  # maintext hint of the element's own words
    region: list[str | None] = field(default_factory=list)  # position its markup gives (None: no region named)
    origin: list[int] = field(default_factory=list)  # the element whose own signal gave that region (-1: none)
    weak: list[bool] = field(default_factory=list)  # that region comes from class/id words only
    kind: list[str] = field(default_factory=list)  # class and id (without digits): elements of one kind share it
    text: list[str] = field(default_factory=list)  # pieces (white space inside a link: " ", words 0)
    words: list[int] = field(default_factory=list)  # words per piece
    owner: list[int] = field(default_factory=list)  # innermost element of each piece
    in_link: list[bool] = field(default_factory=list)  # the piece is link text
    links: list[int] = field(default_factory=list)  # element number of each link
    jumps: list[bool] = field(default_factory=list)  # the link's href is a fragment of the page ("#content")
    images: dict[int, list[str]] = field(default_factory=dict)  # link number → alt texts of its images


_FACTS: dict[tuple, tuple] = {}
_BARE: dict[tuple[str, bool], tuple] = {}  # (tag, scoped) → facts of an element without attributes
_NO_DIGITS = str.maketrans("", "", "0123456789")


def _facts(tag: str, cls: str, ident: str, role: str, aria: str, itemtype: str, scoped: bool) -> tuple:
    """``(position signal, maintext hint)`` of an element's tag and attributes; cached, as themes repeat. Digits
    say nothing about a region (``post-1234``, ``menu-item-45``): ``cls`` and ``ident`` come without them."""
    key = (tag, cls, ident, role, aria, itemtype, scoped)
    facts = _FACTS.get(key)
    if facts is None:
        if len(_FACTS) > 50_000:  # bounded: a theme has a few hundred distinct elements
            _FACTS.clear()
        facts = _FACTS[key] = (signal(*key), maintext.own_hint(*key[:4]))
        if not (cls or ident or role or aria or itemtype):
            _BARE[(tag, scoped)] = facts
    return facts


def walk(root: etree._Element, rules: UserRules = NO_RULES, max_links: int = 0,
         ) -> tuple[Doc, list[tuple[etree._Element, str | None, str]], int]:
    """Walk the tree once: the :class:`Doc`, per link ``(element, region, link_path)`` — the region is None where
    the markup names none (the layout decides, see :meth:`linkcrawler.maintext.Main.position`) — and how many
    links past ``max_links`` (0: no limit) were counted, not recorded."""
    doc = Doc()
    tag_of, parent_of, last_of, start_of, end_of = doc.tag, doc.parent, doc.last, doc.start, doc.end
    hint_of, region_of, origin_of, weak_of, kind_of = doc.hint, doc.region, doc.origin, doc.weak, doc.kind
    texts, words_of, owner_of, in_link_of = doc.text, doc.words, doc.owner, doc.in_link
    link_numbers, images, jumps = doc.links, doc.images, doc.jumps
    found: list[tuple[etree._Element, str | None, str]] = []
    over = 0
    room = max_links or -1
    user_hits = rules.matches(root) if rules.selectors else {}
    check_user = bool(rules.words or user_hits)

    # one frame per open element: [number, tag, index among same-tag siblings, id, state, user label,
    # per-tag child counters, link number or -1, no text, scoped (inside article/aside/nav/section)]
    stack: list[list] = []
    top = [-1, "", 1, None, START, None, {}, -1, False, False]  # above the root
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if event == "end":
            if tag.__class__ is not str:
                continue
            frame = stack.pop()
            number = frame[0]
            last_of[number] = len(tag_of) - 1
            end_of[number] = len(texts)
            tail = el.tail
            if tail and stack:
                parent = stack[-1]
                # white space between a link's elements is kept, as one space: it separates the anchor's words
                if not parent[8] and (parent[7] >= 0 or not tail.isspace()):
                    texts.append(tail if not tail.isspace() else " ")
                    words_of.append(len(_WORD_TOKEN.findall(tail)))
                    owner_of.append(parent[0])
                    in_link_of.append(parent[7] >= 0)
            continue
        parent = stack[-1] if stack else top
        if tag.__class__ is not str:  # an entity reference the parser kept: its tail is text of the parent
            tail = el.tail
            if tail and stack and not parent[8] and (parent[7] >= 0 or not tail.isspace()):
                texts.append(tail if not tail.isspace() else " ")
                words_of.append(len(_WORD_TOKEN.findall(tail)))
                owner_of.append(parent[0])
                in_link_of.append(parent[7] >= 0)
            continue
        number = len(tag_of)
        counters = parent[6]
        index = counters[tag] = counters.get(tag, 0) + 1
        scoped = parent[9]
        attrib = el.attrib
        if attrib:
            get = attrib.get
            ident = get("id")
            kind = (get("class") or "").translate(_NO_DIGITS)
            ident_kind = ident.translate(_NO_DIGITS) if ident else ""
            sig, hint = _facts(tag, kind, ident_kind, get("role") or "", get("aria-label") or "",
                               get("itemtype") or "", scoped)
            kind_of.append(f"{kind}#{ident_kind}" if ident_kind else kind)
        else:
            ident = None
            sig, hint = _BARE.get((tag, scoped)) or _facts(tag, "", "", "", "", "", scoped)
            kind_of.append("")
        state = merge(parent[4], sig) if sig is not None else parent[4]
        user = parent[5]
        if check_user:
            user = user_hits.get(el) or rules.word(el) or user
        no_text = parent[8] or tag in _NO_TEXT
        link = parent[7]
        tag_of.append(tag)
        parent_of.append(parent[0])
        last_of.append(number)
        start_of.append(len(texts))
        end_of.append(len(texts))
        hint_of.append(hint)
        label = state[0]
        region = user or (label if label != CONTENT else None)
        region_of.append(region)
        if region is None:
            origin_of.append(-1)
            weak_of.append(False)
        elif parent[0] >= 0 and region == region_of[parent[0]]:
            origin_of.append(origin_of[parent[0]])
            weak_of.append(weak_of[parent[0]])
        else:
            origin_of.append(number)
            weak_of.append(not state[1] and not user)
        is_link = (tag == "a" or tag == "area") and attrib and "href" in attrib
        if is_link and len(link_numbers) == room:
            is_link, over = False, over + 1  # past the limit: counted, not recorded
        if is_link:
            link = len(link_numbers)
            link_numbers.append(number)
            jumps.append(attrib["href"].lstrip().startswith("#"))
        elif tag == "img" and link >= 0:
            images.setdefault(link, []).append(el.get("alt") or "")
        stack.append([number, tag, index, ident, state, user, {}, link, no_text, scoped or tag in _SECTIONING])
        if is_link:
            found.append((el, region, link_path(stack)))
        text = el.text
        if text and not no_text and (link >= 0 or not text.isspace()):
            texts.append(text if not text.isspace() else " ")
            words_of.append(len(_WORD_TOKEN.findall(text)))
            owner_of.append(number)
            in_link_of.append(link >= 0)
    return doc, found, over


def extract(
    root: etree._Element,
    page_url: str,
    classifier: Classifier,
    *,
    header_directives: Iterable[str] = (),
    rules: UserRules = NO_RULES,
    robots_allowed: Callable[[str], bool] | None = None,
    max_anchor_chars: int = 500,
    max_links: int = 0,
) -> Extracted:
    """Page facts and every link of the parsed document ``root`` fetched from ``page_url``.

    ``header_directives`` are X-Robots-Tag values; ``robots_allowed(url)`` says whether robots.txt lets an
    internal URL be fetched (links it refuses are kept, with ``robots_blocked`` set). Past ``max_links`` links
    (0: no limit) further links are counted in ``links_over``, not recorded.
    """
    base, title, canonical, meta_robots, refresh = head_facts(root, page_url)
    directives = robots_directives([meta_robots, *header_directives])
    page_nofollow = "nofollow" in directives
    out = Extracted(
        title=title,
        canonical=canonical,
        meta_robots=meta_robots,
        refresh=refresh,
        noindex="noindex" in directives,
        nofollow=page_nofollow,
    )
    doc, found, out.links_over = walk(root, rules, max_links)
    main = maintext.analyse(doc)
    out.words, out.editorial_link_words, out.text_hash = main.words, main.link_words, main.text_hash
    text, start, end = doc.text, doc.start, doc.end
    for i, (el, region, path) in enumerate(found):
        number = doc.links[i]
        if region is not None and doc.origin[number] in main.overruled:
            region = None  # class words named a region that holds the main text: the layout decides
        position = region or main.position(number)
        anchor = clean_text("".join(text[start[number]:end[number]]))
        before, after = main.context(number)
        out.links.append(_link(el, position, path, anchor, doc.images.get(i), before, after, main.editorial[i],
                               page_url, base, i + 1, classifier, page_nofollow, robots_allowed, max_anchor_chars))
    return out


def link_path(stack: list[list]) -> str:
    """XPath of the innermost element of ``stack``, starting from the nearest ancestor with an id."""
    steps = []
    for frame in reversed(stack):
        ident = frame[3]
        if ident and '"' not in ident and ident.strip() == ident:
            steps.append(f'//*[@id="{ident}"]')
            break
        steps.append(f"/{frame[1]}[{frame[2]}]" if frame[1] not in ("html", "body") else f"/{frame[1]}")
    return "".join(reversed(steps))


def _link(
    el: etree._Element,
    position: str,
    path: str,
    text: str,
    alts: list[str] | None,
    before: str,
    after: str,
    editorial: bool,
    page_url: str,
    base: str,
    index: int,
    classifier: Classifier,
    page_nofollow: bool,
    robots_allowed: Callable[[str], bool] | None,
    max_anchor_chars: int,
) -> Link:
    tag = el.tag.lower()
    raw = el.get("href") or ""
    href = raw.strip(_C0_AND_SPACE).translate(_URL_DROP)
    errors = []
    if _BAD_CONTROL.search(href):
        errors.append("control characters in href")
    if not href:
        errors.append("empty href")
    url, fragment, parts, error = resolve(base, href)
    if parts is None:
        kind, rule = "invalid", ""
        errors.append(error)
    else:
        kind, rule = classifier.kind(url, parts)
    rel_attr = el.get("rel") or ""
    rel_tokens = [t for t in _REL_SPLIT.split(rel_attr.lower()) if t]
    follow = not page_nofollow and _NOFOLLOW_RELS.isdisjoint(rel_tokens)

    image = False
    source = "text"
    if tag == "a":
        image = alts is not None
        if not text and image:
            text, source = clean_text(" ".join(alts)), "alt"
    else:
        text, source = clean_text(el.get("alt") or ""), "alt"
    if not text:
        text, source = clean_text(el.get("title") or ""), "title"
    if not text:
        text, source = clean_text(el.get("aria-label") or ""), "aria-label"
    if not text:
        source = "none"
    blocked = (
        robots_allowed is not None
        and kind in ("internal", "affiliate")
        and parts is not None
        and classifier.is_internal(parts)
        and not robots_allowed(url)
    )
    return Link(
        page=page_url,
        index=index,
        tag=tag,
        href=cut(raw.translate(_CONTROL_DROP).strip(), 2048),
        url=url,
        fragment=fragment,
        kind=kind,
        affiliate_rule=rule,
        rel=" ".join(rel_tokens),
        follow=follow,
        target=clean_text(el.get("target") or ""),
        anchor=cut(text, max_anchor_chars),
        anchor_source=source,
        image=image,
        position=position,
        editorial=editorial,
        text_before=before,
        text_after=after,
        link_path=path,
        robots_blocked=blocked,
        error="; ".join(errors),
    )
