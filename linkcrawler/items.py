"""The records the crawl produces. Field names are the column names of the tables, workbook and README."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(slots=True)
class Link:
    """One ``<a href>`` or ``<area href>`` occurrence on a page, in document order."""

    page: str
    index: int  # 1-based position of the link among the page's links
    tag: str  # a | area
    href: str  # the attribute as written (control characters removed)
    url: str  # absolute, resolved against <base href>, without fragment
    fragment: str
    kind: str  # internal | external | affiliate | mailto | tel | javascript | other | invalid
    affiliate_rule: str  # why it is affiliate: domain:…, param:…, path:…, pattern:…
    rel: str  # lower-case tokens, space-separated, as written
    follow: bool
    target: str
    anchor: str
    anchor_source: str  # text | alt | title | aria-label | none
    image: bool  # the link wraps an <img>
    text_before: str  # the words just before the link in its block (for a text fragment to find it)
    text_after: str  # the words just after it
    position: str  # header | navigation | breadcrumb | content | sidebar | comments | footer
    editorial: bool  # part of the page's own main text
    link_path: str  # XPath of the element
    robots_blocked: bool  # internal URL disallowed by robots.txt: recorded, not fetched
    error: str
    # filled in when the crawl ends: the same link in the same place on other pages, and the target's answer
    template: bool = False  # repeated across pages by the site's theme (see linkcrawler.template)
    sitewide_pages: int | None = None  # pages with the same link in the same place
    status: int | None = None
    final_url: str = ""
    final_status: int | None = None
    result: str = ""


@dataclass(slots=True)
class Page:
    """One fetched URL of the site: an HTML page, another document, or a failed fetch."""

    url: str
    status: int | None = None
    depth: int | None = 0  # clicks from the start URL; empty for sitemap URLs no link reaches
    referrer: str = ""  # the first page found linking here ("sitemap" for sitemap URLs no link reaches)
    title: str = ""
    content_type: str = ""
    size: int | None = None  # bytes of the body
    canonical: str = ""
    meta_robots: str = ""
    x_robots_tag: str = ""
    noindex: bool = False
    nofollow: bool = False
    words: int | None = None  # words of the main text (the page's own text)
    editorial_link_words: int | None = None  # of those, words inside links
    text_hash: str = ""  # hash of the main text: pages with the same one are duplicates of each other
    outlinks: int = 0
    internal_outlinks: int = 0
    external_outlinks: int = 0
    affiliate_outlinks: int = 0
    nofollow_outlinks: int = 0
    header_links: int = 0
    navigation_links: int = 0
    breadcrumb_links: int = 0
    content_links: int = 0
    sidebar_links: int = 0
    comments_links: int = 0
    footer_links: int = 0
    editorial_links: int = 0  # links in the main text
    internal_editorial_links: int = 0  # of those, internal links
    template_links: int | None = None  # links the site's theme repeats across pages, filled in when the crawl ends
    links_over_limit: int = 0  # links past LINKCRAWLER_MAX_LINKS_PER_PAGE: counted, not recorded
    response_ms: float | None = None
    redirect_target: str = ""
    error: str = ""
    inlinks: int | None = None  # internal link occurrences on other pages, filled in when the crawl ends
    unique_inlinks: int | None = None  # distinct other pages linking here, filled in when the crawl ends
    in_sitemap: bool | None = None  # listed in the site's sitemaps, filled in when the crawl ends
    # the other crawled page (2xx) this page declares canonical: a duplicate of it; filled in when the crawl ends
    canonical_of: str = ""


@dataclass(slots=True)
class PageItem:
    """What the spider yields for each fetched URL: the page row and its link rows."""

    page: Page
    links: list[Link] = field(default_factory=list)


LINK_COLUMNS = tuple(f.name for f in fields(Link))
PAGE_COLUMNS = tuple(f.name for f in fields(Page))
