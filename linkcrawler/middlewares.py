"""Downloader middlewares of the project."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotSupported
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from linkcrawler.addresses import AddressPolicy, IPAddress, literal, non_public, parse_networks, plain
from linkcrawler.classify import DEFAULT_PORTS, origin
from linkcrawler.config import Config
from linkcrawler.errors import BlockedAddress, RobotsForbidden, error_class
from linkcrawler.robots import robots_body
from linkcrawler.targets import retry_after_seconds

logger = logging.getLogger(__name__)


class RetryAfterMiddleware:
    """On 429/503 with a ``Retry-After`` header, wait that long and ask again, up to ``TIMES`` times.

    A wait longer than ``LINKCRAWLER_RETRY_AFTER_MAX`` is not waited for and not retried at once either: the
    response stands, with ``retry_after`` in its request meta. Without the header Scrapy's RetryMiddleware
    decides as usual. These waits are asked for by the server, so they do not use up the retries that
    ``RETRY_TIMES``/``max_retry_times`` allow for failures.
    """

    TIMES = 2

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, Config.from_settings(crawler.settings))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503):
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay is None:
            return response
        request.meta["retry_after"] = delay
        if delay > self.config.retry_after_max:
            request.meta["dont_retry"] = True
            return response
        times = request.meta.get("retry_after_times", 0)
        if times >= self.TIMES:
            request.meta["dont_retry"] = True
            return response
        retry = request.replace(dont_filter=True, meta={**request.meta, "retry_after_times": times + 1})
        self.crawler.stats.inc_value("linkcrawler/retry_after")
        logger.debug("Waiting %.1fs (Retry-After) before retrying %s", delay, request.url)
        await asyncio.sleep(delay)
        return retry


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to, through the reactor's name resolver: the one (and, with Scrapy's
    DNS cache, the very answer) the connection itself uses. Raises CannotResolveHostError when there is none."""
    from twisted.internet import reactor

    found: list[IPAddress] = []
    done: Deferred[list[IPAddress]] = Deferred()

    @implementer(IResolutionReceiver)
    class Receiver:
        @staticmethod
        def resolutionBegan(resolution: object) -> None:  # noqa: N802 - Twisted's interface
            pass

        @staticmethod
        def addressResolved(address: Any) -> None:  # noqa: N802
            found.append(ipaddress.ip_address(address.host))

        @staticmethod
        def resolutionComplete() -> None:  # noqa: N802
            done.callback(found)

    reactor.nameResolver.resolveHostName(Receiver(), host, portNumber=port)
    addresses = await maybe_deferred_to_future(done)
    if not addresses:
        raise CannotResolveHostError(f"Couldn't find the hostname '{host}'")
    return addresses


class AddressGuardMiddleware:
    """Sends no request to an address that ``LINKCRAWLER_ALLOW_PRIVATE_TARGETS`` forbids (see
    :mod:`linkcrawler.addresses`), nor any request that is not http(s).

    Every request passes here: pages, target checks and each of their redirect hops, robots.txt and sitemap
    fetches. The site's own host and port are always allowed; any other host is resolved first and refused
    (``BlockedAddress``, error word ``blocked address``) when one of its addresses is off limits. In ``auto``
    mode the rule is off when the start URL's own host resolves to such an address (a crawl of an intranet
    site). A response that came from a forbidden address all the same (its DNS answer changed) is refused too.
    """

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.mode = config.allow_private_targets
        self.policy = AddressPolicy(self.mode == "true", parse_networks(config.allowed_networks))
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler, Config.from_settings(crawler.settings))

    async def spider_opened(self, spider: Any) -> None:
        """``auto``: private addresses are allowed when the site itself is on one."""
        if self.mode != "auto":
            return
        parts = urlsplit(spider.start_url)
        try:
            addresses = await self._addresses(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme])
        except Exception as exc:  # noqa: BLE001 - the start page's own row will say why it cannot be reached
            logger.info("Could not resolve the start URL's host (%s): private addresses stay off limits",
                        error_class(exc))
            return
        private = [a for a in addresses if non_public(a)]
        if private:
            self.policy = AddressPolicy(True, self.policy.allowed)
            logger.info("The site is on %s (%s): links to private addresses are checked too "
                        "(LINKCRAWLER_ALLOW_PRIVATE_TARGETS=auto)", plain(private[0]), non_public(private[0]))

    @staticmethod
    async def _addresses(host: str, port: int) -> list[IPAddress]:
        address = literal(host)
        return [address] if address is not None else await resolve_host(host, port)

    def _exempt(self, parts: Any) -> bool:
        if self.policy.allow_private:
            return True
        classifier = getattr(self.crawler.spider, "classifier", None)
        return classifier is not None and origin(parts) in classifier.origins

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            raise NotSupported(f"Unsupported URL scheme '{parts.scheme}': linkcrawler fetches http(s) only")
        if self._exempt(parts):
            return
        for address in await self._addresses(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme]):
            self._refuse(address, request)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.ip_address is not None and not self._exempt(urlparse_cached(request)):
            self._refuse(response.ip_address, request)
        return response

    def _refuse(self, address: IPAddress, request: Request) -> None:
        reason = self.policy.refusal(address)
        if reason:
            self.crawler.stats.inc_value("linkcrawler/blocked_address")
            logger.info("Not fetching %s: %s (LINKCRAWLER_ALLOW_PRIVATE_TARGETS)", request.url, reason)
            raise BlockedAddress(f"{reason}; not fetched (LINKCRAWLER_ALLOW_PRIVATE_TARGETS)")


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware (it serves the target checks), reading robots.txt by RFC 9309.

    Its redirects are followed (Scrapy's RedirectMiddleware, http(s) only, every hop through the address
    guard); a 5xx answer disallows everything on that host, any other non-2xx answer allows everything; only
    the first 500 KiB are read (:func:`linkcrawler.robots.robots_body`), parsed once per host. A host whose
    robots.txt cannot be fetched at all is logged at INFO, not as an ERROR with a traceback: the check's own
    request fails the same way and its row carries the error word.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._notes: dict[str, str] = {}

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots_url = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
            robots_request = Request(robots_url, priority=self.DOWNLOAD_PRIORITY, meta={"dont_obey_robotstxt": True},
                                     callback=NO_CALLBACK)
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # noqa: BLE001 - no robots.txt to obey: the check says what the host does
                logger.info("Could not fetch %s (%s): nothing disallowed there", robots_url, error_class(exc))
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        body, note = robots_body(response.status, response.body)
        if note:
            self._notes[netloc] = note
            logger.info("%s: %s", response.url, note)
        await super()._parse_robots(response.replace(body=body), netloc, request)

    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            raise RobotsForbidden(self._notes.get(urlparse_cached(request).netloc, "")) from None
