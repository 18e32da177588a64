"""The scheduler of a one-process crawl: Scrapy's, with the queue of pending requests on disk."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
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
            left = sweep_stale_queues()
            if left:
                logger.info("Removed %d queue folder(s) that killed crawls left in %s", len(left),
                            tempfile.gettempdir())
            scheduler._tmp = tempfile.TemporaryDirectory(prefix=QUEUE_PREFIX)
            Path(scheduler._tmp.name, OWNER).write_text(json.dumps(_owner()))
            scheduler.dqdir = scheduler._dqdir(scheduler._tmp.name)
        return scheduler

    def close(self, reason: str) -> Any:
        result = super().close(reason)
        if self._tmp is not None:
            self._tmp.cleanup()
        return result


QUEUE_PREFIX = "linkcrawler-queue-"
OWNER = "owner.json"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _owner() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "boot": _boot_id()}


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # not ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a process of another user
    return True


def sweep_stale_queues(root: Path | str | None = None) -> list[Path]:
    """Remove the temporary queue folders of crawls that were killed (SIGKILL, out of memory): a clean close
    removes its own, a killed crawl cannot, and at millions of pages a frontier is gigabytes. A folder is removed
    only when its ``owner.json`` names this machine and a process that is gone (or the machine has rebooted
    since); folders without one, of another host (a shared temporary folder) or of a live process stay."""
    removed = []
    me = _owner()
    for folder in Path(root or tempfile.gettempdir()).glob(QUEUE_PREFIX + "*"):
        try:
            owner = json.loads((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(owner, dict) or owner.get("host") != me["host"]:
            continue
        rebooted = bool(owner.get("boot")) and bool(me["boot"]) and owner.get("boot") != me["boot"]
        if rebooted or not _alive(owner.get("pid")):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
