"""Claims on pages and checks, for one process or for several workers sharing one crawl through Redis.

:class:`Claims` is the one-process crawl: sets of the URLs asked for. :class:`RedisCrawl` is what
``LINKCRAWLER_REDIS_URL`` turns on: scrapy-redis's scheduler and duplicate filter keep the request queue in
Redis, and the same Redis holds

- the claims, so that each page and each external target is asked for once across workers (and
  ``LINKCRAWLER_MAX_PAGES`` counts for the whole crawl);
- the workers and their state (busy, idle, finished) with a heartbeat each: the crawl ends when the queue is
  empty and every live worker is idle, not when one worker runs dry;
- what each worker has taken from the queue and not yet stored (``processing``): when a worker stops beating,
  another one puts those requests back, so a killed worker loses no page;
- the run folder every worker writes its part tables into, and who merges them at the end.

All keys start with ``linkcrawler:<crawl>:`` (``LINKCRAWLER_REDIS_CRAWL``, by default the start URL's host and
port). Requests are pickled into Redis (scrapy-redis's serializer): the Redis must be private to the crawl's
workers. The scripts use keys they compute, so a Redis Cluster is not supported; a single Redis is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.misc import load_object
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

CLAIM = "linkcrawler_claim"  # request.meta key: this worker's processing entry for the request
NEW_CHECK = "linkcrawler_new_check"  # request.meta key: the first request of an external target's check
_SEQUENCE_SPAN = 2**40  # queue score = -priority * span + arrival number: priority first, then first in first out

# Pop the next request and note it as this worker's, atomically (a worker killed right after loses nothing).
_POP = """
local got = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #got == 0 then return false end
redis.call('ZREM', KEYS[1], got[1])
local claim = redis.call('INCR', KEYS[4]) .. ':' .. got[2]
redis.call('HSET', KEYS[2], claim, got[1])
redis.call('HSET', KEYS[3], ARGV[1], 'busy')
return {claim, got[1]}
"""
# Claim a fingerprint (unless ARGV[4] is empty) and queue the request in one step: no worker can die between
# "this page is mine" and "this page is queued". ARGV[5] > 0 caps the claimed set (LINKCRAWLER_MAX_PAGES).
_PUSH = """
if ARGV[4] ~= '' then
  local most = tonumber(ARGV[5])
  if redis.call('SISMEMBER', KEYS[3], ARGV[4]) == 1 then return 0 end
  if most > 0 and redis.call('SCARD', KEYS[3]) >= most then return 0 end
  redis.call('SADD', KEYS[3], ARGV[4])
end
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * tonumber(ARGV[3]) + n, ARGV[2])
return 1
"""
# Put a worker's taken requests (processing hash: "n:score" → request) back in the queue with their score.
_REQUEUE = """
local function requeue(taken_key, queue_key)
  local taken = redis.call('HGETALL', taken_key)
  for j = 1, #taken, 2 do
    local score = string.match(taken[j], ':(.*)$')
    redis.call('ZADD', queue_key, tonumber(score), taken[j + 1])
  end
  redis.call('DEL', taken_key)
  return #taken / 2
end
"""
_REQUEUE_OWN = _REQUEUE + "return requeue(KEYS[1], KEYS[2])"
# Workers (not finished) whose heartbeat expired: their taken requests go back to the queue.
_SWEEP = _REQUEUE + """
local swept = {}
local states = redis.call('HGETALL', KEYS[1])
for i = 1, #states, 2 do
  local worker, state = states[i], states[i + 1]
  if state ~= 'finished' and redis.call('EXISTS', ARGV[1] .. 'heartbeat:' .. worker) == 0 then
    local count = requeue(ARGV[1] .. 'processing:' .. worker, KEYS[2])
    redis.call('HDEL', KEYS[1], worker)
    redis.call('SADD', KEYS[3], worker)
    table.insert(swept, worker)
    table.insert(swept, count)
  end
end
return swept
"""
_CRAWL_IDLE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, state in ipairs(redis.call('HVALS', KEYS[2])) do
  if state == 'busy' then return 0 end
end
return 1
"""
# 'merge': every worker finished and this one merges (beating from now on, so that a merger that dies can be
# told from one at work); 'wait': others still at work; 'other': someone merges.
_FINISH = """
if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 'other' end
for _, state in ipairs(redis.call('HVALS', KEYS[1])) do
  if state ~= 'finished' then return 'wait' end
end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[4], 1, 'PX', ARGV[2])
return 'merge'
"""


