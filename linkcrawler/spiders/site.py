"""The ``site`` spider: crawls one website and yields a :class:`~linkcrawler.items.PageItem` per fetched URL."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from protego import Protego
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
from linkcrawler.errors import error_class
from linkcrawler.extract import extract, parse_html, resolve
from linkcrawler.items import Page, PageItem
from linkcrawler.position import UserRules
from linkcrawler.sitemaps import collect
from linkcrawler.targets import BOT_REFUSED, HEAD_REFUSED, Target, bot_protection, chain_text, now_iso, result_of

logger = logging.getLogger(__name__)

DEFAULTS_PRIORITY = 5
PAGE_META = {"dont_redirect": True, "handle_httpstatus_all": True, "dont_obey_robotstxt": True}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


USAGE = "scrapy crawl site -a url=https://www.example.com/"


def check_start_url(url: str | None) -> str:
    """The start URL, when it is an absolute http(s) URL with a host; else ValueError with a one-line message
    saying how to call the crawl. A URL without a scheme is a mistake to point out, not a guess to make."""
    if not url:
        raise ValueError(f"say which site to crawl: {USAGE}")
    parts = urlsplit(url.strip())
    if "://" not in url:
        raise ValueError(f"the start URL {url!r} has no scheme: write http://{url} or https://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {url!r} ({USAGE})")
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
        spider.robots_agent = crawler.settings.get("USER_AGENT") or "*"
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

    async def _fetch_body(self, url: str) -> bytes | None:
        """The body of a 200 answer for a file of the site (robots.txt, sitemaps), outside the crawl's queue."""
        try:
            response = await self.crawler.engine.download_async(
                Request(url, meta={"dont_obey_robotstxt": True, "handle_httpstatus_all": True}, priority=1)
            )
        except Exception as exc:  # noqa: BLE001 - a missing robots.txt or sitemap is normal
            logger.info("Could not fetch %s (%s)", url, error_class(exc))
            return None
        return response.body if response.status == 200 else None

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
            target, _, parts, _ = resolve(response.url, location.decode("latin-1").strip())
            if parts is not None:
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
        """Read the site's sitemaps; their URLs are crawled once the links are (see ``spider_idle``)."""
        robots_url = urljoin(self.start_url, "/robots.txt")
        roots = [urljoin(robots_url, u) for u in self.robots.sitemaps] if self.robots is not None else []
        roots.append(urljoin(self.start_url, "/sitemap.xml"))
        urls = await collect(roots, self._fetch_body, self.config.max_pages)
        self.sitemap_urls = {
            safe_url_string(u) for u in urls if self.classifier.is_internal(urlsplit(safe_url_string(u)))
        }
        if self.sitemap_urls:
            logger.info("Sitemaps list %d URLs of the site", len(self.sitemap_urls))

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
        """Fetch the site's robots.txt once, so that links it disallows are marked and not requested."""
        body = await self._fetch_body(urljoin(self.start_url, "/robots.txt"))
        if body is not None:
            self.robots = Protego.parse(body.decode("utf-8", "replace"))

    def restore(self, page_urls: Iterable[str], target_urls: Iterable[str]) -> None:
        """Resuming from JOBDIR: URLs fetched and targets checked before the interruption are not asked for again."""
        self.claims.restore(page_urls, target_urls)

    def robots_allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.can_fetch(url, self.robots_agent)

    def page_request(self, url: str, referrer: str, depth: int = 0) -> Request | None:
        """A request for an internal URL, once per URL, within LINKCRAWLER_MAX_PAGES and LINKCRAWLER_MAX_DEPTH."""
        if depth > self.config.max_depth or not self.claims.claim_page(url):
            return None
        return Request(url, callback=self.parse_page, errback=self.page_failed,
                       meta={**PAGE_META, "referrer": referrer}, dont_filter=not self.filter_pages)

    def parse_page(self, response: Response) -> Iterator[PageItem | Request]:
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
        links = []
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            page.redirect_target = self._redirect(page, response, location.decode("latin-1"), follow)
        elif 200 <= response.status < 300 and self._is_html(response, page.content_type):
            links = self._parse_html(page, response, follow, unfollowed)
        for url in follow:
            request = self.page_request(url, referrer=page.url, depth=(page.depth or 0) + 1)
            if request is not None:
                yield request
        # checked, not crawled: a page row only when a followed link leads there. Before the external checks
        # below, which an affiliate URL of the site (/go/…) reaches too and where its claim would be spent
        for url, kind in unfollowed:
            if not self.claims.has_page(url):
                yield from self.check(url, kind, internal=True)
        for link in links:
            if link.kind in ("external", "affiliate") and not link.robots_blocked:
                yield from self.check(link.url, link.kind)
        if page.redirect_target and not self.classifier.is_internal(urlsplit(page.redirect_target)):
            yield from self.check(page.redirect_target, "external")
        # last: in a shared crawl, a stored page is done for good, so what it leads to is queued first
        yield PageItem(page, links)

    @staticmethod
    def _is_html(response: Response, content_type: str) -> bool:
        if isinstance(response, HtmlResponse):
            return True
        return any(t in content_type.lower() for t in _HTML_TYPES)

    def _redirect(self, page: Page, response: Response, location: str, follow: list[str]) -> str:
        target, _, parts, error = resolve(response.url, location.strip())
        if parts is None:
            page.error = f"bad redirect: {error}"
            return location
        if page.depth == 0:
            self._adopt_moved_host(target, parts)
        if self.classifier.is_internal(parts) and self.robots_allowed(target):
            follow.append(target)
        return target

    def _parse_html(self, page: Page, response: Response, follow: list[str],
                    unfollowed: list[tuple[str, str]]) -> list:
        x_robots = [v.decode("latin-1") for v in response.headers.getlist(b"X-Robots-Tag")]
        try:
            root = parse_html(response.text)
            found = extract(
                root,
                page.url,
                self.classifier,
                header_directives=x_robots,
                rules=self.rules,
                robots_allowed=self.robots_allowed,
                max_anchor_chars=self.config.max_anchor_chars,
            )
        except Exception as exc:  # noqa: BLE001 - a page that cannot be parsed is recorded, the crawl goes on
            logger.warning("Could not parse %s: %r", page.url, exc)
            page.error = f"parse error: {type(exc).__name__}: {exc}"[:500]
            return []
        page.title = found.title
        page.canonical = found.canonical
        page.meta_robots = found.meta_robots
        page.x_robots_tag = ", ".join(x_robots)
        page.noindex = found.noindex
        page.nofollow = found.nofollow
        page.words = found.words
        page.content_link_words = found.content_link_words
        if found.refresh and found.refresh != page.url:  # a refresh to itself is a reload, not a redirect
            page.redirect_target = found.refresh
            parts = urlsplit(found.refresh)
            if self.classifier.is_internal(parts) and self.robots_allowed(found.refresh):
                follow.append(found.refresh)
        counts = {"internal": 0, "external": 0, "affiliate": 0}
        positions = dict.fromkeys(POSITIONS, 0)
        nofollow = 0
        follow_nofollow = self.config.follow_nofollow
        for link in found.links:
            if link.kind in counts:
                counts[link.kind] += 1
            positions[link.position] += 1
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
        page.outlinks = len(found.links)
        page.internal_outlinks = counts["internal"]
        page.external_outlinks = counts["external"]
        page.affiliate_outlinks = counts["affiliate"]
        page.nofollow_outlinks = nofollow
        for position, n in positions.items():
            setattr(page, f"{position}_links", n)
        return found.links

    # --- target checks -------------------------------------------------------------------------------------

    def check(self, url: str, kind: str, internal: bool = False) -> Iterator[Request | Target]:
        """Check a target once: a request, or a ``skipped`` row when settings exclude it. External targets, and
        with ``internal`` a URL of the site that is not crawled as a page (a link that is not ``follow``): its
        status and redirect chain are checked all the same."""
        if not self.claims.claim_check(url):  # first, as this runs for every external link occurrence
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or self.classifier.is_internal(parts) != internal:
            return
        reason = "" if internal else self._excluded(url)
        if reason:
            yield Target(url=url, kind=kind, result="skipped", error="excluded", detail=reason, checked_at=now_iso())
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
        state = response.meta["linkcrawler_check"]
        request = response.request
        method = request.method if request is not None else "HEAD"
        hops: list[tuple[int, str]] = state["hops"]
        if "first_ms" not in state and "download_latency" in response.meta:
            state["first_ms"] = round(response.meta["download_latency"] * 1000, 1)
        if method == "HEAD" and response.status in HEAD_REFUSED:
            state["detail"] = f"HEAD answered {response.status}; checked with GET"
            yield self.check_request(response.url, state, "GET")
            return
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            target, _, parts, error = resolve(response.url, location.decode("latin-1").strip())
            hops.append((response.status, response.url))
            if parts is None:
                yield self._check_done(state, method, None, response.url, f"bad redirect: {error}"[:200])
            elif state.get("internal") and not self.classifier.is_internal(parts) and (
                    reason := self._excluded(target)):  # an internal check leaving the site: as external ones
                state["detail"] = reason
                yield self._check_done(state, method, None, target, "excluded")
            elif target == response.url or target in {url for _, url in hops}:
                yield self._check_done(state, method, None, target, "redirect loop")
            elif len(hops) >= self.config.max_redirects:
                yield self._check_done(state, method, None, target, "too many redirects")
            else:
                yield self.check_request(target, state, method)
            return
        if response.status in BOT_REFUSED:
            vendor = bot_protection(response.headers)
            state["detail"] = f"refused by bot protection ({vendor})" if vendor else "refused the checker"
            if "retry_after" in response.meta:
                state["detail"] += f"; Retry-After {response.meta['retry_after']:g}s"
        yield self._check_done(state, method, response.status, response.url, "")

    def check_failed(self, failure: Failure) -> Iterator[Target]:
        request = failure.request
        state = request.meta["linkcrawler_check"]
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
        """A URL of the site that could not be fetched is a page row with its error class."""
        request = failure.request
        yield PageItem(
            Page(
                url=request.url,
                depth=_depth(request.meta),
                referrer=request.meta.get("referrer", ""),
                error=error_class(failure),
            )
        )
