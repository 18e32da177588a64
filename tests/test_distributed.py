"""Several workers, one crawl (LINKCRAWLER_REDIS_URL): real `scrapy crawl` processes sharing a real Redis end
with the tables and issues of a one-process crawl of the same site, and a killed worker loses no page."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import redis

from linkcrawler.demo.server import Route, Server
from linkcrawler.distributed import RedisCrawl
from linkcrawler.runfolder import read_meta
from linkcrawler.tables import read_table
from tests.conftest import CRAWL_ENV, ROOT, crawl_command, only_run_folder, run_crawl

TIMING = {"pages": ["response_ms"], "links": [], "targets": ["response_ms", "checked_at"]}
KEYS = {"pages": ["url"], "links": ["page", "index"], "targets": ["url"]}


def comparable(folder: Path) -> dict[str, pd.DataFrame]:
    """The run folder's tables without what timing changes, in a fixed order."""
    return {name: read_table(folder, name).drop(columns=TIMING[name]).sort_values(KEYS[name]).reset_index(drop=True)
            for name in KEYS}


def issues(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "issues.csv", dtype=str, keep_default_na=False)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def start_worker(url: str, export_dir: Path, log: Path, *settings: str) -> subprocess.Popen:
    with log.open("w") as stream:  # the child keeps its own copy of the descriptor
        # the log at INFO (the console's default is WARNING): the tests read what the workers did
        return subprocess.Popen(crawl_command(url, export_dir, "LOG_LEVEL=INFO", *settings), cwd=ROOT, env=CRAWL_ENV,
                                stdout=subprocess.DEVNULL, stderr=stream)


def shared(redis_url: str, crawl: str, *more: str) -> list[str]:
    return [f"LINKCRAWLER_REDIS_URL={redis_url}", f"LINKCRAWLER_REDIS_CRAWL={crawl}", *more]


def crawl_keys(redis_url: str, crawl: str) -> list[str]:
    return sorted(k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(match=f"linkcrawler:{crawl}:*"))


def test_two_workers_make_the_tables_and_issues_of_one_process(site, crawled, redis_url, tmp_path):
    crawl = f"test-{uuid.uuid4().hex[:8]}"
    # a short delay between requests: the fixture site is small and quick, and each worker must get some of it.
    # Parquet parts here (the other tests merge CSV parts); the one-process crawl wrote CSV
    settings = shared(redis_url, crawl, "DOWNLOAD_MAXSIZE=1000000", "DOWNLOAD_WARNSIZE=0", "DOWNLOAD_DELAY=0.1",
                      "LINKCRAWLER_FORMAT=parquet")
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = [start_worker(site.url, tmp_path / "exports", log, *settings) for log in logs]
    for worker in workers:
        worker.wait(240)
    texts = [log.read_text() for log in logs]
    assert [w.returncode for w in workers] == [0, 0], [t[-3000:] for t in texts]

    folder = only_run_folder(tmp_path / "exports")
    assert (folder / "links.parquet").is_dir()
    assert all((part / "links.parquet").is_dir() for part in (folder / "workers").iterdir())
    expected, got = comparable(crawled), comparable(folder)
    for name in KEYS:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    pd.testing.assert_frame_equal(issues(folder), issues(crawled))
    assert (folder / "report.xlsx").stat().st_size > 0

    meta = read_meta(folder)
    assert meta["pages"] == len(got["pages"]) and meta["links"] == len(got["links"])
    assert sorted(w["finish_reason"] for w in meta["workers"]) == ["finished", "finished"]
    assert sum(w["pages_kept"] for w in meta["workers"]) == meta["pages"]
    assert sum("merging the parts" in t for t in texts) == 1
    for text in texts:
        assert "Traceback" not in text and "DeprecationWarning" not in text
    # the crawl's state is gone from Redis; a marker says the next crawl of this name starts afresh
    assert crawl_keys(redis_url, crawl) == [f"linkcrawler:{crawl}:done"]
    # a worker started after the end belongs to the crawl that ended: it does nothing, and says so
    late = run_crawl(site.url, tmp_path / "exports", *settings)
    assert late.returncode == 0 and "ended" in late.stderr and "nothing to do" in late.stderr
    assert only_run_folder(tmp_path / "exports") == folder


