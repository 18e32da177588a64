"""Two crawls of a site changed in between: the changes table, the Changes sheet, summary.md, exit status."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from openpyxl import load_workbook

from linkcrawler.demo.server import Server
from linkcrawler.history import md
from linkcrawler.report import ISSUES
from linkcrawler.sitemaps import MAX_SITEMAP_BYTES, SitemapError, parse_sitemap
from linkcrawler.tables import read_table
from tests.conftest import run_crawl


def html(links: str) -> str:
    return f"<html><head><title>t</title></head><body><main><p>{links}</p></main></body></html>"


def runs(exports):
    return sorted(p for p in exports.glob("*/*") if p.is_dir())


@pytest.fixture(scope="module")
def two_runs(outside, tmp_path_factory):
    site = tmp_path_factory.mktemp("history")
    exports = tmp_path_factory.mktemp("exports")
    (site / "robots.txt").write_text("User-agent: *\nDisallow:\nSitemap: /sitemap_index.xml\n")
    (site / "sitemap_index.xml").write_text(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>{base}sitemap-pages.xml.gz</loc></sitemap></sitemapindex>")
    (site / "index.html").write_text(html('<a href="/a.html">a</a> <a href="/c.html">c</a> <a href="/d.html">d</a>'))
    (site / "a.html").write_text(html('<a href="/b.html">b</a>'))
    for name in ("b", "c", "d"):
        (site / f"{name}.html").write_text(html(f"page {name}"))
    with Server(site) as server:
        index = (site / "sitemap_index.xml").read_text().replace("{base}", server.url)
        (site / "sitemap_index.xml").write_text(index)
        def sitemap(*paths: str) -> None:
            urls = "".join(f"<url><loc>{server.url}{p}</loc></url>" for p in paths)
            (site / "sitemap-pages.xml.gz").write_bytes(gzip.compress(
                f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
                .encode()))

        sitemap("", "a.html", "b.html", "c.html", "d.html")
        first = run_crawl(server.url, exports, "LINKCRAWLER_FAIL_ON_NEW_ERRORS=True")
        assert first.returncode == 0, first.stderr[-3000:]
        # between the runs: c.html deleted (unlinked, out of the sitemap), d.html unlinked (still in the sitemap),
        # and a link added
        (site / "c.html").unlink()
        sitemap("", "a.html", "b.html", "d.html")
        (site / "index.html").write_text(html('<a href="/a.html">a</a>'))
        (site / "a.html").write_text(html(f'<a href="/b.html">b</a> <a href="{outside.url}gone404">gone</a>'))
        second = run_crawl(server.url, exports, "LINKCRAWLER_FAIL_ON_NEW_ERRORS=True")
        yield server, exports, first, second  # the site stays up for the module's tests


def test_sitemap_urls_no_link_reaches_are_crawled_as_orphans(two_runs):
    server, exports, _, _ = two_runs
    old, new = runs(exports)
    pages = read_table(new, "pages").set_index("url")
    d = pages.loc[f"{server.url}d.html"]
    assert (d.status, d.referrer, d.in_sitemap, d.unique_inlinks) == (200, "sitemap", True, 0)
    assert pd.isna(d.depth)
    assert read_table(old, "pages").set_index("url").loc[f"{server.url}d.html", "depth"] == 1
    issues = pd.read_csv(new / "issues.csv", keep_default_na=False)
    orphan = issues[issues.issue == "page no other page links to"]
    assert list(orphan.page) == [f"{server.url}d.html"]
    assert orphan.detail.iloc[0] == "in the sitemap, no page links here"


def test_changes_rows(two_runs):
    server, exports, _, _ = two_runs
    _, new = runs(exports)
    changes = pd.read_csv(new / "changes.csv", keep_default_na=False)
    rows = {(r.change, r.what, r.issue, r.page.removeprefix(server.url), r.url.removeprefix(server.url))
            for r in changes.itertuples()}
    assert ("removed", "page", "", "c.html", "") in rows
    assert ("removed", "link", "", "", "c.html") in rows and ("removed", "link", "", "", "d.html") in rows
    assert ("new", "issue", "page no other page links to", "d.html", "") in rows
    assert any(r[:3] == ("new", "broken link", "broken link to another site") and r[3] == "a.html" for r in rows)
    assert any(r[:2] == ("added", "link") and r[3] == "a.html" and r[4].endswith("gone404") for r in rows)
    inlinks = changes[changes.what == "inlinks"].set_index("page")
    assert inlinks.loc[f"{server.url}d.html", "detail"] == "1 → 0 pages link here"
    assert set(changes.change) <= {"new", "fixed", "added", "removed"}


def test_exit_status_and_summary(two_runs):
    _, exports, first, second = two_runs
    assert first.returncode == 0  # nothing to compare with
    assert second.returncode == 3, second.stderr[-2000:]
    assert second.stdout.rstrip().endswith("Exit status 3: 1 new error since the last run")
    _, new = runs(exports)
    summary = (new / "summary.md").read_text()
    assert summary.startswith("Run ok: the crawl went through the site: 4 pages.\n\n# Link report for")
    assert "new: broken link to another site" in summary and "since the last run" in summary
    assert summary in second.stdout  # the crawl prints the summary it wrote


def test_changes_sheet_follows_summary(two_runs):
    _, exports, _, _ = two_runs
    old, new = runs(exports)
    book = load_workbook(new / "report.xlsx")
    assert book.sheetnames[:5] == ["Summary", "To do", "Changes", "Change details", "Issues"]
    assert [c.value for c in book["Changes"][1]] == ["#", "change", "severity", "what changed", "pages", "links"]
    assert [c.value for c in book["Change details"][1]] == [
        "news #", "change", "about", "severity", "problem", "page", "link goes to", "link text", "details"]
    news = [r[3] for r in book["Changes"].iter_rows(min_row=2, values_only=True)]
    assert "1 page removed: /c.html" in news or any(n.startswith("page /c.html removed") for n in news)
    rows = list(book["Summary"].iter_rows(values_only=True))
    severities = {r[1]: r[2:4] for r in rows if r[1] in ("errors", "warnings", "notices")}
    assert severities["errors"][0] >= 1 and severities["errors"][1] >= 1  # the change since the last run
    problems = {r[1]: (r[0], r[4]) for r in rows if isinstance(r[0], int) and r[1] in ISSUES}
    assert problems["broken link to another site"] == (1, 1)  # each problem's count, and its change
    what_changed = next(i for i, r in enumerate(rows) if str(r[0]).startswith("What changed since"))
    assert [r[2] for r in rows[what_changed + 1:what_changed + 1 + len(news)]] == news[:8]
    assert "Changes" not in load_workbook(old / "report.xlsx").sheetnames


def test_compare_command_and_retention(two_runs, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    server, exports, _, _ = two_runs
    old, new = runs(exports)
    result = subprocess.run([sys.executable, "-m", "scrapy", "compare", str(old), str(new)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Compared with" in result.stdout
    third = run_crawl(server.url, exports, "LINKCRAWLER_KEEP_RUNS=2")
    assert third.returncode == 0
    remaining = runs(exports)
    assert len(remaining) == 2 and old not in remaining


def test_parse_sitemap_variants():
    urlset = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b'<url><loc> http://localhost/a </loc></url></urlset>')
    assert parse_sitemap(urlset) == ("urlset", ["http://localhost/a"])
    assert parse_sitemap(gzip.compress(urlset)) == ("urlset", ["http://localhost/a"])
    with pytest.raises(SitemapError, match="not a sitemap"):
        parse_sitemap(b"<html>not a sitemap")
    with pytest.raises(SitemapError, match="bad gzip"):
        parse_sitemap(gzip.compress(urlset)[:-12])  # truncated: Scrapy's gunzip would keep what it got, silently
    with pytest.raises(SitemapError, match="size limit"):
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * (MAX_SITEMAP_BYTES + 1)))


@pytest.mark.parametrize("rows", [1, 2, 1000])
def test_removed_links_read_in_chunks(tmp_path, rows):
    from linkcrawler.history import removed_links

    def links(name, rows_):
        folder = tmp_path / name
        folder.mkdir()
        pd.DataFrame(rows_, columns=["page", "url", "anchor"]).to_csv(folder / "links.csv", index=False)
        return folder

    # a page's links are together in a links table; p2 links to "a" twice with the same text, then once
    old = links("old", [("p1", "a", "A"), ("p1", "gone", "x"), ("p1", "gone", "y"), ("p1", "gone", "again"),
                        ("p2", "gone", "z"), ("p2", "a", "A"), ("p2", "a", "A"), ("p2", "b", "B"), ("p3", "gone", "w")])
    new = links("new", [("p1", "a", "A"), ("p2", "a", "A"), ("p2", "b", "new text"), ("p3", "x", "X")])
    gone = removed_links(old, new, {"p1", "p2"}, rows=rows)
    assert gone.values.tolist() == [["p1", "gone", "x"], ["p1", "gone", "y"], ["p1", "gone", "again"],
                                    ["p2", "gone", "z"], ["p2", "a", "A"], ["p2", "b", "B"]]
    assert removed_links(new, old, {"p1", "p2"}, rows=rows).values.tolist() == [["p2", "b", "new text"]]
    assert removed_links(old, links("empty", []), {"p2"}, rows=rows)["url"].tolist() == ["gone", "a", "a", "b"]


@pytest.mark.parametrize(("text", "expected"), [
    # an address reads and copies as it is: an autolink, in which markdown neither escapes nor formats
    ("http://127.0.0.2:8766/seeds?aff_id=green42 (no rel): 1 link",
     "<http://127.0.0.2:8766/seeds?aff_id=green42> (no rel): 1 link"),
    ("/x (redirects to http://127.0.0.2:8766/tools/): 1 link",
     "/x (redirects to <http://127.0.0.2:8766/tools/>): 1 link"),
    ("see http://127.0.0.1/wiki/A_(b).", "see <http://127.0.0.1/wiki/A_(b)>."),
    # what a page wrote cannot become a link, an image or HTML
    ("[click](http://127.0.0.9/x)", "\\[click\\](<http://127.0.0.9/x>)"),
    ("![i](javascript:alert(1)) <script>", "\\!\\[i\\](javascript:alert(1)) \\<script\\>"),
    ("http://127.0.0.1/<b>x</b>", "<http://127.0.0.1/>\\<b\\>x\\</b\\>"),
    ("**bold** _it_ `code` # | \\", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\# \\| \\\\"),
])
def test_summary_text_is_escaped_and_addresses_stay_as_they_are(text, expected):
    assert md(text) == expected