def url_digest(url: str) -> bytes:
    """A short stable digest of a URL, the same in every worker (``hash()`` is salted per process)."""
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=12).digest()


class Claims:
    """One process: which pages and external targets the crawl has asked for, once each."""

    distributed = False

    def __init__(self, max_pages: int = 0) -> None:
        self.max_pages = max_pages
        self.pages: set[int] = set()
        self.checks: set[int] = set()
        self._sitemaps_claimed = False

    def claim_page(self, url: str) -> bool:
        """True the first time a page URL is asked for, while fewer than LINKCRAWLER_MAX_PAGES are."""
        key = hash(url)
        if key in self.pages or (self.max_pages and len(self.pages) >= self.max_pages):
            return False
        self.pages.add(key)
        return True

    def has_page(self, url: str) -> bool:
        """Whether this process has asked for ``url`` as a page."""
        return hash(url) in self.pages

    def claim_check(self, url: str) -> bool:
        """True the first time an external target is to be checked."""
        key = hash(url)
        if key in self.checks:
            return False
        self.checks.add(key)
        return True

    def restore(self, page_urls: Iterable[str], target_urls: Iterable[str]) -> None:
        self.pages.update(hash(u) for u in page_urls)
        self.checks.update(hash(u) for u in target_urls)

    def crawl_idle(self) -> bool:
        """Called when this process has nothing to do: whether the whole crawl has nothing to do."""
        return True

    def claim_sitemaps(self) -> bool:
        """True once per crawl: the caller schedules the sitemap URLs no link reached."""
        first, self._sitemaps_claimed = not self._sitemaps_claimed, True
        return first


