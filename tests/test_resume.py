"""Resumable crawls: stopped with Ctrl-C (SIGINT) midway and resumed with the same JOBDIR, the tables end with
every row exactly once and equal to an uninterrupted crawl's."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from linkcrawler.demo.server import Route, Server
from linkcrawler.scheduler import OWNER, _boot_id, sweep_stale_queues
from linkcrawler.tables import read_table
from tests.conftest import CRAWL_ENV, ROOT, crawl_command, on_a_terminal, only_run_folder, run_crawl

PAGES = 60


def site_routes(outside_url: str) -> dict[str, Route]:
    routes = {}
    for i in range(PAGES):
        links = "".join(f'<a href="/p{(i * k + 1) % PAGES}">p{(i * k + 1) % PAGES}</a>' for k in (1, 2, 3))
        links += f'<a href="{outside_url}page?i={i % 7}">out</a>'
        routes[f"/p{i}"] = Route(200, f"<title>p{i}</title><main>{links}</main>".encode(), delay=0.05)
    routes["/"] = Route(200, b'<a href="/p0">start</a>')
    return routes


def tables(folder):
    pages = read_table(folder, "pages")
    links = read_table(folder, "links")
    targets = read_table(folder, "targets")
    return pages, links, targets


@pytest.fixture(scope="module")
def site(outside, tmp_path_factory):
    with Server(tmp_path_factory.mktemp("resume"), site_routes(outside.url)) as server:
        yield server


def test_interrupted_and_resumed_equals_uninterrupted(site, tmp_path):
    settings = ["CONCURRENT_REQUESTS=2", "LINKCRAWLER_REPORT=False"]
    whole = run_crawl(site.url, tmp_path / "whole", *settings)
    assert whole.returncode == 0, whole.stderr[-2000:]
    expected = tables(only_run_folder(tmp_path / "whole"))

    jobdir, exports = tmp_path / "job", tmp_path / "resumed"
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url}", "-s",
               f"LINKCRAWLER_EXPORT_DIR={exports}", "-s", f"JOBDIR={jobdir}"] + [
        arg for s in settings for arg in ("-s", s)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(exports.glob("*/*/pages.csv"))
        if found and found[0].read_text().count("\n") > 15:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully and keeps its queue in JOBDIR
    _, stderr = process.communicate(timeout=120)
    folder = only_run_folder(exports)
    stopped = read_table(folder, "pages")
    assert 15 < len(stopped) < PAGES + 1, "the crawl was not stopped midway"
    assert "shutdown" in (folder / "run.json").read_text()

    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"Resuming the crawl of {site.url} into {folder}" in resumed.stdout
    assert only_run_folder(exports) == folder
    pages, links, targets = tables(folder)

    exp_pages, exp_links, exp_targets = expected
    assert pages["url"].is_unique and len(pages) == len(exp_pages)
    assert set(pages["url"]) == set(exp_pages["url"])
    assert not links.duplicated(["page", "index"]).any()
    assert len(links) == len(exp_links)
    assert targets["url"].is_unique and set(targets["url"]) == set(exp_targets["url"])
    inlinks = pages.set_index("url")[["inlinks", "unique_inlinks"]].sort_index()
    assert inlinks.equals(exp_pages.set_index("url")[["inlinks", "unique_inlinks"]].sort_index())
    statuses = links.set_index(["page", "index"])["result"].sort_index()
    assert statuses.equals(exp_links.set_index(["page", "index"])["result"].sort_index())


def stop_midway(command: list[str], exports, sig: signal.Signals, after_pages: int) -> subprocess.Popen:
    """Start the crawl and send it ``sig`` once its pages table has more than ``after_pages`` rows."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        found = list(exports.glob("*/*/pages.csv"))
        if found and found[0].read_text().count("\n") > after_pages + 1:
            break
        time.sleep(0.02)
    process.send_signal(sig)
    process.wait(timeout=120)
    return process


def test_killed_and_resumed_equals_uninterrupted(site, tmp_path):
    """SIGKILL (an OOM kill, a reboot) leaves no queue in JOBDIR: the frontier comes back from the tables."""
    settings = ["CONCURRENT_REQUESTS=4", "LINKCRAWLER_REPORT=False"]
    whole = run_crawl(site.url, tmp_path / "whole", *settings)
    assert whole.returncode == 0, whole.stderr[-2000:]
    exp_pages, exp_links, exp_targets = tables(only_run_folder(tmp_path / "whole"))

    jobdir, exports = tmp_path / "job", tmp_path / "resumed"
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url}", "-s",
               f"LINKCRAWLER_EXPORT_DIR={exports}", "-s", f"JOBDIR={jobdir}"] + [
        arg for s in settings for arg in ("-s", s)]
    stop_midway(command, exports, signal.SIGKILL, after_pages=10)
    folder = only_run_folder(exports)
    first = len(read_table(folder, "pages"))
    assert 10 < first < PAGES, "the crawl was not killed midway"
    stop_midway(command, exports, signal.SIGKILL, after_pages=first + 5)  # killed again while resuming
    assert first < len(read_table(folder, "pages")) < PAGES + 1

    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "its pending requests are rebuilt from the run folder's tables" in resumed.stderr
    assert only_run_folder(exports) == folder
    pages, links, targets = tables(folder)
    assert pages["url"].is_unique and set(pages["url"]) == set(exp_pages["url"])
    assert not links.duplicated(["page", "index"]).any() and len(links) == len(exp_links)
    assert targets["url"].is_unique and set(targets["url"]) == set(exp_targets["url"])
    inlinks = pages.set_index("url")[["inlinks", "unique_inlinks", "depth"]].sort_index()
    assert inlinks.equals(exp_pages.set_index("url")[["inlinks", "unique_inlinks", "depth"]].sort_index())
    statuses = targets.set_index("url")[["status", "result"]].sort_index()
    assert statuses.equals(exp_targets.set_index("url")[["status", "result"]].sort_index())
    assert json.loads((folder / "run.json").read_text())["finish_reason"] == "finished"


def test_tables_of_a_crawl_killed_before_its_first_row_are_readable(tmp_path):
    site = tmp_path / "slow"
    site.mkdir()
    with Server(site, {"/": Route(200, b"<a href='/x'>x</a>", delay=30)}) as server:
        exports = tmp_path / "exports"
        command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={server.url}",
                   "-s", f"LINKCRAWLER_EXPORT_DIR={exports}"]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not [p for _, _, p in server.log if p == "/"] and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()
        process.wait(timeout=30)
    folder = only_run_folder(exports)
    for name in ("pages", "links", "targets"):
        assert (folder / f"{name}.csv").read_text().startswith(TABLES_FIRST_COLUMN[name])
        assert read_table(folder, name).empty
    for name in ("pages", "links", "targets"):  # as older versions left them
        (folder / f"{name}.csv").write_bytes(b"")
        assert read_table(folder, name).empty
    report = subprocess.run([sys.executable, "-m", "scrapy", "report", str(folder)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (folder / "report.xlsx").exists()


def test_queue_folder_of_a_killed_crawl_is_removed_by_the_next_crawl(site, tmp_path):
    """Without JOBDIR the pending requests wait in a temporary folder that a clean close removes; a killed
    crawl cannot, and at millions of pages that folder is gigabytes: the next crawl removes it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**CRAWL_ENV, "TMPDIR": str(temp)}
    command = crawl_command(site.url, tmp_path / "exports", "LINKCRAWLER_REPORT=False")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while not list(temp.glob("linkcrawler-queue-*/" + OWNER)) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()
    process.wait(timeout=30)
    [left] = temp.glob("linkcrawler-queue-*")
    assert json.loads((left / OWNER).read_text())["pid"] == process.pid
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert not left.exists()
    assert not list(temp.glob("linkcrawler-queue-*"))  # and the second crawl removed its own