PAGES = 80


@pytest.fixture(scope="module")
def slow_site(outside, tmp_path_factory):
    """A site wide enough for two workers at once, slow enough to kill one midway."""
    routes = {"/": Route(200, "".join(f'<a href="/p{i}">p{i}</a>' for i in range(0, PAGES, 8)).encode())}
    for i in range(PAGES):
        links = "".join(f'<a href="/p{(i * k + 1) % PAGES}">p{(i * k + 1) % PAGES}</a>' for k in (1, 2, 3))
        links += f'<a href="{outside.url}page?i={i % 5}">out</a>'
        routes[f"/p{i}"] = Route(200, f"<title>p{i}</title><main>{links}</main>".encode(), delay=0.2)
    with Server(tmp_path_factory.mktemp("slow"), routes) as server:
        yield server


@pytest.fixture(scope="module")
def slow_expected(slow_site, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The one-process crawl of the slow site."""
    exports = tmp_path_factory.mktemp("single")
    single = run_crawl(slow_site.url, exports, "LINKCRAWLER_REPORT=False", "CONCURRENT_REQUESTS=4")
    assert single.returncode == 0, single.stderr[-3000:]
    return comparable(only_run_folder(exports))


def assert_same_crawl(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name in KEYS:
        # which page of a click level is fetched first decides a page's referrer, in one process too
        drop = ["referrer"] if name == "pages" else []
        pd.testing.assert_frame_equal(got[name].drop(columns=drop), expected[name].drop(columns=drop), obj=name)


def _stored_pages(part: Path) -> int:
    path = part / "pages.csv"
    return max(0, path.read_text().count("\n") - 1) if path.exists() else 0


def test_a_killed_worker_loses_no_page(slow_site, slow_expected, redis_url, tmp_path):
    crawl = f"test-{uuid.uuid4().hex[:8]}"
    settings = shared(redis_url, crawl, "LINKCRAWLER_REDIS_WORKER_TIMEOUT=2", "CONCURRENT_REQUESTS=2",
                      "LINKCRAWLER_REPORT=False")
    exports = tmp_path / "shared"
    victim = start_worker(slow_site.url, exports, tmp_path / "victim.log", *settings)
    survivor = start_worker(slow_site.url, exports, tmp_path / "survivor.log", *settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # both at work, the victim with pages stored
        parts = {p.name.split("-")[-2]: p for p in exports.glob("*/*/workers/*")}
        if len(parts) == 2 and _stored_pages(parts[str(victim.pid)]) >= 7 and _stored_pages(
                parts[str(survivor.pid)]) >= 1:
            break
        time.sleep(0.02)
    victim.kill()  # SIGKILL: no chance to clean up
    victim.wait(10)
    survivor.wait(180)
    log = (tmp_path / "survivor.log").read_text()
    assert survivor.returncode == 0, log[-3000:]
    assert "stopped beating" in log

    folder = only_run_folder(exports)
    got = comparable(folder)
    assert got["pages"]["url"].is_unique
    assert_same_crawl(got, slow_expected)
    meta = read_meta(folder)
    reasons = {w["worker"].split("-")[-2]: w["finish_reason"] for w in meta["workers"]}
    assert reasons == {str(victim.pid): "lost", str(survivor.pid): "finished"}
    # a page stored in the instant before the kill, not yet acknowledged in Redis, is fetched again by the survivor
    # and kept from its finished part: with 2 requests in flight, at most 2 of the victim's 7 pages
    assert next(w for w in meta["workers"] if w["finish_reason"] == "lost")["pages_kept"] >= 5


def test_bad_redis_or_jobdir_is_a_clear_error(site, redis_url, tmp_path):
    unreachable = run_crawl(site.url, tmp_path, "LINKCRAWLER_REDIS_URL=redis://127.0.0.1:1/0")
    assert unreachable.returncode != 0
    assert "LINKCRAWLER_REDIS_URL: cannot reach Redis" in unreachable.stderr
    with_jobdir = run_crawl(site.url, tmp_path, f"LINKCRAWLER_REDIS_URL={redis_url}", f"JOBDIR={tmp_path / 'job'}")
    assert with_jobdir.returncode != 0
    assert "JOBDIR and LINKCRAWLER_REDIS_URL do not go together" in with_jobdir.stderr


def test_every_worker_stopped_with_ctrl_c_and_started_again_resumes_the_crawl(slow_site, slow_expected, redis_url,
                                                                            tmp_path):
    crawl = f"test-{uuid.uuid4().hex[:8]}"
    settings = shared(redis_url, crawl, "CONCURRENT_REQUESTS=2", "LINKCRAWLER_REPORT=False")
    exports = tmp_path / "shared"
    first = start_worker(slow_site.url, exports, tmp_path / "first.log", *settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(_stored_pages(p) >= 10 for p in exports.glob("*/*/workers/*")):
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy closes gracefully, the worker puts back what it took
    assert first.wait(60) == 0
    folder = only_run_folder(exports)
    assert not (folder / "pages.csv").exists()  # no merge: the crawl did not end
    assert f"linkcrawler:{crawl}:queue" in crawl_keys(redis_url, crawl)

    again = start_worker(slow_site.url, exports, tmp_path / "again.log", *settings)
    assert again.wait(180) == 0, (tmp_path / "again.log").read_text()[-3000:]
    assert only_run_folder(exports) == folder
    got = comparable(folder)
    assert_same_crawl(got, slow_expected)
    assert sorted(w["finish_reason"] for w in read_meta(folder)["workers"]) == ["finished", "shutdown"]


def test_a_merge_left_by_a_dead_worker_is_done_by_the_next_one(redis_url):
    """The protocol, on a real Redis: a merger that stops beating hands the merge to the next worker; a merger
    at work (beating) keeps it."""
    server = redis.Redis.from_url(redis_url)
    for beating, expected in ((False, "merge"), (True, "other")):
        crawl = RedisCrawl(server, f"test-{uuid.uuid4().hex[:8]}", timeout=5)
        server.hset(crawl.key("workers"), "merger-1", "finished")
        server.set(crawl.key("merger"), "merger-1")
        if beating:
            server.set(crawl.key("heartbeat:merger-1"), 1, px=5000)
        crawl.join()
        assert crawl.finish("finished") == expected
        assert server.get(crawl.key("merger")).decode() == (crawl.worker if expected == "merge" else "merger-1")
        if expected == "merge":  # and it beats while it merges
            assert server.pttl(crawl.key(f"heartbeat:{crawl.worker}")) > 0
        crawl.wipe()


def test_merge_counts_each_linking_page_once_whatever_the_merger_counted_last(tmp_path):
    # found in CI: a worker that stored one page, P, then merged, counted P's links in the merge against what it
    # had noted of P during its crawl (URL numbers of before the merge): a page linking to / went uncounted
    import csv

    from linkcrawler.config import Config
    from linkcrawler.pipelines import StorePipeline
    from linkcrawler.targets import PageAnswer

    def part(name, pages, links):
        folder = tmp_path / "workers" / name
        folder.mkdir(parents=True)
        (folder / "worker.json").write_text(f'{{"worker": "{name}", "finish_reason": "finished"}}')
        for table, rows in (("pages", [("url", "status")] + [(p, "200") for p in pages]),
                            ("links", [("page", "url", "kind", "follow")] + [(*link, "internal", "True")
                                                                            for link in links])):
            with open(folder / f"{table}.csv", "w", newline="") as out:
                csv.writer(out).writerows(rows)

    home, p, q = "http://localhost/", "http://localhost/p", "http://localhost/q"
    part("a-merger", [p], [(p, home)])
    part("b-other", [home, q], [(home, p), (q, home)])
    store = StorePipeline(SimpleNamespace(spider=None), Config())
    store.folder = tmp_path
    store._note_page(p, PageAnswer(200, "", "", 1.0))  # what the merging worker counted while crawling
    store._note_link(p, home, "internal", False, True)
    store._merge()
    for writer in (store.pages, store.links, store.targets):
        writer.close()
    assert store.unique_inlinks[store.ids[home]] == 2
    assert store.unique_inlinks[store.ids[p]] == 1
