"""Downloader middlewares of the project."""

from __future__ import annotations

import asyncio
import logging

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from linkcrawler.config import Config
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
