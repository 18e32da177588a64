"""Item pipelines: the thin Scrapy side of storing a crawl in its run folder."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler

from linkcrawler import __version__
from linkcrawler.config import Config
from linkcrawler.items import LINK_COLUMNS, PAGE_COLUMNS, PageItem
from linkcrawler.runfolder import new_run_folder, write_meta
from linkcrawler.tables import TableWriter, rewrite_pages

logger = logging.getLogger(__name__)

_page_row = attrgetter(*PAGE_COLUMNS)
_link_row = attrgetter(*LINK_COLUMNS)


class StorePipeline:
    """Streams pages and links into the run folder and counts internal inlinks, filled in at the end."""

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config
        self.folder: Path | None = None
        self.inlinks: Counter[str] = Counter()
        self.unique_inlinks: Counter[str] = Counter()
        self.meta: dict = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler, Config.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        start_url = spider.start_url
        started = datetime.now(UTC)
        self.folder = new_run_folder(self.config.export_dir, start_url, started)
        spider.run_folder = self.folder
        self.crawler.stats.set_value("linkcrawler/run_folder", str(self.folder))
        fmt, part_rows = self.config.format, self.config.parquet_part_rows
        self.pages = TableWriter(self.folder, "pages", fmt, part_rows)
        self.links = TableWriter(self.folder, "links", fmt, part_rows)
        self.meta = {
            "start_url": start_url,
            "started_at": started.isoformat(),
            "format": fmt,
            "linkcrawler": __version__,
            "settings": {
                k: v for k, v in self.crawler.settings.copy_to_dict().items() if k.startswith("LINKCRAWLER_")
            },
        }
        write_meta(self.folder, self.meta)
        logger.info("Writing the run folder %s", self.folder)

    def process_item(self, item: PageItem) -> PageItem:
        page = item.page
        self.pages.write([_page_row(page)])
        if item.links:
            self.links.write([_link_row(link) for link in item.links])
            seen = set()
            for link in item.links:
                url = link.url
                if url != page.url and (link.kind == "internal" or link.affiliate_rule.startswith("path:")):
                    self.inlinks[url] += 1
                    if url not in seen:
                        seen.add(url)
                        self.unique_inlinks[url] += 1
        self.pages.flush()
        self.links.flush()
        return item

    def close_spider(self) -> None:
        if self.folder is None:
            return
        self.pages.close()
        self.links.close()
        rewrite_pages(self.folder, self.config.format, self.inlinks, self.unique_inlinks)
        self.meta.update(pages=self.pages.rows, links=self.links.rows)
        write_meta(self.folder, self.meta)

    def spider_closed(self, spider: object, reason: str) -> None:
        """Record why and when the crawl ended, and say where its run folder is."""
        if self.folder is None:
            return
        self.meta.update(finished_at=datetime.now(UTC).isoformat(), finish_reason=reason)
        write_meta(self.folder, self.meta)
        logger.info("Run folder: %s (%d pages, %d links)", self.folder.resolve(), self.pages.rows, self.links.rows)
