"""Loopback servers for the tests: the fixture site and a second host acting as the outside world."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkcrawler.demo.server import Route, Server

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "site"

HOSTILE = (
    b"<html><head><title>=cmd|' /C calc'!A0 \x01\x02 title</title></head><body>"
    b"<div class='entry-content'><p>Unclosed <b>bold <a href='/privacy.html'>=HYPERLINK(\"http://x\")\x00 anchor</a>"
    b"<a href='/wp.html\x01'>control \x07 chars\x1b</a>"
    b"<a href='/aria.html'>" + b"long " * 2000 + b"</a>"
    b"<a href=' \n /plain.html \t'>spaced href</a>"
    b"<a href='http://127.0.0.1:99999/'>bad port</a>"
    b"<a>no href</a><a href>bare href</a>"
    b"<table><tr><td><a href='/tag/news'>+SUM(1)</a>"
    b"</body>"
)

LATIN1 = (
    "<html><head><title>Caf\xe9 cr\xe8me</title></head><body><p>"
    "<a href='/privacy.html'>D\xe9j\xe0 vu</a></p></body></html>"
).encode("latin-1") + b"\xff\xfe\x80 broken <a href='/plain.html'>after</a>"


def site_routes() -> dict[str, Route]:
    return {
        "/old": Route(301, headers={"Location": "/wp.html"}),
        "/error": Route(500, b"<html><title>Oops</title><a href='/never'>x</a></html>"),
        "/xrobots.html": Route(
            200,
            b"<html><title>X robots</title><body><a href='/privacy.html'>p</a></body></html>",
            {"X-Robots-Tag": "noindex, nofollow"},
        ),
        "/hostile.html": Route(200, HOSTILE),
        "/latin1.html": Route(200, LATIN1, {"Content-Type": "text/html"}),
        "/huge": Route(200, b"<html><body>" + b"<p>x</p>" * 400_000 + b"</body></html>"),
        "/bytes": Route(200, bytes(range(256)) * 64, {"Content-Type": "application/octet-stream"}),
        "/go/partner": Route(302, headers={"Location": "{{OUTSIDE}}landing"}),
    }


@pytest.fixture(scope="session")
def outside() -> Iterator[Server]:
    """The outside world: another host on loopback."""
    routes = {
        "/page": Route(200, b"<html><title>Partner</title></html>"),
        "/product": Route(200, b"<html><title>Product</title></html>"),
        "/landing": Route(200, b"<html><title>Landing</title></html>"),
    }
    with Server(SITE, routes, host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="session")
def site(outside: Server) -> Iterator[Server]:
    routes = site_routes()
    routes["/go/partner"] = Route(302, headers={"Location": f"{outside.url}landing"})
    with Server(SITE, routes, replacements={"OUTSIDE": outside.url}) as server:
        yield server


def run_crawl(url: str, export_dir: Path, *settings: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``scrapy crawl site -a url=URL`` in a subprocess, the way a user runs it."""
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={url}",
               "-s", f"LINKCRAWLER_EXPORT_DIR={export_dir}", *args]
    for setting in settings:
        command += ["-s", setting]
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def only_run_folder(export_dir: Path) -> Path:
    folders = [p for p in export_dir.glob("*/*") if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


@pytest.fixture(scope="session")
def crawled(site: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One end-to-end crawl of the fixture site; its run folder."""
    export_dir = tmp_path_factory.mktemp("exports")
    result = run_crawl(site.url, export_dir, "DOWNLOAD_MAXSIZE=1000000", "DOWNLOAD_WARNSIZE=0")
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(export_dir)
    (folder / "crawl.log").write_text(result.stderr)
    return folder
