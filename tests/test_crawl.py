"""Real crawls of the fixture site on 127.0.0.1: what a user reads in the run folder's tables."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.utils.defer import deferred_f_from_coro_f
from scrapy.utils.test import get_crawler

from linkcrawler.demo.server import Route, Server
from linkcrawler.spiders.site import SiteSpider
from linkcrawler.tables import read_table
from tests.conftest import ROOT, only_run_folder, run_crawl


def rel(url: str, server: Server) -> str:
    return url.replace(server.url.rstrip("/"), "") if isinstance(url, str) else url


@pytest.fixture(scope="module")
def pages(crawled, site):
    frame = read_table(crawled, "pages")
    frame["path"] = frame.url.map(lambda u: rel(u, site))
    return frame.set_index("path")


@pytest.fixture(scope="module")
def links(crawled, site):
    frame = read_table(crawled, "links")
    frame["from"] = frame.page.map(lambda u: rel(u, site))
    frame["to"] = frame.url.map(lambda u: rel(u, site))
    return frame


@pytest.fixture(scope="module")
def targets(crawled, site):
    frame = read_table(crawled, "targets")
    frame["path"] = frame.url.map(lambda u: rel(u, site))
    return frame.set_index("path")


def link(links, page: str, anchor: str):
    rows = links[(links["from"] == page) & (links.anchor == anchor)]
    assert len(rows) == 1, (page, anchor, rows)
    return rows.iloc[0]


def test_run_folder_layout(crawled, site):
    assert crawled.parent.name == f"127.0.0.1_{site.port}"
    assert {p.name for p in crawled.iterdir()} >= {"pages.csv", "links.csv", "run.json"}
    meta = json.loads((crawled / "run.json").read_text())
    assert meta["start_url"] == site.url
    assert meta["finish_reason"] == "finished"
    assert (meta["status"], meta["status_reason"]) == ("ok", f"the crawl went through the site: {meta['pages']} pages")
    assert meta["pages"] == len(read_table(crawled, "pages"))
    assert (meta["failed_pages"], meta["failures"]) == (0, {})  # /huge (size limit) and /error (500) are answers
    assert f"Run folder: {crawled}" in (crawled / "crawl.log").read_text()


def test_every_page_once_with_status(pages):
    assert pages.index.is_unique
    statuses = pages.status.to_dict()
    assert statuses["/"] == 200
    assert statuses["/missing.html"] == 404
    assert statuses["/error"] == 500
    assert statuses["/old"] == 301
    assert statuses["/tag/news"] == 301 and statuses["/tag/news/"] == 200
    assert "/private/secret.html" not in statuses  # disallowed by robots.txt: not fetched
    assert "/never" not in statuses  # links on an error page are not followed


def test_redirects_are_pages_with_their_target(pages, targets, site, outside):
    assert pages.loc["/old", "redirect_target"] == f"{site.url}wp.html"
    # /go/partner is linked nofollow only: checked (its redirect chain too), not crawled as a page
    assert "/go/partner" not in pages.index
    partner = targets.loc["/go/partner"]
    assert (partner.kind, partner.status, partner.final_url, partner.final_status, partner.result, partner.method) == (
        "affiliate", 302, f"{outside.url}landing", 200, "redirect", "HEAD")
    assert pages.loc["/refresh.html", "redirect_target"] == f"{site.url}privacy.html"
    assert not any(url.startswith(outside.url) for url in pages.url)  # never crawls beyond the site


def test_page_facts(pages, site):
    home = pages.loc["/"]
    assert home.title == "Semantic home"
    assert home.canonical == site.url
    assert home.depth == 0 and pages.loc["/tag/news/", "depth"] == 2
    assert home.content_type.startswith("text/html")
    assert home.outlinks == 34
    assert (home.internal_outlinks, home.external_outlinks, home.affiliate_outlinks) == (27, 1, 2)
    assert home.nofollow_outlinks == 2
    assert (home.header_links, home.navigation_links, home.breadcrumb_links, home.content_links, home.sidebar_links,
            home.footer_links) == (1, 3, 1, 26, 1, 2)  # the menu in the header is navigation
    assert home.words > 40 and 0 < home.editorial_link_words < home.words
    assert home.response_ms >= 0


def test_inlinks_are_filled_in_at_the_end(pages):
    # privacy.html is linked from the home footer, wp.html's widget, the nofollow, hostile, latin1, base,
    # xrobots pages and the refresh target is not a link
    assert pages.loc["/privacy.html", "unique_inlinks"] == 8
    # home links wp.html 4 times; plain, hostile and aria once each; its own permalink does not count
    assert pages.loc["/wp.html", "inlinks"] == 7
    assert pages.loc["/wp.html", "unique_inlinks"] == 4
    assert pages.loc["/tag/news/", "inlinks"] == 0  # reached only through a redirect


def test_robots_meta_and_header(pages, links, targets):
    assert pages.loc["/nofollow.html", "noindex"] and pages.loc["/nofollow.html", "nofollow"]
    assert pages.loc["/xrobots.html", "x_robots_tag"] == "noindex, nofollow"
    assert pages.loc["/xrobots.html", "nofollow"]
    assert not link(links, "/xrobots.html", "p").follow
    assert not link(links, "/nofollow.html", "deep").follow
    # nofollow links are recorded as such and checked, not crawled (LINKCRAWLER_FOLLOW_NOFOLLOW is off)
    assert "/only-from-nofollow.html" not in pages.index
    deep = targets.loc["/only-from-nofollow.html"]
    assert (deep.kind, deep.status, deep.result, deep.method, deep.unique_inlinks) == ("internal", 200, "ok", "HEAD", 1)
    assert link(links, "/nofollow.html", "deep").result == "ok"


def test_non_html_and_bad_responses_are_recorded(pages):
    assert pages.loc["/doc.pdf", "content_type"] == "application/pdf"
    assert pages.loc["/doc.pdf", "outlinks"] == 0
    assert pd_isna(pages.loc["/doc.pdf", "words"])
    assert pages.loc["/bytes", "size"] == 256 * 64
    assert pages.loc["/huge", "error"] == "size limit"
    assert pd_isna(pages.loc["/huge", "status"])


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_link_rows_for_each_kind(links, outside):
    row = link(links, "/", "blue widget")
    assert (row.kind, row.affiliate_rule, row.rel, row.follow) == ("affiliate", "param:aff_id", "sponsored nofollow",
                                                                   False)
    assert row.url == f"{outside.url}product?aff_id=7"
    row = link(links, "/", "see the deal")
    assert (row.kind, row.affiliate_rule, row.follow, row.position) == ("affiliate", "path:/go/", False, "content")
    row = link(links, "/", "partner site")
    assert (row.kind, row.rel, row.target, row.follow) == ("external", "noopener noreferrer", "_blank", True)
    assert link(links, "/", "the editor").kind == "mailto"
    assert link(links, "/", "us").kind == "tel"
    assert link(links, "/", "open the chat").kind == "javascript"
    bad = link(links, "/", "broken markup link")
    assert bad.kind == "invalid" and "Invalid IPv6" in bad.error
    assert link(links, "/", "empty").error == "empty href"
    top = link(links, "/", "to the top")
    assert (top.to, top.fragment) == ("/", "top")
    secret = link(links, "/", "secret")
    assert secret.robots_blocked and secret.kind == "internal"
    assert link(links, "/sub/base.html", "relative to base").to == "/sub/deeper/page.html"


def test_anchors_and_positions_across_themes(links):
    expected = {
        ("/", "Fixture logo"): ("alt", "header", "/html/body/header[1]/a[1]"),
        ("/", "Blog"): ("text", "navigation", "/html/body/header[1]/nav[1]/ul[1]/li[1]/a[1]"),
        ("/", "Home"): ("text", "breadcrumb", "/html/body/header[1]/nav[2]/a[1]"),
        ("/", "A photo"): ("alt", "content", "/html/body/main[1]/article[1]/a[1]"),
        ("/", "Accessible name"): ("aria-label", "content", "/html/body/main[1]/article[1]/a[2]"),
        ("/", "news tag"): ("text", "content", "/html/body/main[1]/article[1]/footer[1]/a[1]"),
        ("/", "Sidebar menu link"): ("text", "sidebar", "/html/body/aside[1]/nav[1]/a[1]"),
        ("/", "Privacy"): ("text", "footer", "/html/body/footer[1]/nav[1]/a[1]"),
        ("/", "Map area"): ("alt", "footer", "/html/body/footer[1]/map[1]/area[1]"),
        ("/wp.html", "ARIA"): ("text", "navigation", '//*[@id="primary-menu"]/li[1]/a[1]'),
        ("/wp.html", "plain page"): ("text", "content", '//*[@id="main"]/div[1]/div[2]/p[1]/a[1]'),
        ("/wp.html", "Commenter"): ("text", "comments", '//*[@id="comments"]/ol[1]/li[1]/div[1]/a[1]'),
        ("/wp.html", "Widget link"): ("text", "sidebar", '//*[@id="secondary"]/div[1]/ul[1]/li[1]/a[1]'),
        ("/wp.html", "Footer home"): ("text", "footer", '//*[@id="colophon"]/div[1]/a[1]'),
        ("/aria.html", "Banner home"): ("text", "header", "/html/body/div[1]/a[1]"),
        ("/aria.html", "Nav blog"): ("text", "navigation", "/html/body/div[2]/a[1]"),
        ("/aria.html", "Main plain"): ("text", "content", "/html/body/div[3]/div[1]/a[1]"),
        ("/aria.html", "Crumb"): ("text", "breadcrumb", "/html/body/div[3]/div[2]/a[1]"),
        ("/aria.html", "Complementary"): ("text", "sidebar", "/html/body/div[4]/a[1]"),
        ("/aria.html", "Contentinfo"): ("text", "footer", "/html/body/div[5]/a[1]"),
    }
    for (page, anchor), (source, position, path) in expected.items():
        row = link(links, page, anchor)
        assert (row.anchor_source, row.position, row.link_path) == (source, position, path), (page, anchor)
    wp = links[links["from"] == "/wp.html"]
    assert list(wp["index"]) == list(range(1, len(wp) + 1))  # document order


def test_hostile_page_is_recorded_and_the_crawl_goes_on(pages, links):
    assert pages.loc["/hostile.html", "title"] == "=cmd|' /C calc'!A0 title"
    hostile = links[links["from"] == "/hostile.html"]
    assert len(hostile) == 7  # <a> without href is not a link
    assert link(links, "/hostile.html", '=HYPERLINK("http://x") anchor').to == "/privacy.html"
    assert link(links, "/hostile.html", "control chars").to == "/wp.html"
    long = hostile[hostile.to == "/aria.html"].iloc[0]
    assert len(long.anchor) == 500 and long.anchor.endswith("…")
    assert link(links, "/hostile.html", "spaced href").to == "/plain.html"
    assert link(links, "/hostile.html", "bad port").kind == "invalid"
    assert link(links, "/hostile.html", "bare href").error == "empty href"
    assert pages.loc["/latin1.html", "title"].startswith("Caf")
    assert link(links, "/latin1.html", "after").to == "/plain.html"  # links after broken bytes survive


@deferred_f_from_coro_f
async def test_settings_user_position_rules_parquet_and_limits(site, tmp_path):
    crawler = get_crawler(SiteSpider, {
        "LINKCRAWLER_EXPORT_DIR": str(tmp_path),
        "LINKCRAWLER_FORMAT": "parquet",
        "LINKCRAWLER_POSITION_RULES": {"top-strip": "header", ".promo-box": "sidebar"},
        "LINKCRAWLER_MAX_PAGES": 3,
        "ROBOTSTXT_OBEY": False,
    })
    await crawler.crawl_async(url=f"{site.url}plain.html")
    folder = only_run_folder(tmp_path)
    assert (folder / "links.parquet").is_dir()
    pages = read_table(folder, "pages")
    assert len(pages) == 3  # LINKCRAWLER_MAX_PAGES
    links = read_table(folder, "links")
    plain = links[links.page == f"{site.url}plain.html"].set_index("anchor")
    assert plain.loc["Strip home", "position"] == "header"
    assert plain.loc["Promo", "position"] == "sidebar"
    assert plain.loc["one link", "position"] == "content"
    assert pages.set_index("url").loc[f"{site.url}plain.html", "header_links"] == 1
    assert pages.inlinks.notna().all()


def test_missing_url_argument_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "site"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: say which site to crawl: scrapy crawl site -a url=https://www.example.com/\n"


def test_start_url_with_port_and_unreachable_site(tmp_path):
    with Server(tmp_path) as server:
        port = server.port
    result = run_crawl(f"http://127.0.0.1:{port}/", tmp_path / "exports", "RETRY_ENABLED=False")
    assert result.returncode == 2, result.stderr[-2000:]
    pages = read_table(only_run_folder(tmp_path / "exports"), "pages")
    assert list(pages.error) == ["refused"]
    assert "Run failed: the site could not be reached: connection refused." in result.stdout


def test_interrupted_crawl_leaves_readable_tables(tmp_path):
    site = tmp_path / "slow"
    site.mkdir()
    routes = {"/": Route(200, b"".join(b'<a href="/p%d">p%d</a>' % (i, i) for i in range(200)))}
    routes.update({f"/p{i}": Route(200, b"<title>p</title><a href='/'>home</a>", delay=0.2) for i in range(200)})
    with Server(site, routes) as server:
        command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={server.url}",
                   "-s", f"LINKCRAWLER_EXPORT_DIR={tmp_path / 'exports'}", "-s", "CONCURRENT_REQUESTS=4"]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            folder = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                found = list((tmp_path / "exports").glob("*/*/pages.csv"))
                if found and found[0].read_text().count("\n") > 15:
                    folder = found[0].parent
                    break
                time.sleep(0.1)
            assert folder is not None
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    pages = read_table(folder, "pages")
    links = read_table(folder, "links")
    assert 15 <= len(pages) < 201
    assert len(links) >= 200  # the home page's links, written with the home page
    assert set(links[links.page == server.url].anchor) == {f"p{i}" for i in range(200)}
    assert Path(folder / "pages.csv").read_text().endswith("\n")


def test_invalid_links_are_issues_in_the_workbook(crawled, site):
    from openpyxl import load_workbook

    from tests.conftest import sheet_rows

    rows = sheet_rows(load_workbook(crawled / "report.xlsx"), "Issues")
    invalid = {(r["page"].removeprefix(site.url.rstrip("/")), r["url"], r["detail"]) for r in rows
               if r["issue"] == "malformed link"}
    assert ("/", "http://[bad-ipv6/", "invalid URL: Invalid IPv6 URL") in invalid
    assert ("/", None, "empty href") in invalid
    assert ("/hostile.html", "http://127.0.0.1:99999/", "invalid URL: Port out of range 0-65535") in invalid