def test_only_queue_folders_of_gone_processes_on_this_machine_are_swept(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    me = {"host": socket.gethostname(), "boot": _boot_id()}
    owners = {
        "dead": {**me, "pid": gone.pid},
        "alive": {**me, "pid": os.getpid()},
        "elsewhere": {**me, "pid": gone.pid, "host": me["host"] + "-other"},
        "before-a-reboot": {**me, "pid": os.getpid(), "boot": "another-boot"},
        "unreadable": "{",
        "none": None,
    }
    for name, owner in owners.items():
        folder = tmp_path / f"linkcrawler-queue-{name}"
        (folder / "requests.queue").mkdir(parents=True)
        if owner is not None:
            (folder / OWNER).write_text(owner if isinstance(owner, str) else json.dumps(owner))
    (tmp_path / "other-dead").mkdir()
    (tmp_path / "other-dead" / OWNER).write_text(json.dumps(owners["dead"]))  # not a queue folder
    removed = {p.name.removeprefix("linkcrawler-queue-") for p in sweep_stale_queues(tmp_path)}
    expected = {"dead", "before-a-reboot"} if me["boot"] else {"dead"}
    assert removed == expected
    assert {p.name for p in tmp_path.iterdir()} == {f"linkcrawler-queue-{n}" for n in set(owners) - expected} | {
        "other-dead"}


TABLES_FIRST_COLUMN = {"pages": "url,status,", "links": "page,index,", "targets": "url,kind,"}


def test_progress_line_on_a_terminal_only(site, tmp_path):
    quiet = run_crawl(site.url, tmp_path / "quiet", "LINKCRAWLER_REPORT=False")
    assert quiet.returncode == 0 and "pages/s" not in quiet.stderr
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url}", "-s",
               f"LINKCRAWLER_EXPORT_DIR={tmp_path / 'tty'}", "-s", "LINKCRAWLER_REPORT=False", "-s", "LOG_LEVEL=ERROR"]
    text = on_a_terminal(command)
    assert "\r" in text and "pages/s" in text
    last = text.strip().splitlines()[-1].split("\r")[-1]
    assert f"{PAGES + 1} pages" in last and "queued" in last and "links" in last


