"""Where on the page a link sits, decided from its ancestors, and the class/id words that name page regions.

Each element may carry a signal: a region label (``header``, ``navigation``, ``breadcrumb``, ``sidebar``,
``comments``, ``footer``) or "content container", either **strong** (an ARIA role, an HTML landmark element, a
breadcrumb ``aria-label``/``BreadcrumbList``) or **weak** (class/id words as themes write them). The page is read
top-down and each element's signal is merged into the state its descendants inherit:

- between two labels, precedence decides: ``breadcrumb > comments > footer > sidebar > navigation > header``,
  so a menu inside the site header is ``navigation``, a menu widget in a sidebar is ``sidebar``, a menu in the
  footer is ``footer`` and a breadcrumb anywhere is ``breadcrumb``;
- a strong signal below a weak one replaces it (the nearest strong signal wins over a far weak one); a weak
  signal below a strong one only adds what it can say there: a menu in the header, a breadcrumb, and inside a
  content container a sidebar, comments or navigation region;
- ``main``/``role=main`` clears a weak label above it; ``header``/``footer`` elements inside ``article``,
  ``aside``, ``nav`` or ``section`` and ``aside`` inside ``article``/``aside``/``nav``/``section`` are parts of
  that section, not page landmarks (HTML-AAM); header/footer class words inside a content container are too.

Class/id words count only when a token names a region: a whole token such as ``masthead`` or ``widget-area``, or
a compound of qualifiers, one region word and structural words (``site-footer``, ``footer-menu``,
``primary-sidebar-wrap``). Layout modifiers do not: ``l-sidebar-fixed``, ``content-with-sidebar``,
``has-section-nav``, ``header-style-2``, ``url-breadcrumb``, ``td-transition-content-and-menu``; nor do the
generic parts of page builders (``elementor-widget-wrap``). Class words on ``html`` and ``body`` are ignored.
Links under no labelled ancestor are ``content``.

User rules (``LINKCRAWLER_POSITION_RULES``) win over all of this: the nearest ancestor that a user rule
matches decides. A rule key made of letters, digits, ``-`` and ``_`` is a class/id word; anything else is a
CSS selector.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cssselect import HTMLTranslator
from lxml import etree

RANK = {"content": 0, "header": 1, "navigation": 2, "sidebar": 3, "footer": 4, "comments": 5, "breadcrumb": 6}
CONTENT = "content"

# whole class/id tokens that name a region by themselves
TOKENS = {
    "masthead": "header", "topbar": "header", "top-bar": "header", "site-branding": "header", "branding": "header",
    "header": "header", "site-header": "header", "global-header": "header", "gh-head": "header",
    "nav": "navigation", "navbar": "navigation", "menu": "navigation", "navigation": "navigation",
    "pagination": "navigation", "pager": "navigation", "toc": "navigation", "ez-toc-container": "navigation",
    "table-of-contents": "navigation", "skip-link": "navigation", "paginav": "navigation",
    "breadcrumb": "breadcrumb", "breadcrumbs": "breadcrumb", "crumbs": "breadcrumb", "yoast-breadcrumb":
        "breadcrumb", "rank-math-breadcrumb": "breadcrumb", "woocommerce-breadcrumb": "breadcrumb",
    "sidebar": "sidebar", "widget-area": "sidebar", "secondary": "sidebar", "widget": "sidebar",
    "widgets": "sidebar", "rail": "sidebar", "right-rail": "sidebar", "left-rail": "sidebar",
    "comments": "comments", "comment": "comments", "comment-list": "comments", "commentlist": "comments",
    "comments-area": "comments", "comment-respond": "comments", "respond": "comments", "disqus_thread": "comments",
    "comment-body": "comments", "comment-content": "comments", "comment-reply-link": "comments",
    "footer": "footer", "site-footer": "footer", "colophon": "footer", "site-info": "footer", "copyright": "footer",
    "footer-widgets": "footer", "global-footer": "footer", "gh-foot": "footer",
    # content containers, and the parts of an article that carry header/footer words
    "content": CONTENT, "entry-content": CONTENT, "post-content": CONTENT, "article-content": CONTENT,
    "article-body": CONTENT, "post-body": CONTENT, "entry-body": CONTENT, "main-content": CONTENT,
    "site-main": CONTENT, "content-area": CONTENT, "entry-header": CONTENT, "entry-footer": CONTENT,
    "entry-meta": CONTENT, "post-meta": CONTENT, "post-header": CONTENT, "post-footer": CONTENT,
    "article-header": CONTENT, "article-footer": CONTENT, "hentry": CONTENT, "gh-content": CONTENT,
}

# a word that names a region when it heads a compound token ("footer-menu", "main-navigation")
REGION_WORDS = {
    "header": "header", "masthead": "header", "topbar": "header",
    "nav": "navigation", "navbar": "navigation", "navigation": "navigation", "menu": "navigation",
    "menubar": "navigation", "pagination": "navigation", "next": "navigation", "prev": "navigation",
    "breadcrumb": "breadcrumb", "breadcrumbs": "breadcrumb", "crumbs": "breadcrumb",
    "sidebar": "sidebar", "widget": "sidebar", "widgets": "sidebar", "rail": "sidebar",
    "comments": "comments", "comment": "comments",
    "footer": "footer", "colophon": "footer", "copyright": "footer",
    "content": CONTENT,
}
# words that may stand before the region word of a compound: where or which one, or a theme's own prefix
QUALIFIERS = frozenset({
    "site", "page", "global", "main", "primary", "secondary", "tertiary", "top", "bottom", "upper", "lower",
    "left", "right", "mobile", "desktop", "sticky", "off", "canvas", "sub", "mega", "utility", "social", "post",
    "entry", "single", "article", "blog", "theme", "inner", "outer", "header", "footer", "sidebar", "nav",
    "navbar", "menu", "widget", "default", "horizontal", "vertical", "dropdown", "wp", "ast", "td", "gh", "jeg",
    "tie", "et", "fl", "kadence", "generate", "nv", "ct", "jnews", "mh", "elementor", "ht", "site-footer",
})
# words that may follow the region word: the part of the region an element is
STRUCTURAL = frozenset({
    "area", "areas", "wrap", "wrapper", "container", "inner", "outer", "section", "region", "bar", "block",
    "blocks", "box", "links", "link", "list", "items", "item", "menu", "nav", "navigation", "widget", "widgets",
    "left", "right", "top", "bottom", "primary", "secondary", "main", "col", "column", "columns", "content",
    "row", "rows", "holder", "panel", "zone", "part", "group", "inside", "body", "info",
    "sidebar", "footer", "header", "upper", "lower", "first", "second", "third", "one", "two", "three",
    "four", "cta", "text", "copyright", "credits", "social", "ul", "contents",
    "branding", "logo", "desktop", "mobile", "full", "width", "fullwidth", "simple", "default",
})
# page builders whose class names use region words generically ("elementor-widget" is any element)
BUILDER_PREFIXES = ("elementor", "et_pb", "fl", "vc", "wpb", "fusion", "brxe", "kb", "uagb", "wp-block")
BUILDER_TOKENS = {
    "elementor-location-header": "header", "elementor-location-footer": "footer",
    "elementor-nav-menu": "navigation", "elementor-widget-nav-menu": "navigation",
    "elementor-nav-menu--main": "navigation", "elementor-widget-breadcrumbs": "breadcrumb",
    "elementor-widget-sidebar": "sidebar", "elementor-widget-post-comments": "comments",
    "elementor-widget-theme-post-content": CONTENT, "wp-block-navigation": "navigation",
    "elementor-post-navigation": "navigation", "elementor-widget-post-navigation": "navigation",
    "wp-block-template-part": None, "wp-block-post-content": CONTENT, "wp-block-comments": "comments",
    "et_pb_menu": "navigation", "et_pb_sidebar": "sidebar", "et_pb_post_content": CONTENT,
    "fusion-footer": "footer", "fusion-header": "header",
}

# tokens of a link to the comments (in an article's byline), not of the comments section
NOT_REGIONS = frozenset({"comments-link", "comment-link", "comments-count", "comment-count", "comments-number",
                         "comment-number", "comments-counter"})
# tokens of the site's logo or name: header, even inside a navigation bar
LOGO_TOKENS = frozenset({"logo", "site-logo", "custom-logo-link", "site-title", "navbar-brand", "brand", "logo-link",
                         "site-name", "site-branding", "header-logo", "main-logo"})
LOGO = "logo"
SECTION_META = "meta"

_SPLIT = re.compile(r"[-_]+")
_DIGITS = re.compile(r"\d+")
_WORD_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_IGNORED_CLASS_TAGS = frozenset({"html", "body"})
_SECTIONING = frozenset({"article", "aside", "nav", "section"})

ROLES = {
    "banner": "header",
    "navigation": "navigation",
    "complementary": "sidebar",
    "contentinfo": "footer",
    "main": CONTENT,
    "comment": "comments",
    "doc-toc": "navigation",
}
TAGS = {"header": "header", "footer": "footer", "nav": "navigation", "aside": "sidebar"}


def best(a: str | None, b: str | None) -> str | None:
    """The label of higher precedence."""
    if a is None:
        return b
    if b is None:
        return a
    return a if RANK[a] >= RANK[b] else b


# words that make a token a layout or state modifier, not the name of a block ("has-sidebar", "header-style-2",
# "content-with-sidebar", "type-post"); and BEM-style layout prefixes ("l-sidebar-fixed")
MODIFIER_WORDS = frozenset({
    "has", "is", "no", "not", "with", "without", "and", "style", "styles", "layout", "type", "format",
    "status", "color", "colour", "size", "align", "transition", "sticky", "fixed", "hidden", "show", "hide",
    "toggle", "toggled", "active", "open", "closed", "scheme", "skin", "variant", "version", "width", "height",
})
LAYOUT_PREFIXES = frozenset({"l", "layout", "grid", "col", "row", "flex", "span"})


def token_words(token: str) -> list[str] | None:
    """The words of a class/id token (lower case, split on ``-``/``_``, digits dropped), or None when the token
    is a layout modifier or a page builder's generic part rather than the name of a block."""
    if token.startswith(BUILDER_PREFIXES):
        return None
    token = token.partition("--")[0].partition("__")[0]  # a BEM name: the block names the region
    words = [w for w in _SPLIT.split(_DIGITS.sub("", token)) if w]
    if not words or words[0] in LAYOUT_PREFIXES or any(w in MODIFIER_WORDS for w in words):
        return None
    return words


