"""Item pipelines: the thin Scrapy side of storing a crawl in its run folder."""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler

from linkcrawler import __version__
from linkcrawler.config import Config
from linkcrawler.items import LINK_COLUMNS, PAGE_COLUMNS, PageItem
from linkcrawler.runfolder import new_run_folder, prune, read_meta, write_meta
from linkcrawler.tables import TableWriter, read_table, rewrite_table
from linkcrawler.targets import TARGET_COLUMNS, PageAnswer, Target, resolve_internal, restore_target

logger = logging.getLogger(__name__)

_page_row = attrgetter(*PAGE_COLUMNS)
_link_row = attrgetter(*LINK_COLUMNS)
_target_row = attrgetter(*TARGET_COLUMNS)
_WEB_KINDS = frozenset({"internal", "external", "affiliate"})


class StorePipeline:
    """Streams pages, links and checked targets into the run folder; when the crawl ends, resolves every
    internal target's redirect chain and fills in inlink counts and each link's target status."""

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config
        self.folder: Path | None = None
        self.inlinks: Counter[str] = Counter()
        self.unique_inlinks: Counter[str] = Counter()
        self.answers: dict[str, PageAnswer] = {}
        self.checks: dict[str, Target] = {}
        self.blocked: set[str] = set()  # internal URLs robots.txt disallows
        self.meta: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler, Config.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        start_url = spider.start_url
        started = datetime.now(UTC)
        jobdir = self.crawler.settings.get("JOBDIR")
        marker = Path(jobdir) / "linkcrawler.json" if jobdir else None
        resume = marker is not None and marker.exists()
        fmt, part_rows = self.config.format, self.config.parquet_part_rows
        if resume:
            self.folder = Path(json.loads(marker.read_text(encoding="utf-8"))["run_folder"])
            self.meta = read_meta(self.folder)
            self.meta["resumed"] = self.meta.get("resumed", 0) + 1
            self._restore(spider)
            logger.info("Resuming the crawl in the run folder %s", self.folder)
        else:
            self.folder = new_run_folder(self.config.export_dir, start_url, started)
            self.meta = {
                "start_url": start_url,
                "started_at": started.isoformat(),
                "format": fmt,
                "linkcrawler": __version__,
                "settings": {
                    k: v for k, v in self.crawler.settings.copy_to_dict().items() if k.startswith("LINKCRAWLER_")
                },
            }
            if marker is not None:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(json.dumps({"run_folder": str(self.folder.resolve())}), encoding="utf-8")
            logger.info("Writing the run folder %s", self.folder)
        spider.run_folder = self.folder
        self.crawler.stats.set_value("linkcrawler/run_folder", str(self.folder))
        self.pages = TableWriter(self.folder, "pages", fmt, part_rows, append=resume)
        self.links = TableWriter(self.folder, "links", fmt, part_rows, append=resume)
        self.targets = TableWriter(self.folder, "targets", fmt, part_rows, append=resume)
        write_meta(self.folder, self.meta)

    def _restore(self, spider: Any) -> None:
        """Rebuild what the interrupted crawl knew from its tables, so that every row ends up exactly once."""
        import pandas as pd

        fmt = self.config.format
        # internal targets are resolved again when the crawl ends; external checks stay
        rewrite_table(self.folder, "targets", fmt, lambda chunk: {"_keep": [m != "crawl" for m in chunk["method"]]})
        for row in read_table(self.folder, "targets").itertuples(index=False):
            self.checks[row.url] = restore_target(row)
        pages = read_table(self.folder, "pages", ["url", "status", "redirect_target", "error", "response_ms"])
        for url, status, target, error, ms in pages.itertuples(index=False, name=None):
            self.answers[url] = PageAnswer(None if pd.isna(status) else int(status), target if isinstance(
                target, str) else "", error if isinstance(error, str) else "", None if pd.isna(ms) else ms)
        links = read_table(self.folder, "links", ["page", "url", "kind", "robots_blocked"])
        self.blocked.update(links.loc[links["robots_blocked"].fillna(False), "url"])
        web = links[links["kind"].isin(list(_WEB_KINDS)) & (links["url"] != links["page"])]
        self.inlinks.update(web["url"].value_counts().to_dict())
        self.unique_inlinks.update(web.drop_duplicates(["page", "url"])["url"].value_counts().to_dict())
        spider.restore(pages["url"], self.checks.keys())

    def process_item(self, item: PageItem | Target) -> PageItem | Target:
        if isinstance(item, Target):
            if item.url in self.checks:  # checked twice across an interruption: the first answer stands
                return item
            self.checks[item.url] = item
            self.crawler.stats.inc_value("linkcrawler/targets")
            self.targets.write([_target_row(item)])
            self.targets.flush()
            return item
        page = item.page
        if page.url in self.answers:  # fetched again after an interruption: its rows are written already
            return item
        self.answers[page.url] = PageAnswer(page.status, page.redirect_target, page.error, page.response_ms)
        self.pages.write([_page_row(page)])
        stats = self.crawler.stats
        stats.inc_value("linkcrawler/pages")
        stats.inc_value("linkcrawler/links", len(item.links))
        if item.links:
            self.links.write([_link_row(link) for link in item.links])
            seen = set()
            for link in item.links:
                url = link.url
                if link.robots_blocked:
                    self.blocked.add(url)
                if url != page.url and link.kind in _WEB_KINDS:
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
        classifier = self.crawler.spider.classifier
        internal = [url for url in self.inlinks if url not in self.checks and classifier.is_internal(urlsplit(url))]
        for url in internal:
            target = resolve_internal(url, self.answers, self.checks, self.config.max_redirects)
            target.kind = classifier.kind(url, urlsplit(url))[0]
            if url in self.blocked:
                target.error, target.result = "robots", "blocked"
            self.checks[url] = target
            self.targets.write([_target_row(target)])
        for writer in (self.pages, self.links, self.targets):
            writer.close()
        fmt = self.config.format
        rewrite_table(self.folder, "pages", fmt, self._fill_pages)
        rewrite_table(self.folder, "targets", fmt, self._fill_inlinks)
        rewrite_table(self.folder, "links", fmt, self._fill_link_targets)
        self.meta.update(pages=self.pages.rows, links=self.links.rows, targets=self.targets.rows)
        write_meta(self.folder, self.meta)

    def _fill_inlinks(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        urls = chunk["url"]
        return {
            "inlinks": [self.inlinks.get(u, 0) for u in urls],
            "unique_inlinks": [self.unique_inlinks.get(u, 0) for u in urls],
        }

    def _fill_pages(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        sitemap = self.crawler.spider.sitemap_urls
        return {**self._fill_inlinks(chunk), "in_sitemap": [u in sitemap for u in chunk["url"]]}

    def _fill_link_targets(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Each link's target answer; an internal link whose chain ends at an affiliate URL becomes affiliate."""
        classifier = self.crawler.spider.classifier
        kinds, rules = chunk["kind"], chunk["affiliate_rule"]
        status, final_url, final_status, result = [], [], [], []
        for i, url in enumerate(chunk["url"]):
            target = self.checks.get(url)
            if target is None:
                status.append(None)
                final_url.append("")
                final_status.append(None)
                result.append("")
                continue
            status.append(target.status)
            final_url.append(target.final_url)
            final_status.append(target.final_status)
            result.append(target.result)
            if kinds[i] == "internal" and target.redirects and target.final_url:
                parts = urlsplit(target.final_url)
                if not classifier.is_internal(parts):
                    kind, rule = classifier.kind(target.final_url, parts)
                    if kind == "affiliate":
                        kinds[i], rules[i] = "affiliate", f"redirect:{rule}"
        return {"status": status, "final_url": final_url, "final_status": final_status, "result": result,
                "kind": kinds, "affiliate_rule": rules}

    def spider_closed(self, spider: object, reason: str) -> None:
        """Record why and when the crawl ended, and say where its run folder is."""
        if self.folder is None:
            return
        # the crawl's own peak, before the report runs in a child process
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.meta.update(finished_at=datetime.now(UTC).isoformat(), finish_reason=reason, peak_rss_mb=round(peak_mb))
        write_meta(self.folder, self.meta)
        jobdir = self.crawler.settings.get("JOBDIR")
        if jobdir and reason == "finished":  # done: the same JOBDIR starts a new run folder next time
            (Path(jobdir) / "linkcrawler.json").unlink(missing_ok=True)
        if self.config.report:
            self._report()
        prune(self.folder.parent, self.config.keep_runs)

    def _report(self) -> None:
        """Build the report in a child process: the crawl's memory is not the report's, and the report's
        pandas work does not weigh on the crawl process (whose peak RSS stays that of crawling)."""
        settings = {k: v for k, v in self.crawler.settings.copy_to_dict().items() if k.startswith("LINKCRAWLER_")}
        command = [sys.executable, "-m", "linkcrawler.workbook", str(self.folder), "--settings", json.dumps(settings)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            logger.error("Could not write the report; rebuild it with: scrapy report %s\n%s", self.folder,
                         result.stderr[-4000:])
            return
        logger.info("Report: %s", (self.folder / "report.xlsx").resolve())
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
        if outcome.get("compared_with"):
            self.crawler.stats.set_value("linkcrawler/new_errors", outcome["new_errors"])
            logger.info("Compared with %s: %d new errors", outcome["compared_with"], outcome["new_errors"])
        logger.info("Run folder: %s (%d pages, %d links, %d targets)", self.folder.resolve(), self.pages.rows,
                    self.links.rows, self.targets.rows)
