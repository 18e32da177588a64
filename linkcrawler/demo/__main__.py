"""Serve the demo site on 127.0.0.1 and crawl it: ``python -m linkcrawler.demo [extra scrapy crawl args]``.

A second loopback host (127.0.0.2) plays the outside world, so the demo's external and affiliate links point
somewhere real without leaving the machine.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from linkcrawler.demo.server import Route, Server

SITE = Path(__file__).resolve().parent / "site"
PROJECT = Path(__file__).resolve().parents[2]


DEMO_PORT = 8765  # the same port each time, so that a second demo run is compared with the first


def _server(port: int, routes: dict[str, Route], **kwargs: object) -> Server:
    try:
        return Server(SITE, routes, port=port, **kwargs)
    except OSError:  # taken: any free port
        return Server(SITE, routes, **kwargs)


@contextmanager
def demo_site(port: int = DEMO_PORT) -> Iterator[Server]:
    """The demo site on 127.0.0.1 (at ``port`` when free), its outside world on 127.0.0.2, while in the block."""
    outside_routes = {
        "/": Route(200, b"<title>Elsewhere</title>"),
        "/seeds": Route(200, b"<title>Seeds</title>"),
        "/tools": Route(301, headers={"Location": "/tools/"}),
        "/tools/": Route(200, b"<title>Tools</title>"),
        "/cage": Route(200, b"<title>Cage</title>"),
        "/hose": Route(200, b"<title>Hose</title>"),
        "/my-blog": Route(404, b"<title>Gone</title>"),
    }
    with _server(port + 1 if port else 0, outside_routes, host="127.0.0.2") as outside:
        routes = {
            "/posts/old-tomato-post.html": Route(301, headers={"Location": "/posts/tomatoes.html"}),
            "/go/best-hose": Route(302, headers={"Location": f"{outside.url}hose"}),
        }
        with _server(port, routes, replacements={"OUTSIDE": outside.url}) as site:
            yield site


def main(argv: list[str]) -> int:
    with demo_site() as site:
        print(f"Demo site on {site.url} (outside world on 127.0.0.2)", flush=True)
        command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url}", *argv]
        return subprocess.call(command, cwd=PROJECT)  # the crawl prints the run's summary


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
