"""Loopback servers for the tests: the fixture site and a second host acting as the outside world."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
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


CRAWL_ENV = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}


def crawl_command(url: str, export_dir: Path, *settings: str, args: tuple[str, ...] = ()) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={url}",
               "-s", f"LINKCRAWLER_EXPORT_DIR={export_dir}", *args]
    for setting in settings:
        command += ["-s", setting]
    return command


def run_crawl(url: str, export_dir: Path, *settings: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``scrapy crawl site -a url=URL`` in a subprocess, the way a user runs it."""
    return subprocess.run(crawl_command(url, export_dir, *settings, args=args), cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=CRAWL_ENV)


def on_a_terminal(command: list[str]) -> str:
    """Run ``command`` with its stderr on a pseudo-terminal (stdout discarded); what the terminal received."""
    import pty

    main, secondary = pty.openpty()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=secondary, env=CRAWL_ENV)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=120)
    os.close(main)
    return output.decode("utf-8", "replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis on loopback: LINKCRAWLER_TEST_REDIS_URL (``.ci/run`` starts Debian's redis-server), else a
    redis-server started here on a free port. No Redis is a failure, not a skip."""
    import redis

    url = os.environ.get("LINKCRAWLER_TEST_REDIS_URL")
    process = None
    if not url:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            pytest.fail("redis-server is needed for the shared-crawl tests: apt-get install redis-server "
                        "(.ci/run installs it)")
        port = _free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path_factory.mktemp("redis"))], stdout=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield url
    if process is not None:
        process.terminate()
        process.wait(10)


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
    (folder / "crawl.log").write_text(result.stdout + result.stderr)
    return folder


@pytest.fixture(scope="session")
def blog_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server, Server]]:
    """The generated ~40-page blog (tests/blogsite.py) served on 127.0.0.1, its outside world on 127.0.0.2:
    ``(folder of its files, site server, outside server)``."""
    from tests.blogsite import OUTSIDE_PATHS, build_blog

    folder = tmp_path_factory.mktemp("blog")
    outside_routes = {f"/{path}": Route(200, b"<title>Elsewhere</title>") for path in OUTSIDE_PATHS}
    with Server(folder, outside_routes, host="127.0.0.2") as outside:
        routes = build_blog(folder, outside.url)
        with Server(folder, routes) as server:
            yield folder, server, outside


@pytest.fixture(scope="session")
def blog_run(blog_site: tuple[Path, Server, Server], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One crawl of the blog with the default settings; its run folder."""
    _, server, _ = blog_site
    export_dir = tmp_path_factory.mktemp("blog-exports")
    result = run_crawl(server.url, export_dir)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return only_run_folder(export_dir)


def sheet_rows(book, name: str) -> list[dict]:
    """A table sheet of the workbook as dicts keyed by the tables' column names (the sheets show plain words:
    linkcrawler.workbook.HEADERS, SHEET_HEADERS)."""
    from linkcrawler.workbook import HEADERS, SHEET_HEADERS

    named = {header: column for column, header in HEADERS.items()}
    named.update({header: column for column, header in SHEET_HEADERS.get(name.split(" (")[0], {}).items()})
    rows = list(book[name].iter_rows(values_only=True))
    columns = [named.get(h, h) for h in rows[0]]
    return [dict(zip(columns, row, strict=True)) for row in rows[1:]]
