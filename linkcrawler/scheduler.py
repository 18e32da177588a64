"""The scheduler of a one-process crawl: Scrapy's, with the queue of pending requests on disk."""

from __future__ import annotations

import tempfile
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler


class DiskQueueScheduler(Scheduler):
    """Scrapy's scheduler, keeping pending requests in its disk queues (``SCHEDULER_DISK_QUEUE``) even without
    ``JOBDIR``, in a temporary folder removed when the crawl closes.

    A breadth-first crawl's frontier can hold most of a site's URLs at once; as Request objects in memory that
    is a kilobyte or two per URL, which made the crawl's memory grow with the site. With ``JOBDIR`` set this is
    Scrapy's own behaviour, and the queue stays in ``JOBDIR`` for resuming.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler._tmp = None
        if scheduler.dqdir is None:
            scheduler._tmp = tempfile.TemporaryDirectory(prefix="linkcrawler-queue-")
            scheduler.dqdir = scheduler._dqdir(scheduler._tmp.name)
        return scheduler

    def close(self, reason: str) -> Any:
        result = super().close(reason)
        if self._tmp is not None:
            self._tmp.cleanup()
        return result
