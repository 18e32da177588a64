"""Sitemaps: the URLs a site says it has, from robots.txt ``Sitemap:`` lines and ``/sitemap.xml``.

Parsing uses Scrapy's own :class:`scrapy.utils.sitemap.Sitemap` (urlsets and sitemap indexes; entities are not
resolved). A sitemap that cannot be used (not http(s), not fetched, a corrupt or truncated gzip, more than
50 MB once decompressed, not a sitemap) is an error recorded by the caller, never the end of the crawl: the
other sitemaps are read all the same.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.utils.sitemap import Sitemap

logger = logging.getLogger(__name__)

MAX_SITEMAPS = 1000  # sitemap files read at most, indexes included
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the protocol's limit for one (uncompressed) sitemap
_CHUNK = 64 * 1024


class SitemapError(Exception):
    """A sitemap that cannot be used: ``word`` from :data:`linkcrawler.errors.ERRORS`, and what was seen."""

    def __init__(self, word: str, detail: str = "") -> None:
        super().__init__(f"{word}: {detail}" if detail else word)
        self.word = word
        self.detail = detail


def gunzip(body: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """A gzip body decompressed, at most ``limit`` bytes of it; SitemapError when it is corrupt or truncated
    (Scrapy's gunzip keeps what a truncated file gave, silently) or would be larger (a decompression bomb)."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out, size, data = [], 0, body
    try:
        while not inflate.eof:
            chunk = inflate.decompress(data, _CHUNK)
            data = inflate.unconsumed_tail
            if not chunk and not data:  # all input read, no output pending: the stream ends early
                break
            size += len(chunk)
            if size > limit:
                raise SitemapError("size limit", f"more than {limit:,} bytes once decompressed")
            out.append(chunk)
    except zlib.error as exc:
        raise SitemapError("bad gzip", str(exc)) from None
    if not inflate.eof:
        raise SitemapError("bad gzip", f"the gzip data ends early ({size:,} bytes decompressed)")
    return b"".join(out)


def parse_sitemap(body: bytes) -> tuple[str, list[str]]:
    """``(type, locs)`` of a sitemap body, gzip or not: type is ``urlset`` or ``sitemapindex``; SitemapError
    when the body is not a usable sitemap."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body)
    elif len(body) > MAX_SITEMAP_BYTES:
        raise SitemapError("size limit", f"{len(body):,} bytes")
    try:
        sitemap = Sitemap(body)
        locs = [entry["loc"].strip() for entry in sitemap if entry.get("loc")]
    except Exception as exc:  # noqa: BLE001 - lxml's errors on hostile XML are many; each is a broken sitemap
        raise SitemapError("not a sitemap", str(exc)[:200]) from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise SitemapError("not a sitemap", f"root element <{sitemap.type}>")
    return sitemap.type, locs


def _join(base: str, loc: str) -> str:
    """The protocol wants absolute URLs; a path is read relative to its sitemap."""
    try:
        return urljoin(base, loc)
    except ValueError:  # a bad IPv6 literal: the entry stays as written, and is left out later
        return loc


def _http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def collect(roots: Iterable[str], fetch: Callable[[str], Awaitable[bytes | None]], limit: int,
                  errors: list[dict[str, Any]]) -> list[str]:
    """Page URLs listed by the sitemaps at ``roots``, following sitemap indexes; at most ``limit`` URLs.

    ``fetch`` returns a sitemap's body, None when it is absent as it may be, or raises SitemapError. Each
    sitemap that cannot be used is appended to ``errors`` (``url``, ``error``, ``detail``) and logged.
    """
    queue, seen, urls = list(dict.fromkeys(roots)), set(), dict()
    while queue and len(seen) < MAX_SITEMAPS and (not limit or len(urls) < limit):
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            if not _http(url):
                raise SitemapError("unsupported scheme", "a sitemap is read over http(s) only")
            body = await fetch(url)
            if body is None:
                continue
            kind, found = parse_sitemap(body)
            locs = [_join(url, loc) for loc in found]
        except SitemapError as exc:
            errors.append({"url": url, "error": exc.word, "detail": exc.detail})
            logger.warning("Sitemap %s not read: %s", url, exc)
            continue
        if kind == "sitemapindex":
            queue.extend(loc for loc in locs if loc not in seen)
        else:
            urls.update(dict.fromkeys(locs))
    found = list(urls)
    return found[:limit] if limit else found
