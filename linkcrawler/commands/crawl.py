"""``scrapy crawl``: the crawl, with a short story on the console and an exit status cron and CI can act on.

Exit status: 0 the run is ok or partial (without new errors, when ``LINKCRAWLER_FAIL_ON_NEW_ERRORS`` asks);
2 the run failed (its start URL gave no HTML page) or the command was misused (no URL, a URL without a scheme,
a malformed or unknown setting: one line, no traceback); 3 ``LINKCRAWLER_FAIL_ON_NEW_ERRORS`` is on and the run
has new error-severity findings since the last good run.

The console gets a start line, the progress line (on a terminal), and at the end the run's summary with its run
folder and exit status, on stdout; Scrapy's log stays at WARNING there. With ``--logfile FILE`` the log is
written at INFO (banner, settings, stats) into FILE; ``-L INFO`` shows it on the console.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.commands import ScrapyHelpFormatter
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from linkcrawler.config import DEFAULTS, Config
from linkcrawler.health import counted, status_line
from linkcrawler.runfolder import read_meta
from linkcrawler.spiders.site import USAGE, check_start_url

logger = logging.getLogger(__name__)

FAILED_EXIT = 2
NEW_ERRORS_EXIT = 3
MAIN_SETTINGS = {
    "LINKCRAWLER_MAX_PAGES": "stop after this many pages (0: no limit)",
    "LINKCRAWLER_FORMAT": "tables as csv or parquet",
    "LINKCRAWLER_CHECK_EXTERNAL": "check external and affiliate link targets",
    "LINKCRAWLER_CHECK_EXCLUDE": 'targets not to check: a JSON list of regexes, \'["amzn\\\\.to"]\'',
    "LINKCRAWLER_FOLLOW_NOFOLLOW": "crawl internal links that are not follow as pages (else: checked only)",
    "LINKCRAWLER_FAIL_ON_NEW_ERRORS": f"exit status {NEW_ERRORS_EXIT} when the run has new error findings",
    "LINKCRAWLER_KEEP_RUNS": "keep only the newest N run folders of the site (0: all)",
    "LINKCRAWLER_EXPORT_DIR": "root of the run folders (relative: to the project folder)",
}


def _help() -> str:
    width = max(len(f"{n}={DEFAULTS[n]}") for n in MAIN_SETTINGS)
    settings = "\n".join(f"  {f'{n}={DEFAULTS[n]}':<{width}}  {text}" for n, text in MAIN_SETTINGS.items())
    return f"""The site spider:
  {USAGE} [-s NAME=VALUE ...]
  linkcrawler crawl https://www.example.com/ [-s NAME=VALUE ...]    (the same, from any folder)

  -a url=URL   the start URL, with its scheme (http:// or https://); the crawl stays on its host and port

Main settings, with their defaults (every LINKCRAWLER_* setting is in the README; lists are JSON lists):
{settings}

On the console: a start line, a progress line on a terminal, then the run's summary, run folder and exit status;
Scrapy logs warnings there. --logfile FILE writes Scrapy's log at INFO into FILE; -L INFO shows it here.
Exit status: 0 ok or partial, {FAILED_EXIT} failed run or usage error, {NEW_ERRORS_EXIT} new errors \
(LINKCRAWLER_FAIL_ON_NEW_ERRORS)."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter, ScrapyHelpFormatter):
    """Scrapy's help layout, with the epilog kept as written."""


class Command(ScrapyCrawl):
    default_settings = {"LOG_LEVEL": "WARNING"}

    def short_desc(self) -> str:
        return f"Crawl a site and map its links: {USAGE}"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.formatter_class = HelpFormatter
        parser.epilog = _help()

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.logfile and not opts.loglevel and (
                self.settings.getpriority("LOG_LEVEL") or 0) <= SETTINGS_PRIORITIES["command"]:
            self.settings.set("LOG_LEVEL", "INFO", priority="command")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError(f"running 'scrapy crawl' needs exactly one spider: {USAGE}")
        assert self.crawler_process is not None and self.settings is not None
        if args[0] == "site":
            try:
                check_start_url(opts.spargs.get("url"))
                Config.from_settings(self.settings)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                self.exitcode = FAILED_EXIT
                return
        crawler = self._create_crawler(args[0])
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawling = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(crawling, asyncio.Future):
            crawling.add_done_callback(self._started)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = FAILED_EXIT
            return
        self.exitcode = self._ending(crawler)

    def _started(self, crawling: asyncio.Future) -> None:
        """A crawl that could not start: a ValueError is a setting or argument refused when the crawl opened
        (one line, no traceback); anything else is logged with its traceback."""
        error = None if crawling.cancelled() else crawling.exception()  # retrieved: asyncio does not log it
        if isinstance(error, ValueError):
            print(f"error: {error}", file=sys.stderr)
        elif error is not None:
            logger.error("The crawl could not start", exc_info=error)

    def spider_opened(self, spider: Any) -> None:
        """The start line: what is crawled, and where its run folder is."""
        folder = getattr(spider, "run_folder", None)
        if folder is None:
            return
        resumed = read_meta(folder).get("resumed")
        doing = "Resuming the crawl of" if resumed else "Crawling"
        print(f"{doing} {spider.start_url} into {Path(folder).resolve()}", flush=True)

    def _ending(self, crawler: Any) -> int:
        """Print the run's summary, run folder and exit status; return the exit status."""
        folder = crawler.stats.get_value("linkcrawler/run_folder")
        meta = read_meta(folder) if folder else {}
        if not meta.get("status"):  # a worker that left a shared crawl, a late worker, a forced stop
            if folder:
                print(f"Run folder: {Path(folder).resolve()} (not finished by this process)")
            return 0
        summary = Path(folder) / "summary.md"
        print(summary.read_text(encoding="utf-8").rstrip() if summary.exists()
              else status_line(meta["status"], meta.get("status_reason", "")))
        print(f"\nRun folder: {Path(folder).resolve()}")
        new_errors = crawler.stats.get_value("linkcrawler/new_errors") or 0
        if meta["status"] == "failed":
            status, why = FAILED_EXIT, f"the run failed: {meta.get('status_reason', '')}"
        elif new_errors and crawler.settings.getbool("LINKCRAWLER_FAIL_ON_NEW_ERRORS"):
            status, why = NEW_ERRORS_EXIT, f"{counted(new_errors, 'new error')} since the last run"
        else:
            status, why = 0, f"the run is {meta['status']}"
        print(f"Exit status {status}: {why}", flush=True)
        logger.info("Exit status %d: %s", status, why)
        return status
