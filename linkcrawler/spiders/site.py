"""The ``site`` spider: crawls one website and yields a :class:`~linkcrawler.items.PageItem` per fetched URL."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from linkcrawler.classify import Classifier
from linkcrawler.config import DEFAULTS, POSITIONS, SCRAPY_DEFAULTS, Config
from linkcrawler.distributed import NEW_CHECK, Claims, RedisCrawl, worker_settings
from linkcrawler.errors import error_class, error_detail
from linkcrawler.extract import extract, parse_page
from linkcrawler.items import Page, PageItem
from linkcrawler.position import UserRules
from linkcrawler.robots import parse_robots
from linkcrawler.sitemaps import SitemapError, collect
from linkcrawler.targets import (
    BOT_REFUSED,
    HEAD_REFUSED,
    Target,
    bot_protection,
    chain_text,
    follow_location,
    now_iso,
    result_of,
)

logger = logging.getLogger(__name__)

DEFAULTS_PRIORITY = 5
PAGE_META = {"dont_redirect": True, "handle_httpstatus_all": True, "dont_obey_robotstxt": True}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


USAGE = "scrapy crawl site -a url=https://www.example.com/"


def check_start_url(url: str | None, usage: str = USAGE) -> str:
    """The start URL, when it is an absolute http(s) URL with a host; else ValueError with a one-line message
    saying how to call the crawl (``usage``). A URL without a scheme is a mistake to point out, not a guess."""
    if not url:
        raise ValueError(f"say which site to crawl: {usage}")
    parts = urlsplit(url.strip())
    if "://" not in url:
        raise ValueError(f"the start URL {url!r} has no scheme: write http://{url} or https://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {url!r} ({usage})")
    return url.strip()


def _depth(meta: dict[str, Any]) -> int | None:
    """Clicks from the start URL; None for a sitemap URL that no link reaches."""
    return None if meta.get("linkcrawler_orphan") else meta.get("depth", 0)


class SiteSpider(scrapy.Spider):
    """Crawl every page of the site at ``url`` (same host and port) and record every link on it.

    Usage: ``scrapy crawl site -a url=https://example.com/``.
    """

    name = "site"

    def __init__(self, url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = safe_url_string(check_start_url(url))
        self.run_folder = None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Apply SCRAPY_DEFAULTS and DEFAULTS under the project's and the command line's settings.

        The priority sits between Scrapy's "default" (0) and "command" (10): ``scrapy crawl`` merges the process
        settings into the crawler's again, which would undo values set at "default".
        """
        super().update_settings(settings)
        for name, value in {**SCRAPY_DEFAULTS, **DEFAULTS}.items():
            settings.set(name, value, priority=DEFAULTS_PRIORITY)
        redis_url = settings.get("LINKCRAWLER_REDIS_URL")
        if redis_url:  # a worker of a shared crawl: scrapy-redis's queue and duplicate filter
            for name, value in worker_settings().items():
                settings.set(name, value, priority=DEFAULTS_PRIORITY)
            settings.set("REDIS_URL", redis_url, priority=settings.getpriority("LINKCRAWLER_REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = Config.from_settings(crawler.settings)
        spider.classifier = Classifier.for_site(spider.start_url, spider.config)
        spider.rules = UserRules.compile(spider.config.position_rules)
        spider.robots = None
        spider.robots_note = ""  # what was unusual about the site's robots.txt (a 5xx answer, its size)
        spider.robots_agent = crawler.settings.get("USER_AGENT") or "*"
        # one decision per URL: site-wide menus repeat the same links on every page
        spider.robots_allowed = lru_cache(maxsize=4_096)(spider._robots_allowed)
        spider.url_limit = crawler.settings.getint("URLLENGTH_LIMIT")
        spider.frontier: list[tuple[str, str, int]] = []  # (url, referrer, depth) to requeue on resume
        spider.pending_checks: list[tuple[str, str]] = []  # (url, kind) to check on resume
        if spider.config.redis_url:
            if crawler.settings.get("JOBDIR"):
                raise ValueError("JOBDIR and LINKCRAWLER_REDIS_URL do not go together: a shared crawl keeps its "
                                 "queue in Redis, and starting a worker again with the same LINKCRAWLER_REDIS_CRAWL "
                                 "resumes it")
            spider.claims = RedisCrawl.from_crawler(crawler, spider.start_url)
            crawler.signals.connect(spider.claims.join, signal=signals.spider_opened)
        else:
            spider.claims = Claims(spider.config.max_pages)
        # the claims dedupe page requests; Scrapy's duplicate filter would keep a second fingerprint per URL.
        # It still runs where it is the shared or resumable record: a shared crawl's queue, and JOBDIR
        spider.filter_pages = bool(spider.config.redis_url or crawler.settings.get("JOBDIR"))
        spider.check_include = [re.compile(p) for p in spider.config.check_include]
        spider.check_exclude = [re.compile(p) for p in spider.config.check_exclude]
        spider.sitemap_urls: set[str] = set()
        spider.sitemap_errors: list[dict[str, Any]] = []
        spider.start_done = False
        crawler.signals.connect(spider.headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if self.claims.distributed:
            if self.claims.late:
                return
            await self._probe_start()
        if self.settings.getbool("ROBOTSTXT_OBEY"):
            await self._load_robots()
        if self.config.sitemaps:
            await self._load_sitemaps()
        request = self.page_request(self.start_url, referrer="")
        if request is not None:
            yield request
        elif len(self.start_url) > self.url_limit:
            yield PageItem(Page(url=self.start_url, error="url too long"))
        for url, referrer, depth in self.frontier:  # a resumed crawl's pages found but not fetched before
            request = self.page_request(url, referrer, depth) if self.robots_allowed(url) else None
            if request is not None:
                request.meta["depth"] = depth
                request.priority = -depth * self.settings.getint("DEPTH_PRIORITY")
                yield request
        for url, kind in self.pending_checks:
            for item in self.check(url, kind):
                yield item
        self.frontier, self.pending_checks = [], []
        self.start_done = True  # everything start() asks for is in Scrapy's queue (saved in JOBDIR on a clean stop)

    async def _fetch(self, url: str) -> Response:
        """A file of the site (robots.txt, a sitemap) outside the crawl's queue. Its redirects are followed by
        Scrapy's RedirectMiddleware (http(s) only; each hop through the address guard)."""
        return await self.crawler.engine.download_async(Request(url, meta={"dont_obey_robotstxt": True},
                                                                priority=1))

    async def _fetch_sitemap(self, url: str, optional: bool) -> bytes | None:
        """A sitemap's body; None when an ``optional`` one (``/sitemap.xml``, not named anywhere) is absent."""
        try:
            response = await self._fetch(url)
        except Exception as exc:  # noqa: BLE001 - recorded as the sitemap's error
            raise SitemapError(error_class(exc), error_detail(exc)) from None
        if response.status == 200:
            return response.body
        if optional and 400 <= response.status < 500:
            return None
        raise SitemapError("bad status", f"answered {response.status}")

    async def _probe_start(self) -> None:
        """A worker may never fetch the start page itself: it learns from one request whether the site moved
        to another host (apex → www and back), as the worker that crawls the start page does."""
        try:
            response = await self.crawler.engine.download_async(Request(self.start_url, meta=PAGE_META, priority=1))
        except Exception as exc:  # noqa: BLE001 - the crawl reports the start page's error itself
            logger.info("Could not fetch %s (%s)", self.start_url, error_class(exc))
            return
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            target, parts, error = follow_location(response.url, location.decode("latin-1"), self.url_limit)
            if not error:
                self._adopt_moved_host(target, parts)

    def _adopt_moved_host(self, target: str, parts: Any) -> None:
        """The start URL redirects to the same host with or without ``www.``: the site is where it landed."""
        if (
            parts.scheme in ("http", "https")
            and not self.classifier.is_internal(parts)
            and (parts.hostname or "").removeprefix("www.")
            == (urlsplit(self.start_url).hostname or "").removeprefix("www.")
        ):
            self.classifier = self.classifier.with_host(target)
            logger.info("Start URL redirects to %s; crawling that host too", target)

    async def _load_sitemaps(self) -> None:
        """Read the site's sitemaps; their URLs are crawled once the links are (see ``spider_idle``). A sitemap
        that cannot be read is recorded in ``sitemap_errors`` (run.json) and logged; the crawl goes on."""
        robots_url = urljoin(self.start_url, "/robots.txt")
        default = urljoin(self.start_url, "/sitemap.xml")
        try:
            roots = [urljoin(robots_url, u) for u in self.robots.sitemaps] if self.robots is not None else []
            urls = await collect([*roots, default], lambda url: self._fetch_sitemap(url, url == default),
                                 self.config.max_pages, self.sitemap_errors)
            self.sitemap_urls = {u for u in map(self._sitemap_page, urls) if u}
        except Exception as exc:  # noqa: BLE001 - sitemaps are never the end of the crawl
            logger.warning("Could not read the sitemaps", exc_info=True)
            self.sitemap_errors.append({"url": default, "error": "failed", "detail": type(exc).__name__})
        if self.sitemap_urls:
            logger.info("Sitemaps list %d URLs of the site", len(self.sitemap_urls))

    def _sitemap_page(self, loc: str) -> str:
        """A sitemap entry as a URL of the site to crawl, or '' (another site, not http(s), unusable)."""
        try:
            url = safe_url_string(loc)
            parts = urlsplit(url)
            return url if parts.scheme in ("http", "https") and self.classifier.is_internal(parts) else ""
        except ValueError:
            return ""

    def spider_idle(self) -> None:
        """When the links are crawled (by every worker of a shared crawl), fetch the sitemap URLs no link
        reached: they are orphans. A worker whose queue ran dry waits while others still work."""
        if not self.claims.crawl_idle():
            # look at the shared queue again in a second rather than at Scrapy's 5-second engine heartbeat
            nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
            if nextcall is not None:
                nextcall.schedule(1)
            raise DontCloseSpider
        if not self.sitemap_urls or not self.claims.claim_sitemaps():
            return
        scheduled = 0
        for url in sorted(u for u in self.sitemap_urls if self.robots_allowed(u)):
            request = self.page_request(url, referrer="sitemap", depth=0)
            if request is not None:
                request.meta["linkcrawler_orphan"] = True
                self.crawler.engine.crawl(request)
                scheduled += 1
        if scheduled:
            logger.info("Crawling %d sitemap URLs that no link reaches", scheduled)
            raise DontCloseSpider

    async def _load_robots(self) -> None:
        """Fetch the site's robots.txt once (its redirects followed), so that links it disallows are marked and
        not requested; read by RFC 9309 (:mod:`linkcrawler.robots`: a 5xx answer disallows everything)."""
        url = urljoin(self.start_url, "/robots.txt")
        try:
            response = await self._fetch(url)
        except Exception as exc:  # noqa: BLE001 - no robots.txt to obey: the pages say what the site does
            logger.info("Could not fetch %s (%s): nothing disallowed", url, error_class(exc))
            return
        self.robots, self.robots_note = parse_robots(response.status, response.body)
        if self.robots_note:
            logger.warning("%s: %s", response.url, self.robots_note)

    def restore(self, page_urls: Iterable[str], target_urls: Iterable[str],
                frontier: Iterable[tuple[str, str, int]] = (), checks: Iterable[tuple[str, str]] = ()) -> None:
        """Resuming from JOBDIR: URLs fetched and targets checked before the interruption are not asked for again;
        after a crash (Scrapy's queue lost) the ``frontier`` pages and the pending ``checks`` are asked for."""
        self.claims.restore(page_urls, target_urls)
        self.frontier, self.pending_checks = list(frontier), list(checks)

    def _robots_allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.can_fetch(url, self.robots_agent)

    def page_request(self, url: str, referrer: str, depth: int = 0) -> Request | None:
        """A request for an internal URL, once per URL, within LINKCRAWLER_MAX_PAGES and LINKCRAWLER_MAX_DEPTH.
        A URL longer than URLLENGTH_LIMIT is not asked for (its target row says ``url too long``)."""
        if depth > self.config.max_depth or len(url) > self.url_limit or not self.claims.claim_page(url):
            return None
        return Request(url, callback=self.parse_page, errback=self.page_failed,
                       meta={**PAGE_META, "referrer": referrer}, dont_filter=not self.filter_pages)

    def parse_page(self, response: Response) -> Iterator[PageItem | Request | Target]:
        """The page row and its link rows, the requests for what it leads to, and the checks of its outside
        targets. Whatever goes wrong in reading the answer, the page keeps its row (``parse error``)."""
        meta = response.meta
        page = Page(
            url=response.url,
            status=response.status,
            depth=_depth(meta),
            referrer=meta.get("referrer", ""),
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1").strip(),
            size=len(response.body),
            response_ms=round(meta["download_latency"] * 1000, 1) if "download_latency" in meta else None,
        )
        follow: list[str] = []
        unfollowed: list[tuple[str, str]] = []  # (url, kind) of internal links that are not followed
        links: list = []
        outside = ""  # where a redirect leaves the site
        try:
            location = response.headers.get(b"Location")
            if 300 <= response.status < 400 and location:
                outside = self._redirect(page, response, location.decode("latin-1"), follow)
            elif 200 <= response.status < 300 and self._is_html(response, page.content_type):
                links = self._parse_html(page, response, follow, unfollowed)
                if page.redirect_target and not self.classifier.is_internal(urlsplit(page.redirect_target)):
                    outside = page.redirect_target  # a meta refresh out of the site
        except Exception:  # noqa: BLE001 - a page that cannot be read is recorded, the crawl goes on
            logger.warning("Could not read %s", page.url, exc_info=True)
            page.error, follow, unfollowed, links, outside = "parse error", [], [], [], ""
        found: list[Request | Target] = []
        try:
            for url in follow:
                request = self.page_request(url, referrer=page.url, depth=(page.depth or 0) + 1)
                if request is not None:
                    found.append(request)
            # checked, not crawled: a page row only when a followed link leads there. Before the external checks
            # below, which an affiliate URL of the site (/go/…) reaches too and where its claim would be spent
            for url, kind in unfollowed:
                if not self.claims.has_page(url):
                    found.extend(self.check(url, kind, internal=True))
            for link in links:
                if link.kind in ("external", "affiliate") and not link.robots_blocked:
                    found.extend(self.check(link.url, link.kind))
            if outside:
                found.extend(self.check(outside, "external"))
        except Exception:  # noqa: BLE001 - the page's row stands even when what it leads to cannot be asked for
            logger.warning("Could not follow the links of %s", page.url, exc_info=True)
        yield from found
        # last: in a shared crawl, a stored page is done for good, so what it leads to is queued first
        yield PageItem(page, links)

    @staticmethod
    def _is_html(response: Response, content_type: str) -> bool:
        if isinstance(response, HtmlResponse):
            return True
        return any(t in content_type.lower() for t in _HTML_TYPES)

    def _redirect(self, page: Page, response: Response, location: str, follow: list[str]) -> str:
        """Record where a redirect leads; follow it on the site, return it when it leaves the site ('' else)."""
        target, parts, error = follow_location(response.url, location, self.url_limit)
        page.redirect_target = target
        if error in ("bad redirect", "unsupported redirect scheme"):
            page.error = error
            return ""
        if page.depth == 0:
            self._adopt_moved_host(target, parts)
        if not self.classifier.is_internal(parts):
            return target
        if self.robots_allowed(target):
            follow.append(target)  # page_request leaves out a URL too long; its target row says so
        return ""

    def _parse_html(self, page: Page, response: Response, follow: list[str],
                    unfollowed: list[tuple[str, str]]) -> list:
        x_robots = [v.decode("latin-1") for v in response.headers.getlist(b"X-Robots-Tag")]
        try:
            root, page.error = parse_page(response.text)
            found = extract(
                root,
                page.url,
                self.classifier,
                header_directives=x_robots,
                rules=self.rules,
                robots_allowed=self.robots_allowed,
                max_anchor_chars=self.config.max_anchor_chars,
                max_links=self.config.max_links_per_page,
            )
        except Exception:  # noqa: BLE001 - a page that cannot be parsed is recorded, the crawl goes on
            logger.warning("Could not parse %s", page.url, exc_info=True)
            page.error = "parse error"
            return []
        page.title = found.title
        page.canonical = found.canonical
        page.meta_robots = found.meta_robots
        page.x_robots_tag = ", ".join(x_robots)
        page.noindex = found.noindex
        page.nofollow = found.nofollow
        page.words = found.words
        page.editorial_link_words = found.editorial_link_words
        page.text_hash = found.text_hash
        if found.refresh and found.refresh != page.url:  # a refresh to itself is a reload, not a redirect
            # a meta refresh is a redirect, as a 3xx is: its target is followed, the stub's own links are not links
            page.redirect_target = found.refresh
            parts = urlsplit(found.refresh)
            if self.classifier.is_internal(parts) and self.robots_allowed(found.refresh):
                follow.append(found.refresh)
            return []
        counts = {"internal": 0, "external": 0, "affiliate": 0}
        positions = dict.fromkeys(POSITIONS, 0)
        nofollow = editorial = internal_editorial = 0
        follow_nofollow = self.config.follow_nofollow
        for link in found.links:
            if link.kind in counts:
                counts[link.kind] += 1
            positions[link.position] += 1
            if link.editorial:
                editorial += 1
                internal_editorial += link.kind == "internal"
            if not link.follow:
                nofollow += 1
            if link.robots_blocked:
                continue
            if link.kind == "internal" or (
                link.kind == "affiliate" and self.classifier.is_internal(urlsplit(link.url))
            ):
                if link.follow or follow_nofollow:
                    follow.append(link.url)
                else:
                    unfollowed.append((link.url, link.kind))
        page.outlinks = len(found.links) + found.links_over
        page.links_over_limit = found.links_over
        page.internal_outlinks = counts["internal"]
        page.external_outlinks = counts["external"]
        page.affiliate_outlinks = counts["affiliate"]
        page.nofollow_outlinks = nofollow
        page.editorial_links = editorial
        page.internal_editorial_links = internal_editorial
        for position, n in positions.items():
            setattr(page, f"{position}_links", n)
        return found.links

    # --- target checks -------------------------------------------------------------------------------------

    def check(self, url: str, kind: str, internal: bool = False) -> Iterator[Request | Target]:
        """Check a target once: a request, or a ``skipped`` row when settings exclude it or it is longer than
        URLLENGTH_LIMIT. External targets, and with ``internal`` a URL of the site that is not crawled as a page (a
        link that is not ``follow``): its status and redirect chain are checked all the same."""
        if not self.claims.claim_check(url):  # first, as this runs for every external link occurrence
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or self.classifier.is_internal(parts) != internal:
            return
        reason = "" if internal else self._excluded(url)
        if reason:
            yield Target(url=url, kind=kind, result="skipped", error="excluded", detail=reason, checked_at=now_iso())
            return
        if len(url) > self.url_limit:
            yield Target(url=url, kind=kind, result="skipped", error="url too long", checked_at=now_iso(),
                         detail=f"{len(url):,} characters, more than URLLENGTH_LIMIT ({self.url_limit}): not fetched")
            return
        state = {"url": url, "kind": kind, "hops": [], "detail": "", "internal": internal}
        request = self.check_request(url, state, "HEAD")
        request.meta[NEW_CHECK] = True  # a shared crawl checks each target once across workers
        yield request

    def _excluded(self, url: str) -> str:
        if not self.config.check_external:
            return "LINKCRAWLER_CHECK_EXTERNAL is off"
        if self.check_include and not any(p.search(url) for p in self.check_include):
            return "not matched by LINKCRAWLER_CHECK_INCLUDE"
        for pattern in self.check_exclude:
            if pattern.search(url):
                return f"LINKCRAWLER_CHECK_EXCLUDE: {pattern.pattern}"
        return ""

    def check_request(self, url: str, state: dict[str, Any], method: str) -> Request:
        meta = {
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            "download_timeout": self.config.check_timeout,
            "max_retry_times": self.config.check_retries,
            "dont_obey_robotstxt": not self.config.check_robots,
            "linkcrawler_check": state,
        }
        return Request(url, method=method, callback=self.parse_check, errback=self.check_failed, meta=meta,
                       dont_filter=True)

    def headers_received(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        """A check needs the status and headers only: stop every check download before its body."""
        if "linkcrawler_check" in request.meta:
            raise StopDownload(fail=False)

    def parse_check(self, response: Response) -> Iterator[Request | Target]:
        """The next hop of a check, or its row; whatever goes wrong, the target keeps its row (``failed``)."""
        state = response.meta["linkcrawler_check"]
        request = response.request
        method = request.method if request is not None else "HEAD"
        try:
            yield self._next_hop(response, state, method)
        except Exception:  # noqa: BLE001 - a check that cannot go on is recorded, the crawl goes on
            logger.warning("Could not check %s", response.url, exc_info=True)
            yield self._check_done(state, method, None, response.url, "failed")

    def _next_hop(self, response: Response, state: dict[str, Any], method: str) -> Request | Target:
        hops: list[tuple[int, str]] = state["hops"]
        if "first_ms" not in state and "download_latency" in response.meta:
            state["first_ms"] = round(response.meta["download_latency"] * 1000, 1)
        if method == "HEAD" and response.status in HEAD_REFUSED:
            state["detail"] = f"HEAD answered {response.status}; checked with GET"
            return self.check_request(response.url, state, "GET")
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            text = location.decode("latin-1")
            target, _, error = follow_location(response.url, text, self.url_limit)
            hops.append((response.status, response.url))
            if error:  # the chain ends here: a Location that is no http(s) URL, or one too long to fetch
                self._add_detail(state, f"Location: {text.strip()[:200]}")
                return self._check_done(state, method, None, response.url if error == "bad redirect" else target,
                                        error)
            if target == response.url or target in {url for _, url in hops}:
                return self._check_done(state, method, None, target, "redirect loop")
            if len(hops) >= self.config.max_redirects:
                return self._check_done(state, method, None, target, "too many redirects")
            reason = "" if self.classifier.is_internal(urlsplit(target)) else self._excluded(target)
            if reason:  # the settings that leave a target out leave out a hop of its chain too
                self._add_detail(state, reason)
                return self._check_done(state, method, None, target, "excluded")
            return self.check_request(target, state, method)
        if response.status in BOT_REFUSED:
            vendor = bot_protection(response.headers)
            state["detail"] = f"refused by bot protection ({vendor})" if vendor else "refused the checker"
            if "retry_after" in response.meta:
                state["detail"] += f"; Retry-After {response.meta['retry_after']:g}s"
        return self._check_done(state, method, response.status, response.url, "")

    @staticmethod
    def _add_detail(state: dict[str, Any], text: str) -> None:
        state["detail"] = f"{state['detail']}; {text}" if state["detail"] else text

    def check_failed(self, failure: Failure) -> Iterator[Target]:
        request = failure.request
        state = request.meta["linkcrawler_check"]
        detail = error_detail(failure)
        if detail:
            self._add_detail(state, detail)
        yield self._check_done(state, request.method, None, request.url, error_class(failure))

    def _check_done(self, state: dict[str, Any], method: str, status: int | None, final_url: str,
                    error: str) -> Target:
        hops = state["hops"]
        first = hops[0][0] if hops else status
        return Target(
            url=state["url"],
            kind=state["kind"],
            status=first,
            final_url=final_url,
            final_status=status,
            redirects=len(hops),
            redirect_chain=chain_text(hops, status, final_url),
            result=result_of(status, error, external=not state.get("internal"), redirects=len(hops)),
            error=error,
            detail=state["detail"],
            method=method,
            response_ms=state.get("first_ms"),
            checked_at=now_iso(),
            hops=list(hops),
        )

    def page_failed(self, failure: Failure) -> Iterator[PageItem]:
        """A URL of the site that could not be fetched is a page row with its error word."""
        request = failure.request
        yield PageItem(
            Page(
                url=request.url,
                depth=_depth(request.meta),
                referrer=request.meta.get("referrer", ""),
                error=error_class(failure),
            )
        )