def test_chunks_of_a_csv_table_are_its_whole_lines_as_strings_whatever_a_crash_left(tmp_path, monkeypatch):
    """The template pass and the table rewrites read CSV tables with pyarrow; a line a killed process cut short
    (too few fields, a quote left open) is left out, as the csv module leaves it out; where pyarrow gives up midway,
    the csv module reads on from where it stopped."""
    import csv

    from linkcrawler.tables import TABLES, _csv_module_chunks, iter_chunks

    columns = list(TABLES["targets"])
    rows = [[f"http://127.0.0.1/{i}", *([""] * (len(columns) - 1))] for i in range(12_000)]
    rows[3][1] = 'a "quoted", value\nover two lines'
    rows[4][1] = "True"
    with open(tmp_path / "targets.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows[:6])
        fh.write("http://127.0.0.1/cut,short\r\n")  # too few fields: left out
        writer.writerows(rows[6:])
    chunks = list(iter_chunks(tmp_path, "targets"))
    assert [len(c[columns[0]]) for c in chunks][:2] == [5_000, 5_000]
    got = [list(row) for c in chunks for row in zip(*(c[k] for k in columns), strict=True)]
    assert got == rows
    with open(tmp_path / "targets.csv", "a", newline="", encoding="utf-8") as fh:
        fh.write('http://127.0.0.1/open,"a quote left open by a kill')
    got = [list(row) for c in iter_chunks(tmp_path, "targets") for row in zip(*(c[k] for k in columns), strict=True)]
    expected = [list(row) for c in _csv_module_chunks(tmp_path / "targets.csv", tuple(columns), 5_000)
                for row in zip(*(c[k] for k in columns), strict=True)]
    assert got == expected and got[: len(rows)] == rows

    import pyarrow as pa
    import pyarrow.csv as pacsv

    real = pacsv.open_csv

    def gives_up_after_one_batch(*args, **kwargs):
        reader = real(*args, **{**kwargs, "read_options": pacsv.ReadOptions(block_size=1 << 16)})
        yield next(iter(reader))
        raise pa.ArrowInvalid("CSV parse error")

    monkeypatch.setattr(pacsv, "open_csv", gives_up_after_one_batch)
    again = [list(row) for c in iter_chunks(tmp_path, "targets") for row in zip(*(c[k] for k in columns), strict=True)]
    assert again == expected
