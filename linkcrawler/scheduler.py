"""The scheduler of a one-process crawl: Scrapy's, with the queue of pending requests on disk."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

from linkcrawler.runfolder import read_job

logger = logging.getLogger(__name__)


class DiskQueueScheduler(Scheduler):
    """Scrapy's scheduler, keeping pending requests in its disk queues (``SCHEDULER_DISK_QUEUE``) even without
    ``JOBDIR``, in a temporary folder removed when the crawl closes.

    A breadth-first crawl's frontier can hold most of a site's URLs at once; as Request objects in memory that
    is a kilobyte or two per URL, which made the crawl's memory grow with the site. With ``JOBDIR`` set this is
    Scrapy's own behaviour, and the queue stays in ``JOBDIR`` for resuming.

    Scrapy saves its queue's state only when the crawl closes. When the crawl in ``JOBDIR`` was killed instead
    (SIGKILL, out of memory, a reboot), its queue and seen-requests files are stale: they are removed here,
    before Scrapy opens them, and the crawl rebuilds its frontier from the run folder's tables
    (``StorePipeline._restore``).
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        jobdir = job_dir(crawler.settings)
        if jobdir and read_job(jobdir).get("running"):
            logger.warning("The crawl in JOBDIR %s was killed (or stopped before it had queued its start requests): "
                           "its pending requests are rebuilt from the run folder's tables", jobdir)
            shutil.rmtree(Path(jobdir, "requests.queue"), ignore_errors=True)
            Path(jobdir, "requests.seen").unlink(missing_ok=True)
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
