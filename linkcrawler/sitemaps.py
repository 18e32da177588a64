"""Sitemaps: the URLs a site says it has, from robots.txt ``Sitemap:`` lines and ``/sitemap.xml``.

Parsing uses Scrapy's own :class:`scrapy.utils.sitemap.Sitemap` (urlsets and sitemap indexes) and gunzip.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

logger = logging.getLogger(__name__)

MAX_SITEMAPS = 1000  # sitemap files read at most, indexes included
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the protocol's limit for one (uncompressed) sitemap


def parse_sitemap(body: bytes) -> tuple[str, list[str]]:
    """``(type, locs)`` of a sitemap body, gzip or not: type is ``urlset`` or ``sitemapindex`` ('' when unusable)."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
    try:
        sitemap = Sitemap(body)
    except Exception:  # noqa: BLE001 - a broken sitemap is logged and skipped
        return "", []
    return sitemap.type or "", [entry["loc"].strip() for entry in sitemap if entry.get("loc")]


async def collect(roots: Iterable[str], fetch: Callable[[str], Awaitable[bytes | None]], limit: int) -> list[str]:
    """Page URLs listed by the sitemaps at ``roots``, following sitemap indexes; at most ``limit`` URLs."""
    queue, seen, urls = list(dict.fromkeys(roots)), set(), dict()
    while queue and len(seen) < MAX_SITEMAPS and (not limit or len(urls) < limit):
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        body = await fetch(url)
        if not body:
            continue
        kind, locs = parse_sitemap(body)
        if kind == "sitemapindex":
            queue.extend(loc for loc in locs if loc not in seen)
        elif kind == "urlset":
            urls.update(dict.fromkeys(locs))
        else:
            logger.warning("Not a sitemap: %s", url)
    found = list(urls)
    return found[:limit] if limit else found
