"""``scrapy crawl``, with an exit status that cron and CI can act on.

Exit status 3 when ``LINKCRAWLER_FAIL_ON_NEW_ERRORS`` is on and the run has new error-severity findings
compared with the last run (broken links, unqualified affiliate links, new 5xx pages).
"""

from __future__ import annotations

import argparse
import logging

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

logger = logging.getLogger(__name__)

NEW_ERRORS_EXIT = 3


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("running 'scrapy crawl' needs exactly one spider")
        assert self.crawler_process is not None and self.settings is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        new_errors = crawler.stats.get_value("linkcrawler/new_errors") or 0
        if new_errors and crawler.settings.getbool("LINKCRAWLER_FAIL_ON_NEW_ERRORS"):
            logger.error("%d new errors since the last run: exit status %d", new_errors, NEW_ERRORS_EXIT)
            self.exitcode = NEW_ERRORS_EXIT
