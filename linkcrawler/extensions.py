"""Scrapy extensions of the project."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.log import get_scrapy_root_handler
from twisted.internet import task

from linkcrawler.config import Config


class Progress:
    """One progress line on a terminal (pages done, queued, links found, rate), redrawn every second.

    Off when stderr is not a terminal (cron, CI, a log file), where Scrapy's LogStats line once a minute is
    enough; off with ``LINKCRAWLER_PROGRESS=False``. A log line written to the same terminal first clears the
    progress line, which is drawn again at the next tick: the two never share a line.
    """

    INTERVAL = 1.0

    def __init__(self, crawler: Crawler, stream: TextIO) -> None:
        self.crawler = crawler
        self.stream = stream
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.drawn = False  # the progress line is on the terminal, with the cursor at its end
        self.handler: logging.Handler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not Config.from_settings(crawler.settings).progress or not sys.stderr.isatty():
            raise NotConfigured
        extension = cls(crawler, sys.stderr)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        handler = get_scrapy_root_handler()  # installed by now: the crawler replaces it before the spider opens
        if isinstance(handler, logging.StreamHandler) and handler.stream is self.stream:
            handler.addFilter(self.clear)
            self.handler = handler
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.draw)
        self.loop.start(self.INTERVAL, now=False)

    def line(self) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("linkcrawler/pages", 0)
        links = stats.get_value("linkcrawler/links", 0)
        checks = stats.get_value("linkcrawler/targets", 0)
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        queued = len(slot.scheduler) if slot is not None and slot.scheduler is not None else 0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (f"linkcrawler: {pages} pages · {queued} queued · {links} links · {checks} targets checked · "
                f"{pages / elapsed:.1f} pages/s")

    def draw(self) -> None:
        self.stream.write("\r\x1b[2K" + self.line())
        self.stream.flush()
        self.drawn = True

    def clear(self, record: logging.LogRecord) -> bool:
        """A log filter: before a log line is written, take the progress line off the terminal."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.drawn = False
        return True

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.handler is not None:
            self.handler.removeFilter(self.clear)
        self.draw()
        self.stream.write("\n")
        self.stream.flush()
        self.drawn = False