def token_label(token: str) -> str | None:
    """The region a single class/id token names (lower case), or None: a whole known token, a page builder's
    region token, or a compound of qualifiers, one region word and structural words."""
    hit = TOKENS.get(token)
    if hit is not None:
        return hit
    if token in NOT_REGIONS:
        return None
    if token in BUILDER_TOKENS:
        return BUILDER_TOKENS[token]
    words = token_words(token)
    if words is None:
        return None
    for i, word in enumerate(words):
        label = REGION_WORDS.get(word)
        if label is None:
            if word not in QUALIFIERS:
                return None
            continue
        if all(w in STRUCTURAL or w in REGION_WORDS for w in words[i + 1:]):
            return label
        return None
    return None


def word_label(tokens: list[str] | tuple[str, ...]) -> str | None:
    """The label that class/id tokens give by themselves, or None (the highest-ranked region they name;
    a content container only when they name no region)."""
    label = None
    content = False
    for token in tokens:
        hit = token_label(token)
        if hit == CONTENT:
            content = True
        elif hit is not None:
            label = best(label, hit)
    return label if label is not None else (CONTENT if content else None)


def _tokens(el: etree._Element) -> list[str]:
    tokens = (el.get("class") or "").lower().split()
    ident = el.get("id")
    if ident:
        tokens.append(ident.strip().lower())
    return tokens


