"""Where on the page a link sits, decided from its ancestors.

Each ancestor may carry a label, from (in this order of trust) a user rule, an ARIA role or
``aria-label``/``itemtype``, the element's tag (HTML5 landmarks), or its class/id words as common CMS themes
write them. The labels of all ancestors are merged by precedence:

    breadcrumb > comments > footer > header > sidebar > navigation > content

so a ``nav`` inside a footer is ``footer``, a menu widget in a sidebar is ``sidebar``, and a breadcrumb in the
header is ``breadcrumb``. A ``header``/``footer``/``aside`` element (or header/footer class word) inside a
content container (``main``, ``article``, ``role=main``, ``entry-content``…) belongs to that content, as in the
ARIA mapping of HTML landmarks, so an article's own footer is ``content``. Class words on ``html`` and
``body`` are ignored: they describe the layout (``has-sidebar``), not a region. Links under no labelled
ancestor are ``content``.

User rules (``LINKCRAWLER_POSITION_RULES``) win over all of this: the nearest ancestor that a user rule
matches decides. A rule key made of letters, digits, ``-`` and ``_`` is a class/id word; anything else is a
CSS selector.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cssselect import HTMLTranslator
from lxml import etree

RANK = {"content": 0, "navigation": 1, "sidebar": 2, "header": 3, "footer": 4, "comments": 5, "breadcrumb": 6}

TAGS = {"header": "header", "footer": "footer", "nav": "navigation", "aside": "sidebar"}
# tag labels that only count outside a content container (HTML-AAM landmark scoping)
SCOPED = {"header", "footer", "sidebar"}
CONTENT_TAGS = {"main", "article"}

ROLES = {
    "banner": "header",
    "navigation": "navigation",
    "complementary": "sidebar",
    "contentinfo": "footer",
    "main": "content",
    "article": "content",
    "comment": "comments",
}

# whole class/id tokens
TOKENS = {
    # header
    "header": "header", "site-header": "header", "masthead": "header", "page-header": "header",
    "topbar": "header", "top-bar": "header", "site-branding": "header", "global-header": "header",
    # navigation
    "nav": "navigation", "navbar": "navigation", "menu": "navigation", "navigation": "navigation",
    "main-navigation": "navigation", "main-nav": "navigation", "site-navigation": "navigation",
    "primary-menu": "navigation", "nav-menu": "navigation", "mega-menu": "navigation",
    "pagination": "navigation", "nav-links": "navigation", "post-navigation": "navigation",
    "pager": "navigation", "toc": "navigation",
    # breadcrumb
    "breadcrumb": "breadcrumb", "breadcrumbs": "breadcrumb", "breadcrumb-trail": "breadcrumb",
    "yoast-breadcrumb": "breadcrumb", "yoast-breadcrumbs": "breadcrumb", "rank-math-breadcrumb": "breadcrumb",
    "woocommerce-breadcrumb": "breadcrumb", "crumbs": "breadcrumb",
    # sidebar
    "sidebar": "sidebar", "widget-area": "sidebar", "secondary": "sidebar", "widget": "sidebar",
    "widgets": "sidebar", "side-bar": "sidebar", "rail": "sidebar",
    # comments
    "comments": "comments", "comment": "comments", "comment-list": "comments", "commentlist": "comments",
    "comments-area": "comments", "comment-respond": "comments", "respond": "comments",
    "disqus_thread": "comments", "comment-body": "comments", "comment-content": "comments",
    # footer
    "footer": "footer", "site-footer": "footer", "colophon": "footer", "site-info": "footer",
    "footer-widgets": "footer", "global-footer": "footer",
    # content containers, and the parts of an article that carry header/footer words
    "entry-content": "content", "post-content": "content", "article-content": "content",
    "article-body": "content", "post-body": "content", "entry-body": "content", "main-content": "content",
    "site-main": "content", "content-area": "content", "entry-header": "content", "entry-footer": "content",
    "entry-meta": "content", "post-meta": "content", "post-header": "content", "post-footer": "content",
    "article-header": "content", "article-footer": "content", "hentry": "content",
}

# words inside a token such as "footer-menu" or "sidebar_left", for tokens not listed whole
WORDS = {
    "header": "header", "masthead": "header",
    "nav": "navigation", "navbar": "navigation", "menu": "navigation", "navigation": "navigation",
    "breadcrumb": "breadcrumb", "breadcrumbs": "breadcrumb",
    "sidebar": "sidebar", "widget": "sidebar", "widgets": "sidebar",
    "comments": "comments", "comment": "comments",
    "footer": "footer", "colophon": "footer",
}

_SPLIT = re.compile(r"[-_]+")
_WORD_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_IGNORED_CLASS_TAGS = {"html", "body"}


def best(a: str | None, b: str | None) -> str | None:
    """The label of higher precedence."""
    if a is None:
        return b
    if b is None:
        return a
    return a if RANK[a] >= RANK[b] else b


def _tokens(el: etree._Element) -> list[str]:
    tokens = (el.get("class") or "").lower().split()
    ident = el.get("id")
    if ident:
        tokens.append(ident.strip().lower())
    return tokens


def word_label(tokens: list[str]) -> str | None:
    """The label that class/id tokens give by themselves, or None."""
    label = None
    for token in tokens:
        hit = TOKENS.get(token)
        if hit is None:
            for word in _SPLIT.split(token):
                hit = best(hit, WORDS.get(word))
        label = best(label, hit)
    return label


@dataclass(frozen=True)
class Own:
    """What one element says about its region: a label, and whether it is a content container."""

    label: str | None
    content: bool
    scoped: bool  # the label only counts outside a content container


NONE = Own(None, False, False)


def own_region(el: etree._Element, tag: str) -> Own:
    """The region an element marks by role, aria-label, itemtype, tag or class/id words."""
    role = el.get("role")
    if role:
        label = ROLES.get(role.strip().lower())
        if label:
            return Own(label, label == "content", False)
    aria = (el.get("aria-label") or "").lower()
    if "breadcrumb" in aria or "BreadcrumbList" in (el.get("itemtype") or ""):
        return Own("breadcrumb", False, False)
    label = TAGS.get(tag)
    scoped = label in SCOPED
    content = tag in CONTENT_TAGS
    if tag not in _IGNORED_CLASS_TAGS and (el.get("class") or el.get("id")):
        words = word_label(_tokens(el))
        if words == "content":
            content = True
        elif words is not None and (label is None or RANK[words] > RANK[label]):
            # an explicit sidebar class counts anywhere; header/footer words inside an article do not
            label, scoped = words, words in ("header", "footer")
    if label is None and not content:
        return NONE
    return Own(label, content, scoped)


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
