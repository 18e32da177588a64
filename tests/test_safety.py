"""Hostile-safe crawling: what the crawler fetches and never fetches, and that no fetched URL loses its row.

The site is 127.0.0.1, the outside world 127.0.0.2 (let through with LINKCRAWLER_ALLOWED_NETWORKS), the intranet a
canary on 127.0.0.9 and a service on the site's own host at another port; private targets are off. Every
request the canaries get is in their logs.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re

import pytest
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_f_from_coro_f
from scrapy.utils.test import get_crawler

from linkcrawler.addresses import AddressPolicy, literal, parse_mode
from linkcrawler.config import Config
from linkcrawler.demo.server import Route, Server
from linkcrawler.errors import ERRORS, error_class
from linkcrawler.runfolder import new_run_folder, site_dirname
from linkcrawler.spiders.site import SiteSpider
from linkcrawler.tables import read_table
from linkcrawler.targets import follow_location
from tests.conftest import only_run_folder, run_crawl

LONG = "a" * 2100
URLSET = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">%s</urlset>'


def urlset(*urls: str) -> bytes:
    return URLSET % b"".join(b"<url><loc>%s</loc></url>" % u.encode() for u in urls)


@pytest.fixture(scope="module")
def canary(tmp_path_factory):
    """The intranet: an admin page that must never get a request."""
    routes = {"/admin/delete": Route(200, b"deleted"), "/sitemap.xml": Route(200, urlset("/admin/delete"))}
    with Server(tmp_path_factory.mktemp("canary"), routes, host="127.0.0.9") as server:
        yield server


@pytest.fixture(scope="module")
def local_canary(tmp_path_factory):
    """A service on the site's own host, at another port."""
    with Server(tmp_path_factory.mktemp("local"), {"/admin/delete": Route(200, b"deleted")}) as server:
        yield server


@pytest.fixture(scope="module")
def world(tmp_path_factory, canary, local_canary):
    """The outside world, whose redirects lead anywhere."""
    def to(location: str) -> Route:
        return Route(302, headers={"Location": location})

    routes = {
        "/ok": Route(200),
        "/to-canary": to(f"{canary.url}admin/delete?id=redirect"),
        "/to-canary-name": to(f"http://localhost:{local_canary.port}/admin/delete?id=redirect-name"),
        "/to-file": to("file:///etc/passwd"),
        "/to-dev-zero": to("file:///dev/zero"),
        "/to-ftp": to(f"ftp://127.0.0.9:{canary.port}/admin"),
        "/to-data": to("data:text/html,<b>hi</b>"),
        "/to-js": to("javascript:alert(1)"),
        "/to-mailto": to("mailto:editor"),
        "/bad-location": to("http://[::1:bad/"),
        "/no-host": to("http:///nohost"),
        "/forbidden": Route(403),
    }
    with Server(tmp_path_factory.mktemp("world"), routes, host="127.0.0.2") as server:
        yield server


CANARY_LINKS = {  # anchor → URL template ({cp}: the canary's port, {lp}: the local service's)
    "literal": "http://127.0.0.9:{cp}/admin/delete?id=1",
    "decimal": "http://2130706441:{cp}/admin/delete?id=2",
    "hex": "http://0x7f000009:{cp}/admin/delete?id=3",
    "octal": "http://0177.0.0.9:{cp}/admin/delete?id=4",
    "mapped": "http://[::ffff:127.0.0.9]:{cp}/admin/delete?id=5",
    "ipv6": "http://[::1]:{cp}/admin/delete?id=6",
    "name": "http://localhost:{lp}/admin/delete?id=7",
    "port": "http://127.0.0.1:{lp}/admin/delete?id=8",
}
WORLD_REDIRECTS = ("to-canary", "to-canary-name", "to-file", "to-dev-zero", "to-ftp", "to-data", "to-js",
                   "to-mailto", "bad-location", "no-host", "ok")