class RedisCrawl(Claims):
    """One worker of a crawl shared through Redis (see the module's docstring).

    Its own claims are local (each URL is offered to the queue once per worker); the shared claim is made when
    the request is queued, in the same Redis step (see ``push``).
    """

    distributed = True

    def __init__(self, server: Any, crawl: str, timeout: float, max_pages: int = 0) -> None:
        super().__init__(0)
        self.max_pages_shared = max_pages
        self.server = server
        self.crawl = crawl
        self.prefix = f"linkcrawler:{crawl}:"
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.timeout = max(1.0, float(timeout))
        self._beat: LoopingCall | None = None
        self._finishing = False
        self.late = 0.0  # seconds since the crawl this worker was started for ended (then it does nothing)
        self._pop = server.register_script(_POP)
        self._push = server.register_script(_PUSH)
        self._sweep = server.register_script(_SWEEP)
        self._requeue_own = server.register_script(_REQUEUE_OWN)
        self._idle = server.register_script(_CRAWL_IDLE)
        self._finish = server.register_script(_FINISH)

    @classmethod
    def from_crawler(cls, crawler: Crawler, start_url: str) -> RedisCrawl:
        from redis.exceptions import RedisError

        settings = crawler.settings
        server = get_redis_from_settings(settings)
        parts = urlsplit(start_url)
        default_name = f"{parts.hostname}_{parts.port}" if parts.port else str(parts.hostname)
        crawl = settings.get("LINKCRAWLER_REDIS_CRAWL") or default_name
        try:
            server.ping()
        except RedisError as exc:
            raise ValueError(f"LINKCRAWLER_REDIS_URL: cannot reach Redis ({exc})") from exc
        instance = cls(server, crawl, settings.getfloat("LINKCRAWLER_REDIS_WORKER_TIMEOUT"),
                       settings.getint("LINKCRAWLER_MAX_PAGES"))
        instance.late = instance.ended_lately()
        if instance.late:
            logger.warning("The shared crawl %r ended %.0f s ago, before this worker started: nothing to do. "
                           "A new crawl of that name can start in %.0f s (or name another LINKCRAWLER_REDIS_CRAWL)",
                           crawl, instance.late, instance._done_ttl() - instance.late)
        crawler.signals.connect(instance.item_done, signal=signals.item_scraped)
        crawler.signals.connect(instance.item_done, signal=signals.item_error)
        return instance

    def key(self, name: str) -> str:
        return self.prefix + name

    # --- joining, beating, leaving ----------------------------------------------------------------------------

    def ended_lately(self) -> float:
        """Seconds ago the crawl of this name ended, when that was less than twice the worker timeout ago (a
        worker started that late belongs to the crawl that ended, and has nothing to do); else 0."""
        left = self.server.pttl(self.key("done"))
        return max(0.001, self._done_ttl() - left / 1000) if left and left > 0 else 0.0

    def _done_ttl(self) -> float:
        return 2 * self.timeout

    def join(self) -> None:
        """Register as a busy worker and start beating. An unfinished crawl of this name (its queue or workers
        still in Redis) is joined; otherwise this worker starts one."""
        if self.late:
            return
        merger = self.server.get(self.key("merger"))
        if merger is not None and not self.server.exists(self.key(f"heartbeat:{merger.decode()}")):
            self.server.delete(self.key("merger"))
            logger.warning("Worker %s stopped while merging the shared crawl's parts; the last worker to finish "
                           "merges them again", merger.decode())
        self.server.hset(self.key("workers"), self.worker, "busy")
        self._beat = LoopingCall(self.beat)
        self._beat.start(self.timeout / 4, now=True)
        logger.info("Worker %s of the Redis crawl %r", self.worker, self.crawl)

    def beat(self) -> None:
        self.server.set(self.key(f"heartbeat:{self.worker}"), 1, px=int(self.timeout * 1000))

    def _stop_beating(self) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        self.server.delete(self.key(f"heartbeat:{self.worker}"))

    def run_folder(self, make: Callable[[], Path]) -> tuple[Path, bool]:
        """The crawl's run folder, made by the first worker (True when this worker made it)."""
        existing = self.server.get(self.key("run_folder"))
        if existing is None:
            folder = make()
            if self.server.set(self.key("run_folder"), str(folder.resolve()), nx=True):
                return folder, True
            folder.rmdir()  # another worker made one first
            existing = self.server.get(self.key("run_folder"))
        folder = Path(existing.decode() if isinstance(existing, bytes) else existing)
        if not folder.is_dir():
            raise ValueError(f"the shared crawl writes into {folder}, which this worker cannot see: workers need "
                             "the same path to the run folder (one machine, or a shared filesystem)")
        return folder, False

    def finish(self, reason: str) -> str:
        """This worker is done: ``merge`` (it merges the parts), ``wait`` (others are still at work; ask again)
        or ``other`` (another worker merges, or the crawl did not end). A worker that stops before the crawl
        ends (Ctrl-C, a close-spider limit) puts back what it took and leaves; the crawl stays in Redis for
        other or later workers."""
        if not self._finishing:
            self._finishing = True
            if not self._leave(reason):
                return "other"
        return self._finish(keys=[self.key("workers"), self.key("merger"), self.key("done"),
                                  self.key(f"heartbeat:{self.worker}")],
                            args=[self.worker, int(self.timeout * 1000)]).decode()

    def _leave(self, reason: str) -> bool:
        """Stop beating and let go of the taken requests; True when this worker stays to see the crawl merged."""
        taken = self.key(f"processing:{self.worker}")
        if reason != "finished":
            self._stop_beating()
            count = self._requeue_own(keys=[taken, self.key("queue")])
            self.server.hdel(self.key("workers"), self.worker)
            if count:
                logger.info("Put %d unfinished requests back in the shared queue", count)
            return False
        self.server.hset(self.key("workers"), self.worker, "finished")  # first: no one takes it for dead
        self._stop_beating()
        self.server.delete(taken)  # entries never acknowledged (requests that led to other requests)
        self._sweep_dead()
        return True

    def wipe(self) -> None:
        """After the merge: delete the crawl's keys but a short-lived ``done`` (see ``ended_lately``); the next
        crawl of this name starts afresh."""
        self.server.set(self.key("done"), 1, px=int(self._done_ttl() * 1000))
        keys = [k for k in self.server.scan_iter(match=self.prefix + "*", count=1000)
                if not k.decode().endswith(":done")]
        for i in range(0, len(keys), 500):
            self.server.delete(*keys[i:i + 500])

    # --- claims -------------------------------------------------------------------------------------------

    def claim_sitemaps(self) -> bool:
        return not self.late and bool(self.server.set(self.key("sitemaps"), self.worker, nx=True))

    # --- the shared queue ---------------------------------------------------------------------------------

    def push(self, data: bytes, priority: int, seen_key: str = "", fingerprint: str | bytes = "",
             most: int = 0) -> bool:
        """Queue a request; with a fingerprint, only if ``seen_key`` (a set) does not hold it yet and holds
        fewer than ``most`` (0: no cap). False when the request was not queued."""
        return bool(self._push(keys=[self.key("queue"), self.key("sequence"), seen_key or self.key("queue")],
                               args=[-priority, data, _SEQUENCE_SPAN, fingerprint, most]))

    def pop(self) -> tuple[str, bytes] | None:
        got = self._pop(keys=[self.key("queue"), self.key(f"processing:{self.worker}"), self.key("workers"),
                              self.key("claims")], args=[self.worker])
        if not got:
            return None
        return got[0].decode(), got[1]

    def queued(self) -> int:
        return self.server.zcard(self.key("queue"))

    def item_done(self, item: Any, response: Response | Any) -> None:
        """An item of a request is stored: the request is done, no other worker needs to redo it."""
        request = response.request if isinstance(response, Response) else getattr(response, "request", None)
        claim = request.meta.get(CLAIM) if isinstance(request, Request) else None
        if claim:
            self.server.hdel(self.key(f"processing:{self.worker}"), claim)

    def crawl_idle(self) -> bool:
        """This worker is idle: is the whole crawl? Puts back the requests of workers that stopped beating."""
        if self.late:
            return True
        self.server.hset(self.key("workers"), self.worker, "idle")
        self._sweep_dead()
        return bool(self._idle(keys=[self.key("queue"), self.key("workers")]))

    def _sweep_dead(self) -> None:
        swept = self._sweep(keys=[self.key("workers"), self.key("queue"), self.key("dead")], args=[self.prefix])
        for worker, count in zip(swept[::2], swept[1::2], strict=True):
            logger.warning("Worker %s stopped beating; %d of its requests are back in the queue",
                           worker.decode(), count)


