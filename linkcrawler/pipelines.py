"""Item pipelines: the thin Scrapy side of storing a crawl in its run folder."""

from __future__ import annotations

import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
from array import array
from collections import Counter
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from linkcrawler import __version__
from linkcrawler.config import Config
from linkcrawler.health import PageFact, failure, run_status, start_chain
from linkcrawler.items import LINK_COLUMNS, PAGE_COLUMNS, PageItem
from linkcrawler.runfolder import JOB_MARKER, new_run_folder, prune, read_job, read_meta, write_job, write_meta
from linkcrawler.tables import TableWriter, iter_chunks, rewrite_table, table_path
from linkcrawler.targets import TARGET_COLUMNS, PageAnswer, Target, resolve_internal, restore_target, result_of
from linkcrawler.template import PageCounts, decide, link_key, page_key, place_key

logger = logging.getLogger(__name__)

_page_row = attrgetter(*PAGE_COLUMNS)
_link_row = attrgetter(*LINK_COLUMNS)
_target_row = attrgetter(*TARGET_COLUMNS)
_WEB_KINDS = frozenset({"internal", "external", "affiliate"})


def _number(value: Any, kind: type) -> Any:
    """A CSV cell or Parquet value as int/float, None when empty."""
    if value is None or value == "":
        return None
    return kind(float(value)) if kind is int else kind(value)


def _kept_rows(chunk: dict[str, list[Any]], columns: tuple[str, ...], keep: list[bool]) -> list[tuple[Any, ...]]:
    rows = zip(*(chunk[c] for c in columns), strict=True)
    return [row for row, kept in zip(rows, keep, strict=True) if kept]


