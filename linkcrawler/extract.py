"""HTML → page facts and one :class:`~linkcrawler.items.Link` per ``<a href>``/``<area href>``, in one pass.

The tree is walked once in document order; each element's region (see :mod:`linkcrawler.position`) is merged
into a context that its descendants inherit, so a link's position, its XPath and the page's content word
count come out of the same walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import SplitResult, urldefrag, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from w3lib.url import safe_url_string

from linkcrawler.classify import Classifier
from linkcrawler.items import Link
from linkcrawler.position import NO_RULES, NONE, UserRules, best, own_region

# C0 controls and DEL become spaces in text (Excel and most readers reject them); whitespace is then folded
_CONTROL_TO_SPACE = {c: " " for c in [*range(32), 127]}
# browsers drop tabs and newlines anywhere in a URL, and strip C0 controls and spaces around it
_URL_DROP = {9: None, 10: None, 13: None}
_C0_AND_SPACE = "".join(map(chr, range(33)))
_CONTROL_DROP = dict.fromkeys([*range(32), 127])
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NO_TEXT = {"script", "style", "template", "noscript", "title", "head"}
_NOFOLLOW_RELS = {"nofollow", "sponsored", "ugc"}
_REL_SPLIT = re.compile(r"[\s,]+")
_REFRESH = re.compile(r"^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['\"]?)(?P<url>[^'\"]*)\1", re.IGNORECASE)
_MARKER = "…"
_VALUED_DIRECTIVES = {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}


_END_TAGS = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)


def parse_html(text: str) -> etree._Element:
    """The lxml root of an HTML document, parsed as browsers do where libxml2 does not.

    libxml2 drops everything after ``</html>``, where browsers keep it in the body (templates and plugins
    that print after the closing tag are common), so stray ``</html>``/``</body>`` end tags are removed first.
    """
    end = text.rfind("</html")
    if end == -1:
        end = text.lower().rfind("</html")
    if end != -1 and text[end:].partition(">")[2].strip():
        text = _END_TAGS.sub("", text)
    return Selector(text=text or " ").root


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


def resolve(base: str, href: str) -> tuple[str, str, SplitResult | None, str]:
    """Resolve ``href`` against ``base``: ``(url, fragment, parts, error)``; parts is None when invalid."""
    try:
        scheme, colon, rest = href.partition(":")
        if not colon or scheme.lower() not in ("http", "https"):
            rest = href
        if rest.startswith("//") and not rest.strip("/"):  # urljoin reads "http://" and "//" as the base itself
            return "", "", None, f"no host in URL: {href}"
        return _normalize(urljoin(base, href))
    except ValueError as exc:
        return "", "", None, f"invalid URL: {exc}"


@dataclass
class Extracted:
    title: str = ""
    canonical: str = ""
    meta_robots: str = ""
    refresh: str = ""  # absolute target of <meta http-equiv=refresh>
    noindex: bool = False
    nofollow: bool = False
    words: int = 0
    content_link_words: int = 0
    links: list[Link] = field(default_factory=list)


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


def extract(
    root: etree._Element,
    page_url: str,
    classifier: Classifier,
    *,
    header_directives: Iterable[str] = (),
    rules: UserRules = NO_RULES,
    robots_allowed: Callable[[str], bool] | None = None,
    max_anchor_chars: int = 500,
) -> Extracted:
    """Page facts and every link of the parsed document ``root`` fetched from ``page_url``.

    ``header_directives`` are X-Robots-Tag values; ``robots_allowed(url)`` says whether robots.txt lets an
    internal URL be fetched (links it refuses are kept, with ``robots_blocked`` set).
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
    user_hits = rules.matches(root) if rules.selectors else {}
    # iterwalk skips comments and processing instructions, so their tails are counted with their parent
    comment_tails: dict[etree._Element, str] = {}
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        parent_el = node.getparent()
        if node.tail and parent_el is not None:
            comment_tails[parent_el] = comment_tails.get(parent_el, "") + " " + node.tail
    links = out.links
    words = link_words = 0

    # one frame per open element: [tag, index among same-tag siblings, id, label, in_content, user label,
    # per-tag child counters, inside a link, inside script/style/…, its text counts as content words]
    stack: list[list] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            stack.pop()
            if el.tail and stack and stack[-1][9]:  # the tail is text of the parent
                n = len(el.tail.split())
                words += n
                if stack[-1][7]:
                    link_words += n
            continue

        tag = el.tag.lower()
        if stack:
            parent = stack[-1]
            counters = parent[6]
            index = counters[tag] = counters.get(tag, 0) + 1
            label, in_content, user, in_link, no_text = parent[3], parent[4], parent[5], parent[7], parent[8]
        else:
            index, label, in_content, user, in_link, no_text = 1, None, False, None, False, False
        own = own_region(el, tag)
        if own is not NONE:
            if own.label is not None and not (own.scoped and in_content):
                label = best(label, own.label)
            in_content = in_content or own.content
        if rules.words or user_hits:
            user = user_hits.get(el) or rules.word(el) or user
        is_link = tag in ("a", "area") and el.get("href") is not None
        position = user or label or "content"
        no_text = no_text or tag in _NO_TEXT
        frame = [tag, index, el.get("id"), label, in_content, user, {}, in_link or is_link, no_text,
                 not no_text and position == "content"]
        stack.append(frame)
        text = el.text
        if comment_tails and el in comment_tails:
            text = (text or "") + comment_tails[el]
        if text and frame[9]:
            n = len(text.split())
            words += n
            if frame[7]:
                link_words += n
        if is_link:
            links.append(
                _link(el, tag, stack, page_url, base, position, len(links) + 1, classifier, page_nofollow,
                      robots_allowed, max_anchor_chars)
            )
    out.words, out.content_link_words = words, link_words
    return out


def link_path(stack: list[list]) -> str:
    """XPath of the innermost element of ``stack``, starting from the nearest ancestor with an id."""
    steps = []
    for frame in reversed(stack):
        ident = frame[2]
        if ident and '"' not in ident and ident.strip() == ident and ident:
            steps.append(f'//*[@id="{ident}"]')
            break
        steps.append(f"/{frame[0]}[{frame[1]}]" if frame[0] not in ("html", "body") else f"/{frame[0]}")
    return "".join(reversed(steps))


def _link(
    el: etree._Element,
    tag: str,
    stack: list[list],
    page_url: str,
    base: str,
    position: str,
    index: int,
    classifier: Classifier,
    page_nofollow: bool,
    robots_allowed: Callable[[str], bool] | None,
    max_anchor_chars: int,
) -> Link:
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
    if tag == "a":
        text = clean_text("".join(el.itertext()))
        source = "text"
        imgs = el.findall(".//img")
        image = bool(imgs)
        if not text and image:
            text, source = clean_text(" ".join(i.get("alt") or "" for i in imgs)), "alt"
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
        link_path=link_path(stack),
        robots_blocked=blocked,
        error="; ".join(errors),
    )