class ReliableQueue(Base):
    """The shared queue: priority first (breadth-first, as in one process), then first in, first out; a request
    taken from it stays noted as the worker's until its item is stored."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.crawl: RedisCrawl = spider.claims

    def __len__(self) -> int:
        return self.crawl.queued()

    def push(self, request: Request, seen_key: str = "", fingerprint: str | bytes = "", most: int = 0) -> bool:
        request.meta.pop(CLAIM, None)
        return self.crawl.push(self._encode_request(request), request.priority, seen_key, fingerprint, most)

    def pop(self, timeout: int = 0) -> Request | None:
        got = self.crawl.pop()
        if got is None:
            return None
        claim, data = got
        request = self._decode_request(data)
        request.meta[CLAIM] = claim
        return request


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler on the crawl's keys, never flushing the shared queue when one worker closes,
    without scrapy-redis 0.9's deprecated ``spider=`` stats arguments.

    Pages are deduplicated by scrapy-redis's RFPDupeFilter fingerprints in its Redis set, and the first request
    of each external check by the target URL; the fingerprint is added in the same Redis step that queues the
    request (``RFPDupeFilter.request_seen`` then ``push`` would be two).
    """

    def open(self, spider: Any) -> None:
        crawl = spider.claims
        if not isinstance(crawl, RedisCrawl):
            raise ValueError("linkcrawler.distributed.Scheduler needs LINKCRAWLER_REDIS_URL")
        # scrapy-redis's open() would also flush with SCHEDULER_FLUSH_ON_START and call the deprecated Spider.log
        self.spider = spider
        self.persist = True  # the first worker to close must not flush everyone's queue
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=crawl.key("queue"),
                                                 serializer=self.serializer)
        self.df = RFPDupeFilter(self.server, key=crawl.key("dupefilter"), debug=spider.settings.getbool(
            "DUPEFILTER_DEBUG"))
        if queued := len(self.queue):
            logger.info("Joining the shared crawl %r: %d requests queued", crawl.crawl, queued)

    def enqueue_request(self, request: Request) -> bool:
        crawl: RedisCrawl = self.spider.claims
        if request.meta.pop(NEW_CHECK, False):
            queued = self.queue.push(request, crawl.key("checks"), url_digest(request.url))
        elif not request.dont_filter:
            queued = self.queue.push(request, self.df.key, self.df.request_fingerprint(request),
                                     crawl.max_pages_shared)
            if not queued:
                self.df.log(request, self.spider)
        else:
            queued = self.queue.push(request)
        if queued and self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


def worker_settings() -> dict[str, Any]:
    """Scrapy settings that make a crawl a worker of a shared crawl (besides ``REDIS_URL``)."""
    return {
        "SCHEDULER": "linkcrawler.distributed.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "linkcrawler.distributed.ReliableQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
    }