# A signal is ``(label, strong, main)``: what one element says about its region — a label (or CONTENT for a
# content container, LOGO for the site's logo, SECTION_META for an article's own header or footer), whether it is
# strong (an ARIA role, landmark element or breadcrumb marker) rather than class or id words, and whether it is
# main / role=main (which clears weak labels above it).
# A state is ``(label, strong, in_content, in_meta)``: the region an element's descendants inherit, whether they
# are inside main/article, and inside an article's own header or footer. Both are plain tuples: the walk merges
# one per element, and merges are cached.
START = (None, False, False, False)


@lru_cache(maxsize=8192)
def signal(tag: str, cls: str, ident: str, role: str, aria: str, itemtype: str, scoped: bool) -> tuple | None:
    """The signal an element gives by role, aria-label, itemtype, tag or class/id words; ``scoped``: it sits
    inside article/aside/nav/section (its header, footer and aside are that section's)."""
    if role:
        label = ROLES.get(role.split()[0].lower()) if role.strip() else None
        if label is not None:
            return (label, True, label == CONTENT)
    if "breadcrumb" in aria.lower() or "BreadcrumbList" in itemtype:
        return ("breadcrumb", True, False)
    tokens = cls.lower().split() + ([ident.strip().lower()] if ident.strip() else [])
    if tokens and not LOGO_TOKENS.isdisjoint(tokens) and tag not in _IGNORED_CLASS_TAGS:
        return (LOGO, True, False)
    label = TAGS.get(tag)
    if label is not None and scoped and tag != "nav":
        # a section's own header/footer/aside; an article's header and footer hold its byline and meta
        return (SECTION_META, True, False) if tag != "aside" else None
    words = word_label(tokens) if tokens and tag not in _IGNORED_CLASS_TAGS else None
    if words == CONTENT:
        words = None  # class words of a content container are too often page-wide wrappers to scope anything
    if words == "breadcrumb":  # a breadcrumb class says more than the nav or list it is on
        return ("breadcrumb", label is not None, False)
    if label is not None:
        return (label, True, False)
    if tag == "main":
        return (CONTENT, True, True)
    if tag == "article":
        return (CONTENT, True, False)
    if words is not None:
        return (words, False, False)
    return None


