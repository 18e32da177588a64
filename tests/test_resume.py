"""Resumable crawls: stopped with Ctrl-C (SIGINT) midway and resumed with the same JOBDIR, the tables end with
every row exactly once and equal to an uninterrupted crawl's."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from linkcrawler.demo.server import Route, Server
from linkcrawler.tables import read_table
from tests.conftest import ROOT, on_a_terminal, only_run_folder, run_crawl

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


def test_progress_line_on_a_terminal_only(site, tmp_path):
    quiet = run_crawl(site.url, tmp_path / "quiet", "LINKCRAWLER_REPORT=False")
    assert quiet.returncode == 0 and "pages/s" not in quiet.stderr
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url}", "-s",
               f"LINKCRAWLER_EXPORT_DIR={tmp_path / 'tty'}", "-s", "LINKCRAWLER_REPORT=False", "-s", "LOG_LEVEL=ERROR"]
    text = on_a_terminal(command)
    assert "\r" in text and "pages/s" in text
    last = text.strip().splitlines()[-1].split("\r")[-1]
    assert f"{PAGES + 1} pages" in last and "queued" in last and "links" in last