class StorePipeline:
    """Streams pages, links and checked targets into the run folder; when the crawl ends, resolves every
    internal target's redirect chain and fills in inlink counts and each link's target status."""

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config
        self.folder: Path | None = None
        self.answers: dict[str, PageAnswer] = {}
        self.checks: dict[str, Target] = {}
        self.blocked: set[str] = set()  # internal URLs robots.txt disallows
        # the links the crawl follows, as numbered edges: depth is the shortest click path, found at the end
        self.ids: dict[str, int] = {}
        self.urls: list[str] = []  # id → URL: one string object per URL, shared by the dicts keyed by URL
        self.inlinks, self.unique_inlinks = array("I"), array("I")  # by id: link rows, and pages, linking there
        self.texts = array("Q")  # by id: the page's main-text hash (0: none), its identity when counting repeats
        self.edges = array("Q")  # (from id << 32) | to id
        self._page, self._seen = "", set()  # the page whose links are being counted, and its link URLs
        self.depth: Any = None  # per id, from _depths() when the crawl ends
        self._tick: Any = lambda: None  # called once a chunk of the close-time work (a merging worker beats)
        self.meta: dict[str, Any] = {}
        self.part: Path | None = None  # a worker of a shared crawl writes its own part tables here
        self.failures: Counter[str] = Counter()  # pages that failed, by why (see health.failure)
        self.start_types: dict[str, str] = {}  # content type of each page on the start URL's redirect chain

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
        job = read_job(jobdir)
        resume = bool(job.get("run_folder"))
        if spider.claims.distributed:
            if spider.claims.late:
                return
            self._open_part(spider, started)
        elif resume:
            self.folder = Path(job["run_folder"])
            self.meta = read_meta(self.folder)
            self.meta["resumed"] = self.meta.get("resumed", 0) + 1
            self._restore(spider, killed=bool(job.get("running")))
            logger.info("Resuming the crawl in the run folder %s", self.folder)
        else:
            self.folder = new_run_folder(self.config.export_dir, start_url, started)
            self.meta = self._new_meta(start_url, started)
            logger.info("Writing the run folder %s", self.folder)
        if jobdir and self.part is None:  # "running" until the crawl closes: a killed crawl is told apart
            write_job(jobdir, self.folder, running=True)
        spider.run_folder = self.folder
        self.crawler.stats.set_value("linkcrawler/run_folder", str(self.folder))
        if self.part is None:
            self._open_writers(self.folder, append=resume)
            write_meta(self.folder, self.meta)

    def _open_writers(self, folder: Path, append: bool = False) -> None:
        fmt, part_rows = self.config.format, self.config.parquet_part_rows
        self.pages = TableWriter(folder, "pages", fmt, part_rows, append=append)
        self.links = TableWriter(folder, "links", fmt, part_rows, append=append)
        self.targets = TableWriter(folder, "targets", fmt, part_rows, append=append)

    def _new_meta(self, start_url: str, started: datetime) -> dict[str, Any]:
        return {
            "start_url": start_url,
            "started_at": started.isoformat(),
            "format": self.config.format,
            "linkcrawler": __version__,
            "settings": {
                k: v for k, v in self.crawler.settings.copy_to_dict().items() if k.startswith("LINKCRAWLER_")
            },
        }

    def _open_part(self, spider: Any, started: datetime) -> None:
        """A worker of a shared crawl: the run folder is the crawl's; this worker's rows go to its own part."""
        crawl = spider.claims
        self.folder, made = crawl.run_folder(
            lambda: new_run_folder(self.config.export_dir, spider.start_url, started))
        if made:
            self.meta = {**self._new_meta(spider.start_url, started), "redis_crawl": crawl.crawl}
            write_meta(self.folder, self.meta)
        self.part = self.folder / "workers" / crawl.worker
        self.part.mkdir(parents=True)
        self._open_writers(self.part)
        logger.info("Writing part tables into %s", self.part)

    def _restore(self, spider: Any, killed: bool) -> None:
        """Rebuild what the interrupted crawl knew from its tables, so that every row ends up exactly once.

        After a clean stop (Ctrl-C) Scrapy's queue in JOBDIR holds the pending requests. After a kill it is
        lost (see ``DiskQueueScheduler``), and the tables are all there is: a page counts as stored when its row
        and all its recorded link rows (``outlinks`` but those over the limit) are there (others are dropped and
        fetched again), and the pages its
        followed links and redirects lead to, and the outside targets of its links, that have no row yet are
        asked for again.
        """
        fmt = self.config.format
        # internal targets are resolved again when the crawl ends; external checks stay
        rewrite_table(self.folder, "targets", fmt, lambda chunk: {"_keep": [m != "crawl" for m in chunk["method"]]})
        if killed:
            self._drop_unfinished_pages()
        for chunk in iter_chunks(self.folder, "pages"):
            self._replay_pages(chunk, [True] * len(chunk["url"]))
        for chunk in iter_chunks(self.folder, "links"):
            self._replay_links(chunk, [True] * len(chunk["url"]))
        for chunk in iter_chunks(self.folder, "targets"):
            self._replay_targets(chunk)
        if killed:
            spider.restore(self.answers.keys(), self.checks.keys(), self._frontier(), self._pending_checks())
        else:
            spider.restore(self.answers.keys(), self.checks.keys())

    def _drop_unfinished_pages(self) -> None:
        """Keep the pages whose row and every link row were written before the crawl was killed."""
        links: dict[int, int] = {}
        for chunk in iter_chunks(self.folder, "links"):
            for page in chunk["page"]:
                links[hash(page)] = links.get(hash(page), 0) + 1
        done: set[int] = set()
        for chunk in iter_chunks(self.folder, "pages"):
            for url, outlinks, over in zip(chunk["url"], chunk["outlinks"], chunk["links_over_limit"], strict=True):
                if links.get(hash(url), 0) == (_number(outlinks, int) or 0) - (_number(over, int) or 0):
                    done.add(hash(url))
        fmt = self.config.format
        rewrite_table(self.folder, "pages", fmt, lambda chunk: {"_keep": [hash(u) in done for u in chunk["url"]]})
        rewrite_table(self.folder, "links", fmt, lambda chunk: {"_keep": [hash(p) in done for p in chunk["page"]]})

    def _frontier(self) -> list[tuple[str, str, int]]:
        """``(url, referrer, depth)`` of the pages that followed links and redirects lead to and that have no row:
        the first page found leading there is the referrer, depth is the shortest click path."""
        referrers: dict[int, int] = {}
        for edge in self.edges:  # in the order the links were stored
            target = edge & 0xFFFFFFFF
            if target not in referrers and self.urls[target] not in self.answers:
                referrers[target] = edge >> 32
        depth = self._depths()
        return sorted(((self.urls[t], self.urls[r], max(int(depth[t]), 0)) for t, r in referrers.items()),
                      key=lambda entry: entry[2])

    def _pending_checks(self) -> list[tuple[str, str]]:
        """``(url, kind)`` of the outside targets of stored links and redirects that were not checked yet."""
        pending: dict[str, str] = {}
        for chunk in iter_chunks(self.folder, "links"):
            for url, kind, blocked in zip(chunk["url"], chunk["kind"], chunk["robots_blocked"], strict=True):
                if kind in ("external", "affiliate") and blocked not in (True, "True") and url not in self.checks:
                    pending.setdefault(url, kind)
        for answer in self.answers.values():
            target = answer.redirect_target
            if target and target not in self.checks and target.startswith(("http://", "https://")):
                pending.setdefault(target, "external")
        return list(pending.items())

    # --- what the close-time work needs, counted as rows are stored (or replayed from tables) ------------------

    def _is_internal(self, url: str) -> bool:
        try:
            return self.crawler.spider.classifier.is_internal(urlsplit(url))
        except ValueError:  # a redirect_target that is no URL (a page's error says "bad redirect")
            return False

    def _id(self, url: str) -> int:
        number = self.ids.get(url)
        if number is None:
            number = self.ids[url] = len(self.urls)
            self.urls.append(url)
            self.inlinks.append(0)
            self.unique_inlinks.append(0)
            self.texts.append(0)
        return number

    def _note_page(self, url: str, answer: PageAnswer, text_hash: str = "") -> None:
        number = self._id(url)
        self.answers[self.urls[number]] = answer
        if text_hash:
            self.texts[number] = int(text_hash, 16)
        failed = failure(answer.status, answer.error)
        if failed:
            self.failures[failed] += 1
        if answer.redirect_target and self._is_internal(answer.redirect_target):  # a redirect is followed too
            self.edges.append(number << 32 | self._id(answer.redirect_target))

    def _note_link(self, page: str, url: str, kind: str, blocked: bool, follow: bool) -> None:
        """Count a link row (rows of one page come together): inlinks, robots-blocked URLs, followed edges."""
        if page != self._page:
            self._page, self._seen = page, set()
        if blocked:
            self.blocked.add(url)
        if url == page or kind not in _WEB_KINDS:
            return
        number = self._id(url)
        self.inlinks[number] += 1
        if number in self._seen:
            return
        self._seen.add(number)
        self.unique_inlinks[number] += 1
        # the spider's rule for which links it follows
        if not blocked and (follow or self.config.follow_nofollow) and (
                kind == "internal" or (kind == "affiliate" and self._is_internal(url))):
            self.edges.append(self._id(page) << 32 | number)

    def _replay_pages(self, chunk: dict[str, list[Any]], keep: list[bool]) -> None:
        for url, status, target, error, ms, text, kept in zip(
                chunk["url"], chunk["status"], chunk["redirect_target"], chunk["error"], chunk["response_ms"],
                chunk["text_hash"], keep, strict=True):
            if kept:
                self._note_page(url, PageAnswer(_number(status, int), target or "", error or "", _number(ms, float)),
                                text or "")

    def _replay_links(self, chunk: dict[str, list[Any]], keep: list[bool]) -> None:
        for page, url, kind, blocked, follow, kept in zip(chunk["page"], chunk["url"], chunk["kind"],
                                                          chunk["robots_blocked"], chunk["follow"], keep, strict=True):
            if kept:
                self._note_link(page, url, kind, blocked in (True, "True"), follow in (True, "True"))

    def _replay_targets(self, chunk: dict[str, list[Any]]) -> list[bool]:
        """Note the targets not known yet; which rows they were."""
        keep = [url not in self.checks for url in chunk["url"]]
        for i, url in enumerate(chunk["url"]):
            if keep[i]:
                self.checks[url] = restore_target(SimpleNamespace(**{c: chunk[c][i] for c in chunk}))
        return keep

    def _depths(self) -> Any:
        """Clicks from the start URL to each URL along followed links and redirects (breadth-first over the
        edges); -1 where no click path leads (orphans). Concurrent fetching cannot make it longer than it is."""
        import numpy as np

        depth = np.full(len(self.ids), -1, dtype=np.int32)
        start = self.ids.get(self.crawler.spider.start_url)
        if start is None:
            return depth
        edges = np.frombuffer(self.edges, dtype=np.uint64) if self.edges else np.zeros(0, np.uint64)
        edges.sort()  # in place, in the array's own buffer: by source, then target
        offsets = np.searchsorted(edges, np.arange(len(self.ids) + 1, dtype=np.uint64) << np.uint64(32))
        target = (edges & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        frontier, level = np.array([start]), 0
        depth[start] = 0
        while frontier.size:
            level += 1
            reached = np.concatenate([target[offsets[i]:offsets[i + 1]] for i in frontier])
            reached = np.unique(reached[depth[reached] < 0]) if reached.size else reached
            depth[reached] = level
            frontier = reached
        return depth

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
        self._note_page(page.url, PageAnswer(page.status, page.redirect_target, page.error, page.response_ms),
                        page.text_hash)
        stats = self.crawler.stats
        stats.inc_value("linkcrawler/pages")
        stats.inc_value("linkcrawler/links", len(item.links))
        # the link rows reach the disk before the page row: a page row is there only with all its links
        if item.links:
            self.links.write([_link_row(link) for link in item.links])
            for link in item.links:
                self._note_link(page.url, link.url, link.kind, link.robots_blocked, link.follow)
            self.links.flush()
        self.pages.write([_page_row(page)])
        self.pages.flush()
        return item

    def close_spider(self) -> None:
        if self.folder is None:
            return
        if self.part is not None:  # a worker: the last one to finish merges the parts (see spider_closed)
            for writer in (self.pages, self.links, self.targets):
                writer.close()
            return
        self._complete()

    def _complete(self) -> None:
        """Resolve internal targets, then fill inlinks, sitemap membership and link results into the tables."""
        classifier = self.crawler.spider.classifier
        internal = [url for url, n in zip(self.urls, self.inlinks, strict=True)
                    if n and url not in self.checks and classifier.is_internal(urlsplit(url))]
        limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        for url in internal:
            target = resolve_internal(url, self.answers, self.checks, self.config.max_redirects)
            target.kind = classifier.kind(url, urlsplit(url))[0]
            if url in self.blocked:
                target.error, target.result = "robots", "blocked"
            elif target.error == "not crawled" and limit and len(target.final_url) > limit:
                target.error = "url too long"
                target.result = result_of(None, target.error, external=False, redirects=target.redirects)
                target.detail = f"more than URLLENGTH_LIMIT ({limit}) characters: not fetched"
            self.checks[url] = target
            self.targets.write([_target_row(target)])
        for writer in (self.pages, self.links, self.targets):
            writer.close()
        fmt = self.config.format
        self.depth = self._depths()
        self.start_types = dict.fromkeys(start_chain(self.crawler.spider.start_url, self.answers), "")
        with tempfile.TemporaryFile(dir=self.folder) as keys:
            self._count_repeats(keys)
            keys.seek(0)
            self._keys = keys
            rewrite_table(self.folder, "links", fmt, self._fill_links)
        rewrite_table(self.folder, "pages", fmt, self._fill_pages)
        rewrite_table(self.folder, "targets", fmt, self._fill_inlinks)
        self.meta.update(pages=self.pages.rows, links=self.links.rows, targets=self.targets.rows,
                         failed_pages=sum(self.failures.values()), failures=dict(self.failures.most_common()))
        write_meta(self.folder, self.meta)
        stats = self.crawler.stats  # one count everywhere: the rows of the run folder's tables
        for name in ("pages", "links", "targets"):
            stats.set_value(f"linkcrawler/{name}", self.meta[name])

    def _fill_inlinks(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        self._tick()
        ids = [self.ids.get(u) for u in chunk["url"]]
        return {
            "inlinks": [0 if i is None else self.inlinks[i] for i in ids],
            "unique_inlinks": [0 if i is None else self.unique_inlinks[i] for i in ids],
        }

    def _count_repeats(self, keys: Any) -> None:
        """Count the pages per link key and per place (:mod:`linkcrawler.template`) over the links table, and
        write each row's two keys to ``keys`` in row order, for :meth:`_fill_links`."""
        import numpy as np

        links, places = PageCounts(folder=self.folder), PageCounts(folder=self.folder)
        page, page_links, page_places, pages, identity = None, [], [], 0, 0
        for chunk in iter_chunks(self.folder, "links"):
            self._tick()
            pairs = np.zeros((len(chunk["page"]), 2), dtype=np.uint64)
            rows = zip(chunk["page"], chunk["url"], chunk["href"], chunk["anchor"], chunk["position"],
                       chunk["link_path"], chunk["text_before"], chunk["text_after"], chunk["editorial"], strict=True)
            for i, (on, url, href, anchor, position, path, before, after, editorial) in enumerate(rows):
                if on != page:
                    links.add(page_links, identity)
                    places.add(page_places, identity)
                    page, page_links, page_places, pages = on, [], [], pages + 1
                    number = self.ids.get(on)
                    identity = self.texts[number] if number is not None and self.texts[number] else page_key(on, "")
                key = link_key(on, url or "", href or "", anchor or "", position or "", path or "", before or "",
                               after or "")
                where = place_key(position or "", path or "")
                pairs[i] = key, where
                page_links.append(key)
                if editorial not in (True, "True"):
                    page_places.append(where)
            pairs.tofile(keys)
        links.add(page_links, identity)
        places.add(page_places, identity)
        self.key_pages, self.place_pages, self.linking_pages = links.finish(), places.finish(), pages
        self.template_links = array("I", bytes(4 * len(self.urls)))
        self.lost_editorial = array("I", bytes(4 * len(self.urls)))  # editorial links that turned out template
        self.lost_internal = array("I", bytes(4 * len(self.urls)))
        self.lost_words = array("I", bytes(4 * len(self.urls)))

    def _fill_pages(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        sitemap = self.crawler.spider.sitemap_urls
        ids = [self.ids.get(u) for u in chunk["url"]]
        depth = [-1 if i is None else int(self.depth[i]) for i in ids]
        for url, kind in zip(chunk["url"], chunk["content_type"], strict=True):
            if url in self.start_types:
                self.start_types[url] = kind or ""
        filled = {**self._fill_inlinks(chunk), "in_sitemap": [u in sitemap for u in chunk["url"]],
                  "depth": [d if d >= 0 else None for d in depth], "template_links": [],
                  "canonical_of": [self._canonical_of(u, c) for u, c in zip(chunk["url"], chunk["canonical"],
                                                                           strict=True)]}
        for column in ("editorial_links", "internal_editorial_links", "editorial_link_words"):
            filled[column] = list(chunk[column])
        for row, i in enumerate(ids):
            parsed = chunk["words"][row] not in ("", None)
            filled["template_links"].append((self.template_links[i] if i is not None else 0) if parsed else None)
            if parsed and i is not None and self.lost_editorial[i]:
                for column, lost in (("editorial_links", self.lost_editorial), ("internal_editorial_links",
                                     self.lost_internal), ("editorial_link_words", self.lost_words)):
                    filled[column][row] = int(filled[column][row] or 0) - lost[i]
        return filled

    def _fill_links(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Each link's target answer (an internal link whose chain ends at an affiliate URL becomes affiliate),
        and whether the site's theme repeats it (template, sitewide_pages, editorial)."""
        import numpy as np

        filled = self._fill_link_targets(chunk)
        pairs = np.fromfile(self._keys, dtype=np.uint64, count=2 * len(chunk["page"])).reshape(-1, 2).tolist()
        template, editorial, sitewide = [], [], []
        min_pages, linking = self.config.template_min_pages, self.linking_pages
        for row, (key, where) in enumerate(pairs):
            was = chunk["editorial"][row] in (True, "True")
            pages = self.key_pages.get(key, 1)
            is_template, now = decide(was, pages, self.place_pages.get(where, 1), min_pages, linking)
            template.append(is_template)
            editorial.append(now)
            sitewide.append(pages)
            if is_template or (was and not now):
                page = self.ids.get(chunk["page"][row])
                if page is not None:
                    self.template_links[page] += is_template
                    if was and not now:
                        self.lost_editorial[page] += 1
                        self.lost_internal[page] += filled["kind"][row] == "internal"
                        self.lost_words[page] += len((chunk["anchor"][row] or "").split())
        return {**filled, "template": template, "editorial": editorial, "sitewide_pages": sitewide}

    def _canonical_of(self, url: str, canonical: str | None) -> str:
        """The other crawled page (2xx) that ``url`` declares canonical: ``url`` is a duplicate of it."""
        if not canonical or canonical == url:
            return ""
        answer = self.answers.get(canonical)
        return canonical if answer is not None and answer.status is not None and 200 <= answer.status < 300 else ""

    def _fill_link_targets(self, chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Each link's target answer; an internal link whose chain ends at an affiliate URL becomes affiliate."""
        self._tick()
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

    async def spider_closed(self, spider: Any, reason: str) -> None:
        """Record why and when the crawl ended, and say where its run folder is."""
        if self.folder is None:
            return
        # the crawl's own peak, before the report runs in a child process
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if self.part is not None and not await self._finish_worker(spider.claims, reason, round(peak_mb)):
            return
        jobdir = self.crawler.settings.get("JOBDIR")
        self.meta.update(finished_at=datetime.now(UTC).isoformat(), finish_reason=reason, peak_rss_mb=round(peak_mb))
        if spider.robots_note:
            self.meta["robots"] = spider.robots_note
        if spider.sitemap_errors:
            self.meta["sitemap_errors"] = spider.sitemap_errors
        self.meta.pop("resumable", None)
        if jobdir and reason != "finished":  # stopped, to be resumed: no baseline, never pruned
            self.meta["resumable"] = True
        facts = {url: PageFact(a.status, a.error, a.redirect_target, self.start_types.get(url, ""))
                 for url in self.start_types if (a := self.answers.get(url)) is not None}
        self.meta["status"], self.meta["status_reason"] = run_status(self.meta, facts)
        write_meta(self.folder, self.meta)
        self.crawler.stats.set_value("linkcrawler/status", self.meta["status"])
        if jobdir and reason == "finished":  # done: the same JOBDIR starts a new run folder next time
            (Path(jobdir) / JOB_MARKER).unlink(missing_ok=True)
        elif jobdir:  # stopped cleanly: Scrapy saved its queue in JOBDIR, whole unless start() was cut short
            write_job(jobdir, self.folder, running=not spider.start_done)
        if self.config.report:
            self._report()
        prune(self.folder.parent, self.config.keep_runs)

    async def _finish_worker(self, crawl: Any, reason: str, peak_mb: int) -> bool:
        """A worker is done: record its part; the last worker of a finished crawl merges every part into the
        run folder's tables (True), the others leave (False)."""
        part_meta = {"worker": crawl.worker, "finish_reason": reason, "pages": self.pages.rows,
                     "links": self.links.rows, "targets": self.targets.rows, "peak_rss_mb": peak_mb}
        (self.part / "worker.json").write_text(json.dumps(part_meta, indent=2), encoding="utf-8")
        while (outcome := crawl.finish(reason)) == "wait":
            await deferred_to_future(deferLater(reactor, 0.5, lambda: None))
        if outcome != "merge":
            if reason == "finished":
                logger.info("Worker %s done (%d pages); the last worker merges the parts into %s", crawl.worker,
                            self.pages.rows, self.folder)
            else:
                logger.info("Worker %s left the shared crawl (%s) after %d pages; the crawl goes on in Redis",
                            crawl.worker, reason, self.pages.rows)
            return False
        logger.info("Last worker of the shared crawl: merging the parts into %s", self.folder)
        self._tick = crawl.beat  # the merge blocks the reactor: it beats chunk by chunk itself
        self.meta = read_meta(self.folder)
        self.meta["workers"] = self._merge()
        self._complete()
        crawl.wipe()
        return True

    def _merge(self) -> list[dict[str, Any]]:
        """Every worker's part tables into the run folder's, each page and target once.

        Parts of workers that finished come first; a page that a killed worker had stored and another worker
        fetched again is kept from the finished one, with the links of that same part. The counters that
        ``_complete`` needs (answers, checks, inlinks) are rebuilt from the rows as they stream by.
        """
        for state in (self.answers, self.checks, self.blocked, self.ids, self.urls, self.failures):
            state.clear()
        self.edges, self.inlinks, self.unique_inlinks, self.texts = array("Q"), array("I"), array("I"), array("Q")
        parts = sorted((self.folder / "workers").iterdir(), key=lambda p: (not (p / "worker.json").exists(), p.name))
        for name in ("pages", "links", "targets"):  # left by a merger that died: this merge starts over
            stale = table_path(self.folder, name)
            if stale is not None and stale.is_dir():
                shutil.rmtree(stale)
            elif stale is not None:
                stale.unlink()
        self._open_writers(self.folder)
        owner: dict[str, int] = {}
        workers = []
        for number, part in enumerate(parts):
            pages = links = 0
            for chunk in iter_chunks(part, "pages"):
                self._tick()
                keep = [owner.setdefault(url, number) == number and url not in self.answers for url in chunk["url"]]
                self._replay_pages(chunk, keep)
                pages += sum(keep)
                self.pages.write(_kept_rows(chunk, PAGE_COLUMNS, keep))
            self._page, self._seen = "", set()  # not what was counted before (another part, or the worker's crawl)
            for chunk in iter_chunks(part, "links"):
                self._tick()
                keep = [owner.get(p) == number for p in chunk["page"]]
                self._replay_links(chunk, keep)
                links += sum(keep)
                self.links.write(_kept_rows(chunk, LINK_COLUMNS, keep))
            for chunk in iter_chunks(part, "targets"):
                self.targets.write(_kept_rows(chunk, TARGET_COLUMNS, self._replay_targets(chunk)))
            meta_path = part / "worker.json"
            info = json.loads(meta_path.read_text()) if meta_path.exists() else {"worker": part.name,
                                                                                 "finish_reason": "lost"}
            workers.append({**info, "pages_kept": pages, "links_kept": links})
        return workers

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
