"""robots.txt read by RFC 9309, for the site and for target checks: redirects followed, 5xx = everything
disallowed, 4xx = nothing disallowed, only the first 500 KiB read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkcrawler.demo.server import Route, Server
from linkcrawler.robots import MAX_ROBOTS_BYTES, parse_robots, robots_body
from linkcrawler.tables import read_table
from tests.conftest import only_run_folder, run_crawl

AGENT = "linkcrawler/0.1"
FILLER = b"# " + b"x" * 98 + b"\n"  # 101 bytes a line


def huge_robots() -> bytes:
    """A robots.txt whose /late rule comes after the first 500 KiB."""
    head = b"User-agent: *\nDisallow: /early\n"
    filler = FILLER * (MAX_ROBOTS_BYTES // len(FILLER) + 10)
    return head + filler + b"Disallow: /late\n"


def test_answers_by_rfc_9309():
    parser, note = parse_robots(503, b"")
    assert not parser.can_fetch("http://127.0.0.1/any", AGENT) and "503" in note and "disallowed" in note
    parser, note = parse_robots(404, b"User-agent: *\nDisallow: /")  # an error page's text is no rule
    assert parser.can_fetch("http://127.0.0.1/any", AGENT) and note == ""
    parser, _ = parse_robots(200, b"User-agent: *\nDisallow: /private\n")
    assert not parser.can_fetch("http://127.0.0.1/private/x", AGENT)
    assert parser.can_fetch("http://127.0.0.1/public", AGENT)


def test_only_the_first_500_kib_are_read():
    body, note = robots_body(200, huge_robots())
    assert len(body) <= MAX_ROBOTS_BYTES and body.endswith(b"\n") and "500 KiB" in note
    parser, _ = parse_robots(200, huge_robots())
    assert not parser.can_fetch("http://127.0.0.1/early", AGENT)
    assert parser.can_fetch("http://127.0.0.1/late", AGENT)


def page_with_links(folder: Path, *hrefs: str) -> None:
    (folder / "index.html").write_text("".join(f'<a href="{h}">{h}</a>' for h in hrefs))


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    """Outside hosts on 127.0.0.2: one whose robots.txt fails (500), one with none (404), one whose robots.txt
    redirects; and a closed port."""
    failing = Server(tmp_path_factory.mktemp("failing"), {"/robots.txt": Route(500), "/page": Route(200)},
                     host="127.0.0.2")
    missing = Server(tmp_path_factory.mktemp("missing"), {"/page": Route(200)}, host="127.0.0.2")
    moved = Server(tmp_path_factory.mktemp("moved"), {
        "/robots.txt": Route(301, headers={"Location": "/real-robots.txt"}),
        "/real-robots.txt": Route(200, b"User-agent: *\nDisallow: /private\n", {"Content-Type": "text/plain"}),
        "/private/page": Route(200), "/page": Route(200),
    }, host="127.0.0.2")
    with Server(Path(".")) as closed:
        closed_url = closed.url
    with failing, missing, moved:
        yield {"failing": failing, "missing": missing, "moved": moved, "closed": closed_url}


@pytest.fixture(scope="module")
def redirected(hosts, tmp_path_factory):
    """A site whose robots.txt redirects to another host, where it is over 500 KiB; its links lead to the
    outside hosts."""
    world = tmp_path_factory.mktemp("world-robots")
    (world / "site-robots.txt").write_bytes(huge_robots())
    folder = tmp_path_factory.mktemp("site")
    with Server(world, host="127.0.0.2") as robots_host:
        page_with_links(folder, "/early", "/late", f"{hosts['failing'].url}page", f"{hosts['missing'].url}page",
                        f"{hosts['moved'].url}private/page", f"{hosts['moved'].url}page", f"{hosts['closed']}page")
        routes = {"/robots.txt": Route(301, headers={"Location": f"{robots_host.url}site-robots.txt"}),
                  "/early": Route(200), "/late": Route(200)}
        exports = tmp_path_factory.mktemp("exports")
        with Server(folder, routes) as site:
            result = run_crawl(site.url, exports, "LINKCRAWLER_REPORT=False", "RETRY_ENABLED=False")
        run = only_run_folder(exports)
        return {"site": site, "result": result, "robots_host": robots_host, "run": run,
                "pages": read_table(run, "pages").set_index("url"),
                "links": read_table(run, "links").set_index("href"),
                "targets": read_table(run, "targets").set_index("url")}


def test_site_robots_behind_a_redirect_to_another_host_is_obeyed(redirected):
    site, pages, links = redirected["site"], redirected["pages"], redirected["links"]
    assert redirected["result"].returncode == 0, redirected["result"].stderr[-2000:]
    assert ("GET", "/site-robots.txt") in [(m, p) for _, m, p in redirected["robots_host"].log]
    assert links.loc["/early", "robots_blocked"]
    assert f"{site.url}early" not in pages.index
    assert not [p for _, _, p in site.log if p == "/early"]
    assert redirected["targets"].loc[f"{site.url}early", "result"] == "blocked"


def test_site_robots_past_500_kib_is_not_read(redirected):
    site, pages = redirected["site"], redirected["pages"]
    assert not redirected["links"].loc["/late", "robots_blocked"]
    assert pages.loc[f"{site.url}late", "status"] == 200
    meta = json.loads((redirected["run"] / "run.json").read_text())
    assert "500 KiB" in meta["robots"]


def test_check_robots_by_rfc_9309(redirected, hosts):
    targets = redirected["targets"]
    failing = targets.loc[f"{hosts['failing'].url}page"]
    assert (failing.result, failing.error) == ("blocked", "robots")
    assert "robots.txt answered 500: everything disallowed" in failing.detail
    assert not [p for _, _, p in hosts["failing"].log if p == "/page"]
    assert targets.loc[f"{hosts['missing'].url}page", "result"] == "ok"
    moved = targets.loc[f"{hosts['moved'].url}private/page"]
    assert (moved.result, moved.error) == ("blocked", "robots")
    assert targets.loc[f"{hosts['moved'].url}page", "result"] == "ok"


def test_an_unreachable_host_is_a_row_not_an_error_in_the_log(redirected, hosts):
    closed = redirected["targets"].loc[f"{hosts['closed']}page"]
    assert (closed.result, closed.error) == ("broken", "refused")
    stderr = redirected["result"].stderr
    assert "Traceback" not in stderr
    assert not [line for line in stderr.splitlines() if "] ERROR:" in line]


def test_site_robots_answering_5xx_disallows_everything(tmp_path):
    page_with_links(tmp_path, "/a", "/b")
    routes = {"/robots.txt": Route(503), "/a": Route(200), "/b": Route(200)}
    with Server(tmp_path, routes) as site:
        result = run_crawl(site.url, tmp_path / "exports", "LINKCRAWLER_REPORT=False", "RETRY_ENABLED=False")
    assert result.returncode == 0, result.stderr[-2000:]
    run = only_run_folder(tmp_path / "exports")
    assert list(read_table(run, "pages").url) == [site.url]  # the start URL only, as asked
    assert read_table(run, "links").robots_blocked.all()
    assert not [p for _, _, p in site.log if p in ("/a", "/b")]
    assert "robots.txt answered 503: everything disallowed" in json.loads((run / "run.json").read_text())["robots"]