@pytest.fixture(scope="module")
def hostile(world, canary, local_canary, tmp_path_factory):
    """One crawl of a site whose links, redirects, robots.txt and sitemaps point where they must not."""
    folder = tmp_path_factory.mktemp("site")
    links = {name: url.format(cp=canary.port, lp=local_canary.port) for name, url in CANARY_LINKS.items()}
    links.update({f"world {path}": f"{world.url}{path}" for path in WORLD_REDIRECTS})
    links.update({f"site {path}": f"/{path}" for path in ("redirect-bad", "redirect-js", "redirect-file",
                                                          "redirect-nohost", "redirect-canary")})
    links["long inside"] = f"/long?{LONG}"
    links["long outside"] = f"{world.url}long?{LONG}"
    links["file"] = "file:///etc/passwd"
    (folder / "index.html").write_text("<html><body>" + "".join(
        f'<a href="{url}">{name}</a>' for name, url in links.items()) + "</body></html>")
    robots = "\n".join([
        "User-agent: *", "Disallow: /private",
        "Sitemap: file:///etc/passwd", f"Sitemap: ftp://127.0.0.9:{canary.port}/sitemap.xml",
        f"Sitemap: {canary.url}sitemap.xml", "Sitemap: /truncated.xml.gz", "Sitemap: /bomb.xml.gz",
        "Sitemap: /encoded-bomb.xml", "Sitemap: /not-xml.xml", "Sitemap: /index.xml", "Sitemap: /good.xml",
    ])
    good = gzip.compress(urlset("/from-sitemap"))
    routes = {
        "/robots.txt": Route(200, robots.encode(), {"Content-Type": "text/plain"}),
        "/truncated.xml.gz": Route(200, good[: len(good) // 2], {"Content-Type": "application/gzip"}),
        "/bomb.xml.gz": Route(200, gzip.compress(b"<urlset>" + b" " * (51 * 1024 * 1024)),
                              {"Content-Type": "application/gzip"}),
        "/encoded-bomb.xml": Route(200, gzip.compress(b" " * (3 * 1024 * 1024)),
                                   {"Content-Type": "application/xml", "Content-Encoding": "gzip"}),
        "/not-xml.xml": Route(200, b"\x00\x01 not a sitemap", {"Content-Type": "application/xml"}),
        "/index.xml": Route(200, b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 b"<sitemap><loc>file:///dev/zero</loc></sitemap>"
                                 b"<sitemap><loc>%ssitemap.xml</loc></sitemap></sitemapindex>" % canary.url.encode()),
        "/good.xml": Route(200, good, {"Content-Type": "application/gzip"}),
        "/from-sitemap": Route(200, b"<html><title>only in the sitemap</title></html>"),
        "/redirect-bad": Route(302, headers={"Location": "http://[::1:bad/"}),
        "/redirect-js": Route(302, headers={"Location": "javascript:alert(1)"}),
        "/redirect-file": Route(302, headers={"Location": "file:///etc/passwd"}),
        "/redirect-nohost": Route(302, headers={"Location": "http:///nohost"}),
        "/redirect-canary": Route(302, headers={"Location": f"{canary.url}admin/delete?id=site-redirect"}),
    }
    exports = tmp_path_factory.mktemp("exports")
    jobs = tmp_path_factory.mktemp("remote-control") / "jobs"
    with Server(folder, routes) as site:
        result = run_crawl(site.url, exports, "LINKCRAWLER_ALLOW_PRIVATE_TARGETS=False",
                           "LINKCRAWLER_ALLOWED_NETWORKS=127.0.0.2/32", "DOWNLOAD_MAXSIZE=2000000",
                           "LINKCRAWLER_REPORT=False", "RETRY_ENABLED=False", f"REMOTE_CONTROL_JOBS_DIR={jobs}")
        run = only_run_folder(exports)
        (run / "crawl.log").write_text(result.stderr)
        return {
            "site": site, "result": result, "run": run, "jobs": jobs, "links": links,
            "pages": read_table(run, "pages").set_index("url"),
            "targets": read_table(run, "targets").set_index("url"),
            "meta": json.loads((run / "run.json").read_text()),
        }


def test_the_crawl_finishes_without_errors_in_the_log(hostile):
    result = hostile["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert hostile["meta"]["finish_reason"] == "finished"
    assert "Traceback" not in result.stderr
    assert not [line for line in result.stderr.splitlines() if "] ERROR:" in line]


def test_no_request_reaches_the_intranet(hostile, canary, local_canary):
    assert canary.log == []
    assert local_canary.log == []


@pytest.mark.parametrize("name", list(CANARY_LINKS))
def test_links_to_private_addresses_are_blocked_whatever_the_spelling(hostile, name):
    target = hostile["targets"].loc[hostile["links"][name]]
    assert (target.result, target.error) == ("blocked", "blocked address")
    assert "is a loopback address" in target.detail and "LINKCRAWLER_ALLOW_PRIVATE_TARGETS" in target.detail


def test_redirects_to_the_intranet_are_blocked_at_the_hop(hostile, world):
    targets = hostile["targets"]
    chain = targets.loc[f"{world.url}to-canary"]
    assert (chain.status, chain.result, chain.error) == (302, "blocked", "blocked address")
    assert chain.final_url.startswith("http://127.0.0.9:") and chain.redirects == 1
    named = targets.loc[f"{world.url}to-canary-name"]
    assert (named.result, named.error) == ("blocked", "blocked address")  # a DNS name: decided on its address
    site_redirect = [u for u in targets.index if u.endswith("id=site-redirect")]
    assert [targets.loc[u, "error"] for u in site_redirect] == ["blocked address"]


@pytest.mark.parametrize(("path", "final"), [
    ("to-file", "file:///etc/passwd"), ("to-dev-zero", "file:///dev/zero"), ("to-ftp", "ftp://"),
    ("to-data", "data:"), ("to-js", "javascript:alert(1)"), ("to-mailto", "mailto:editor"),
])
def test_redirects_out_of_http_end_the_chain(hostile, world, path, final):
    target = hostile["targets"].loc[f"{world.url}{path}"]
    assert (target.status, target.result, target.error) == (302, "broken", "unsupported redirect scheme")
    assert target.final_url.startswith(final) and target.detail.startswith("Location: ")


@pytest.mark.parametrize("path", ["bad-location", "no-host"])
def test_unusable_locations_keep_their_target_row(hostile, world, path):
    target = hostile["targets"].loc[f"{world.url}{path}"]
    assert (target.status, target.result, target.error) == (302, "broken", "bad redirect")


@pytest.mark.parametrize(("path", "error"), [
    ("redirect-bad", "bad redirect"), ("redirect-nohost", "bad redirect"),
    ("redirect-js", "unsupported redirect scheme"), ("redirect-file", "unsupported redirect scheme"),
])
def test_pages_with_unusable_redirects_keep_their_row(hostile, path, error):
    site, pages, targets = hostile["site"], hostile["pages"], hostile["targets"]
    assert (pages.loc[f"{site.url}{path}", "status"], pages.loc[f"{site.url}{path}", "error"]) == (302, error)
    assert (targets.loc[f"{site.url}{path}", "result"], targets.loc[f"{site.url}{path}", "error"]) == ("broken",
                                                                                                         error)
    assert f"{site.url}nohost" not in pages.index  # "http:///nohost" is no path of the site


def test_urls_too_long_get_a_row(hostile):
    for name in ("long inside", "long outside"):
        url = next(u for u in hostile["targets"].index if u.endswith(LONG) and ("127.0.0.2" in u) == (
            name == "long outside"))
        target = hostile["targets"].loc[url]
        assert (target.result, target.error) == ("skipped", "url too long"), name
        assert "URLLENGTH_LIMIT" in target.detail


def test_every_error_is_a_documented_word(hostile):
    words = set(hostile["pages"].error.dropna()) | set(hostile["targets"].error.dropna())
    assert words - {""} <= set(ERRORS)
    assert not any(re.search(r"[A-Z][a-z]+[A-Z]|Error\b", w) for w in words)


def test_sitemap_errors_are_recorded_and_the_crawl_goes_on(hostile, canary):
    site, meta, pages = hostile["site"], hostile["meta"], hostile["pages"]
    errors = {(e["url"], e["error"]) for e in meta["sitemap_errors"]}
    assert errors >= {
        ("file:///etc/passwd", "unsupported scheme"),
        ("file:///dev/zero", "unsupported scheme"),
        (f"ftp://127.0.0.9:{canary.port}/sitemap.xml", "unsupported scheme"),
        (f"{canary.url}sitemap.xml", "blocked address"),
        (f"{site.url}truncated.xml.gz", "bad gzip"),
        (f"{site.url}bomb.xml.gz", "size limit"),
        (f"{site.url}encoded-bomb.xml", "size limit"),
        (f"{site.url}not-xml.xml", "not a sitemap"),
    }
    for url, error in errors:
        assert f"Sitemap {url} not read: {error}" in hostile["result"].stderr
    assert pages.loc[f"{site.url}from-sitemap", "referrer"] == "sitemap"  # the good sitemap is read all the same


def test_remote_control_is_off(hostile):
    assert "RemoteControl" not in hostile["result"].stderr
    assert not hostile["jobs"].exists() or not any(hostile["jobs"].iterdir())


def test_private_targets_are_checked_when_the_site_itself_is_private(canary, tmp_path):
    """auto: a crawl of an intranet site (here on loopback) checks its links to other intranet hosts."""
    (tmp_path / "index.html").write_text(f'<a href="{canary.url}admin/delete?id=auto">x</a>')
    with Server(tmp_path) as site:
        result = run_crawl(site.url, tmp_path / "exports", "LINKCRAWLER_REPORT=False")
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("HEAD", "/admin/delete?id=auto") in [(m, p) for _, m, p in canary.log]
    canary.log.clear()
    targets = read_table(only_run_folder(tmp_path / "exports"), "targets").set_index("url")
    assert targets.loc[f"{canary.url}admin/delete?id=auto", "result"] == "ok"


@deferred_f_from_coro_f
async def test_an_exception_never_eats_a_row(world, tmp_path, monkeypatch):
    """A page that cannot be read keeps its row (parse error), a check that cannot go on too (failed)."""
    read = SiteSpider._parse_html

    def read_or_fail(self, page, response, *args):
        if page.url.endswith("/fails.html"):
            raise RuntimeError("boom")
        return read(self, page, response, *args)

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(SiteSpider, "_parse_html", read_or_fail)
    monkeypatch.setattr("linkcrawler.spiders.site.bot_protection", fail)  # read for a 403 answer
    (tmp_path / "index.html").write_text(f'<a href="/fails.html">f</a><a href="{world.url}forbidden">x</a>')
    (tmp_path / "fails.html").write_text("<a href='/never'>n</a>")
    with Server(tmp_path) as site:
        crawler = get_crawler(SiteSpider, {"LINKCRAWLER_EXPORT_DIR": str(tmp_path / "exports"),
                                           "LINKCRAWLER_REPORT": False})
        await crawler.crawl_async(url=site.url)
    run = only_run_folder(tmp_path / "exports")
    pages = read_table(run, "pages").set_index("url")
    assert (pages.loc[f"{site.url}fails.html", "status"], pages.loc[f"{site.url}fails.html", "error"]) == (
        200, "parse error")
    target = read_table(run, "targets").set_index("url").loc[f"{world.url}forbidden"]
    assert (target.error, target.result) == ("failed", "error")


def test_settings_are_validated_with_their_name():
    assert Config.from_settings(Settings({"LINKCRAWLER_ALLOW_PRIVATE_TARGETS": False})).allow_private_targets == (
        "false")
    with pytest.raises(ValueError, match="LINKCRAWLER_ALLOW_PRIVATE_TARGETS must be auto, False or True"):
        Config.from_settings(Settings({"LINKCRAWLER_ALLOW_PRIVATE_TARGETS": "sometimes"}))
    with pytest.raises(ValueError, match="LINKCRAWLER_ALLOWED_NETWORKS"):
        Config.from_settings(Settings({"LINKCRAWLER_ALLOWED_NETWORKS": "127.0.0.2,127.0.0.300/8"}))
    config = Config.from_settings(Settings({"LINKCRAWLER_ALLOWED_NETWORKS": "127.0.0.2, 127.0.0.3/32"}))
    assert config.allowed_networks == ("127.0.0.2", "127.0.0.3/32")


def test_address_rule_on_every_spelling():
    policy = AddressPolicy(False, (ipaddress.ip_network("127.0.0.2/32"),))
    for host in ("127.0.0.9", "[::1]", "[::ffff:127.0.0.9]", "::ffff:7f00:9"):
        assert policy.refusal(literal(host)), host
    assert policy.refusal(literal("[::ffff:127.0.0.9]")) == "127.0.0.9 is a loopback address"
    assert policy.refusal(literal("127.0.0.2")) == "" and policy.refusal(literal("[::ffff:127.0.0.2]")) == ""
    assert literal("2130706441") is None  # not a literal: resolved like a name, as the connection would be
    assert AddressPolicy(True).refusal(literal("127.0.0.9")) == ""
    assert [parse_mode(v) for v in (True, "False", " AUTO ")] == ["true", "false", "auto"]


def test_locations_are_read_safely():
    base = "http://127.0.0.1:8000/a/b"
    assert follow_location(base, "/c")[0::2] == ("http://127.0.0.1:8000/c", "")
    assert follow_location(base, "http:///nohost")[2] == "bad redirect"
    assert follow_location(base, "http://[::1:bad/")[2] == "bad redirect"
    assert follow_location(base, "http://127.0.0.1:99999/")[2] == "bad redirect"
    assert follow_location(base, "FILE:///etc/passwd")[2] == "unsupported redirect scheme"
    assert follow_location(base, f"/x?{LONG}", 2083)[2] == "url too long"


def test_error_words_never_name_a_class():
    from scrapy.exceptions import IgnoreRequest, ResponseDataLossError
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded

    bomb = IgnoreRequest("Ignored response because its body exceeded DOWNLOAD_MAXSIZE (5 B) during decompression.")
    bomb.__cause__ = _DecompressionMaxSizeExceeded(10, 5)
    assert error_class(bomb) == "size limit"
    assert error_class(ResponseDataLossError("lost")) == "connection lost"
    assert error_class(ValueError("anything")) == "failed"


@pytest.mark.parametrize("url", ["http://../", "http://./x", "http://.../", "http://%2e%2e/", "http://..:8080/",
                                 "http://[::1]:8080/"])
def test_the_run_folder_stays_under_the_export_root(url, tmp_path):
    root = tmp_path / "exports"
    folder = new_run_folder(root, url)
    assert folder.resolve().parent.parent == root.resolve()
    assert not site_dirname(url).startswith(".")