def own_signal(el: etree._Element, tag: str, scoped: bool) -> tuple | None:
    """:func:`signal` of an element."""
    return signal(tag, el.get("class") or "", el.get("id") or "", el.get("role") or "", el.get("aria-label") or "",
                  el.get("itemtype") or "", scoped)


_MERGED: dict[tuple, tuple] = {}


def merge(state: tuple, sig: tuple | None) -> tuple:
    """The state below an element with signal ``sig`` under an ancestor state ``state`` (module docstring)."""
    if sig is None:
        return state
    key = (state, sig)
    merged = _MERGED.get(key)
    if merged is None:
        merged = _MERGED[key] = _merge(state, sig)
    return merged


def _merge(state: tuple, sig: tuple) -> tuple:
    label, strong, main = sig
    current, current_strong, in_content, in_meta = state
    if label == CONTENT:
        if main and not current_strong:
            return (None, True, True, in_meta)
        return state if in_content else (current, current_strong, True, in_meta)
    if label == SECTION_META:
        return (current, current_strong, in_content, True)
    if label == LOGO:
        return ("header", True, in_content, in_meta) if current in (None, "header", "navigation") else state
    if current is None:
        if not strong and ((in_content and label in ("header", "footer")) or (in_meta and label == "comments")):
            return state  # an article's own header or footer, or a link to its comments in the byline
        return (label, strong, in_content, in_meta)
    if strong:
        winner = best(current, label)
        return (winner, current_strong or winner == label, in_content, in_meta)
    if current_strong:
        # a weak word under a strong landmark only says what the landmark leaves open
        if label == "breadcrumb" or (current == "header" and label == "navigation"):
            return (label, True, in_content, in_meta)
        return state
    if in_content and label in ("header", "footer"):
        return state
    return (best(current, label), False, in_content, in_meta)


@dataclass(frozen=True)
class UserRules:
    """The user's position rules, compiled once per crawl."""

    words: Mapping[str, str]
    selectors: tuple[tuple[etree.XPath, str], ...]

    @classmethod
    def compile(cls, rules: Mapping[str, str]) -> UserRules:
        words: dict[str, str] = {}
        selectors = []
        translator = HTMLTranslator()
        for key, position in rules.items():
            if _WORD_KEY.match(key):
                words[key.lower()] = position
            else:
                selectors.append((etree.XPath(translator.css_to_xpath(key)), position))
        return cls(words, tuple(selectors))

    def matches(self, root: etree._Element) -> dict[etree._Element, str]:
        """Elements of this document matched by the CSS selector rules (the later rule wins a tie)."""
        found: dict[etree._Element, str] = {}
        for xpath, position in self.selectors:
            for el in xpath(root):
                found[el] = position
        return found

    def word(self, el: etree._Element) -> str | None:
        if not self.words:
            return None
        for token in _tokens(el):
            hit = self.words.get(token)
            if hit:
                return hit
            for word in _SPLIT.split(token):
                hit = self.words.get(word)
                if hit:
                    return hit
        return None


NO_RULES = UserRules({}, ())
