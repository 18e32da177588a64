"""The editors' workbook, read back with openpyxl: sheets, headers, flags, layout and hostile text."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook

from linkcrawler.config import Config
from linkcrawler.demo.server import Route, Server
from linkcrawler.report import ISSUES, build_report, link_issues, page_flags
from linkcrawler.workbook import CUT_MARKER, write_workbook
from tests.conftest import ROOT, only_run_folder, run_crawl, sheet_rows

WORDS = " ".join(f"word{i}" for i in range(80))
HOSTILE_ANCHORS = ['=HYPERLINK("http://evil.example","x")', "+SUM(A1:A9)", "-2+3", "@cmd", "tab\there\x01\x02"]


def page(body: str, title: str = "t") -> str:
    return f"<html><head><title>{title}</title></head><body><header><a href='/'>home</a></header>{body}</body></html>"


@pytest.fixture(scope="module")
def flagged(outside, tmp_path_factory):
    site = tmp_path_factory.mktemp("flags")
    files = {
        "index.html": page(f"""<main><p>{WORDS}
            <a href="/dense.html">dense</a> <a href="/no-content-links.html">plain article</a>
            <a href="/deadend.html">dead end</a> <a href="/many.html">many</a> <a href="/deep1.html">click here</a>
            <a href="/missing">missing</a> <a href="{outside.url}gone404">gone</a> <a href="/old">old</a>
            <a href="/chain-a">chain</a> <a href="{outside.url}product?aff_id=1">shop</a>
            <a href="/deadend.html" rel="nofollow">nofollow</a> <a href="/dense.html"><img src="x.png"></a>
            <a href="/hostile.html">hostile</a></p></main>"""),
        "dense.html": page("<main><p>" + " ".join(f'<a href="/deadend.html">w{i} w</a>' for i in range(30))
                           + " and a few more words here</p></main>"),
        "no-content-links.html": page(f"<main><p>{WORDS}</p></main>"),
        "deadend.html": "<html><head><title>dead</title></head><body><p>Nothing to click here.</p></body></html>",
        "many.html": page("<main><p>" + "".join(f'<a href="/deadend.html?{i}">i{i}</a>' for i in range(8))
                          + "".join(f'<a href="{outside.url}page?{i}">e{i}</a>' for i in range(3)) + "</p></main>"),
        "deep1.html": page('<main><a href="/deep2.html">deeper</a></main>'),
        "deep2.html": page('<main><a href="/deep3.html">deepest</a></main>'),
        "deep3.html": page("<main><p>bottom</p></main>"),
        "hostile.html": page("<main><p>" + "".join(f'<a href="/deadend.html">{a}</a>' for a in HOSTILE_ANCHORS)
                             + '<a href="/deadend.html#long">' + "x" * 40_000 + "</a></p></main>",
                             title="=cmd|' /C calc'!A0"),
    }
    for name, text in files.items():
        (site / name).write_text(text)
    routes = {"/old": Route(301, headers={"Location": "/deadend.html"}),
              "/chain-a": Route(301, headers={"Location": "/chain-b"}),
              "/chain-b": Route(302, headers={"Location": "/deadend.html"})}
    exports = tmp_path_factory.mktemp("exports")
    with Server(site, routes) as server:
        result = run_crawl(server.url, exports, "LINKCRAWLER_MAX_LINKS=10", "LINKCRAWLER_MAX_EXTERNAL_LINKS=2",
                           "LINKCRAWLER_MAX_CLICK_DEPTH=2", "LINKCRAWLER_MAX_ANCHOR_CHARS=100000")
        assert result.returncode == 0, result.stderr[-3000:]
        folder = only_run_folder(exports)
        return server, folder


@pytest.fixture(scope="module")
def book(flagged):
    _, folder = flagged
    return load_workbook(folder / "report.xlsx")


def test_sheets_in_reading_order_with_headers(book):
    assert book.sheetnames == ["Summary", "To do", "Issues", "Pages", "Links", "Affiliate", "Outbound", "Anchors",
                               "Glossary", "Settings"]
    headers = {name: [c.value for c in book[name][1]] for name in book.sheetnames[1:-2]}
    assert headers["To do"] == ["to do #", "severity", "problem", "what is wrong", "what to do", "page title",
                                "where", "pages", "links", "findings", "open the page", "priority score"]
    assert headers["Pages"][:4] == ["page", "page title", "answer (HTTP status)", "clicks from the home page"]
    assert "problems" in headers["Pages"] and "links per 100 words of text" in headers["Pages"]
    assert "pages linking here" in headers["Pages"]
    assert headers["Affiliate"][:6] == ["page", "link goes to", "link text", "where on the page", "rel",
                                        "marked sponsored or nofollow"]
    assert headers["Outbound"][:4] == ["address", "link type", "result", "answer (HTTP status)"]
    assert headers["Anchors"][:4] == ["address", "link type", "link text", "links with this text"]
    assert headers["Links"][:5] == ["page", "link goes to", "link type", "link text", "where on the page"]


def test_layout_for_people(book):
    for name in book.sheetnames[1:-2]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref.startswith("A1:"), name
        assert sheet.column_dimensions["A"].width >= 6
        assert sheet.print_title_rows, name
    pages = book["Pages"]
    status = next(c for c in pages[2] if c.column_letter == "C")
    assert status.data_type == "n"  # numbers are numbers
    url = pages["A2"]
    assert url.hyperlink is not None and url.hyperlink.target == url.value
    severity = book["Issues"]["B2"]
    assert severity.value == "error" and severity.fill.fgColor.rgb.endswith("F8CBAD")


EXPECTED_FLAGS = {
    ("too many links", "/many.html"),
    ("too many links to other sites", "/many.html"),
    ("too much of the text is links", "/dense.html"),
    ("no link to the site in the article text", "/no-content-links.html"),
    ("thin page", "/deadend.html"),
    ("page with no links", "/deadend.html"),
    ("page only one other page links to", "/deep2.html"),
    ("page many clicks from the home page", "/deep3.html"),
}
EXPECTED_LINK_ISSUES = {
    ("broken link to a page of the site", "/", "/missing"),
    ("broken link to another site", "/", "gone404"),
    ("link to a redirect", "/", "/old"),
    ("link through several redirects", "/", "/chain-a"),
    ("affiliate link not marked sponsored", "/", "product?aff_id=1"),
    ("link to the site marked nofollow", "/", "/deadend.html"),
    ("link with no text", "/", "/dense.html"),
    ("link text that says nothing", "/", "/deep1.html"),
}


def test_every_flag_fires_on_the_page_built_for_it(flagged, book):
    server, _ = flagged
    issues = sheet_rows(book, "Issues")
    page_issues = {(r["issue"], r["page"].removeprefix(server.url.rstrip("/"))) for r in issues if not r["url"]}
    assert page_issues >= EXPECTED_FLAGS
    link_found = {(r["issue"], r["page"].removeprefix(server.url.rstrip("/")), r["url"]) for r in issues if r["url"]}
    for issue, page_path, url_end in EXPECTED_LINK_ISSUES:
        assert any(i == issue and p == page_path and u.endswith(url_end) for i, p, u in link_found), issue
    numbers = [r["todo"] for r in issues]
    assert numbers == sorted(numbers)  # grouped by to-do row, most important first
    assert [r["severity"] for r in sheet_rows(book, "To do")][0] == "error"
    pages = {r["url"].removeprefix(server.url.rstrip("/")): r for r in sheet_rows(book, "Pages")}
    assert {"too many links", "too many links to other sites"} <= set(pages["/many.html"]["flags"].split("; "))
    assert set(pages["/deadend.html"]["flags"].split("; ")) == {"thin page", "page with no links"}
    assert "page with no links" not in pages["/"]["flags"] and "too many links" in pages["/"]["flags"]


def test_affiliate_sheet_says_whether_qualified(book):
    rows = sheet_rows(book, "Affiliate")
    shop = next(r for r in rows if r["url"].endswith("product?aff_id=1"))
    assert shop["qualified"] == "no" and shop["affiliate_rule"] == "param:aff_id"


def test_outbound_and_anchors(book, outside):
    outbound = {r["url"]: r for r in sheet_rows(book, "Outbound")}
    assert outbound[f"{outside.url}gone404"]["result"] == "broken"
    assert outbound[f"{outside.url}gone404"]["unique_inlinks"] == 1
    anchors = sheet_rows(book, "Anchors")
    top = anchors[0]
    assert top["links"] >= 8 and top["share"] <= 1


def test_hostile_text_is_text(book):
    rows = list(book["Links"].iter_rows())
    header = [c.value for c in rows[0]]
    anchor_col = header.index("link text")
    cells = {row[anchor_col].value: row[anchor_col] for row in rows[1:] if row[anchor_col].value}
    for text in ['=HYPERLINK("http://evil.example","x")', "+SUM(A1:A9)", "-2+3", "@cmd"]:
        assert cells[text].data_type == "s", text
    assert "tab here" in cells
    long = next(v for v in cells if v.startswith("xxxx"))
    assert len(long) <= 32_767 and long.endswith(CUT_MARKER)
    titles = [r["title"] for r in sheet_rows(book, "Pages")]
    assert "=cmd|' /C calc'!A0" in titles


def test_summary_counts_and_thresholds(book):
    settings = {row[2]: row[1] for row in book["Settings"].iter_rows(values_only=True) if row[2]}
    assert settings["LINKCRAWLER_MAX_LINKS"] == 10
    rows = list(book["Summary"].iter_rows(values_only=True))
    values = {row[1]: row[2] for row in rows if row[1]}
    counts = {row[1]: row[0] for row in rows if isinstance(row[0], int) and row[1] in ISSUES}
    assert values["errors"] == 3 and counts["broken link to a page of the site"] == 1  # missing, gone404, shop
    assert "malformed link" not in counts  # only the problems found are listed
    assert values["pages"] >= 10


def test_summary_has_a_chart(flagged, tmp_path):
    import zipfile

    _, folder = flagged
    names = zipfile.ZipFile(folder / "report.xlsx").namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)


def test_report_command_rebuilds_with_other_thresholds(flagged):
    _, folder = flagged
    result = subprocess.run([sys.executable, "-m", "scrapy", "report", str(folder), "-s", "LINKCRAWLER_MAX_LINKS=1000",
                             "-s", "LINKCRAWLER_MAX_CLICK_DEPTH=10"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    issues = {r["issue"] for r in sheet_rows(load_workbook(folder / "report.xlsx"), "Issues")}
    assert "too many links" not in issues and "page many clicks from the home page" not in issues
    assert "broken link to a page of the site" in issues


def test_links_continue_on_further_sheets(flagged, tmp_path):
    _, folder = flagged
    report = build_report(folder)
    path = write_workbook(report, tmp_path / "split.xlsx", rows_per_sheet=10)
    book = load_workbook(path)
    links = [n for n in book.sheetnames if n.startswith("Links")]
    assert links[:3] == ["Links", "Links (2)", "Links (3)"]
    assert sum(book[n].max_row - 1 for n in links) == len(report.links)
    guide = [row[1] for row in book["Summary"].iter_rows(values_only=True) if row[1]]
    assert "Links, Links (2), Links (3), Links (4), Links (5), Links (6), Links (7)" in guide


def test_orphans_and_https_to_http_rules():
    pages = pd.DataFrame({
        "url": ["https://localhost/", "https://localhost/orphan", "https://localhost/moved-here"],
        "status": [200, 200, 200],
        "depth": [0, 1, 1], "content_type": ["text/html"] * 3, "words": [100, 100, 100],
        "editorial_link_words": [1, 1, 1], "outlinks": [3, 1, 1], "external_outlinks": [0, 0, 0],
        "affiliate_outlinks": [0, 0, 0], "editorial_links": [1, 1, 1], "internal_editorial_links": [1, 1, 1],
        "unique_inlinks": [0, 0, 0],
        "redirect_target": ["https://localhost/moved-here", "", ""], "error": ["", "", ""], "noindex": [False] * 3,
    }).astype({"status": "Int64", "depth": "Int64", "unique_inlinks": "Int64"})
    links = pd.DataFrame({"page": ["https://localhost/"], "url": ["http://localhost/x"], "kind": ["internal"],
                          "position": ["content"], "anchor": ["x"], "anchor_source": ["text"], "rel": [""],
                          "result": ["ok"], "status": [200], "final_url": ["http://localhost/x"], "error": [""],
                          "href": ["http://localhost/x"]})
    _, found = page_flags(pages, Config())
    orphans = pd.concat(found)
    assert list(orphans[orphans.issue == "page no other page links to"].page) == ["https://localhost/orphan"]
    found = pd.concat(link_issues(links, pd.DataFrame({"url": [], "redirects": [], "error": []}), Config()))
    assert list(found.issue) == ["link to an insecure address"]


def test_links_sheet_past_its_limit_keeps_the_links_to_act_on(flagged, tmp_path):
    _, folder = flagged
    report = build_report(folder, Config(links_sheet_rows=12))
    everything = build_report(folder).links
    notable = everything[everything["result"].isin(["broken", "redirect"]) | (everything["kind"] == "affiliate")]
    assert len(everything) > 12 and 0 < len(notable) < 12
    assert len(report.links) == 12
    # the links to act on are all there, the rest fill up in table order, and the order stays the table's
    assert set(notable.index) <= set(report.links.index)
    assert list(report.links.index) == sorted(report.links.index)
    others = everything.drop(notable.index)
    assert list(report.links.drop(notable.index).index) == list(others.index[:12 - len(notable)])
    book = load_workbook(write_workbook(report, tmp_path / "capped.xlsx"))
    assert book["Links"].max_row - 1 == 12
    summary = {str(row[1]): row[2] for row in book["Summary"].iter_rows(values_only=True) if row[1]}
    assert summary["the Links sheet shows"].startswith(f"12 of {len(everything)} links: those to act on first")
    assert summary["links"] == len(everything)


def _as_parquet(folder, dest, part_rows: int):
    """A copy of a CSV run folder with its tables as Parquet part folders of ``part_rows`` rows."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from linkcrawler.tables import read_table

    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("*.csv"))
    for name in ("pages", "links", "targets"):
        frame = read_table(folder, name)
        (dest / f"{name}.parquet").mkdir()
        for i, start in enumerate(range(0, len(frame), part_rows)):
            table = pa.Table.from_pandas(frame.iloc[start:start + part_rows], preserve_index=False)
            pq.write_table(table, dest / f"{name}.parquet" / f"part-{i:05d}.parquet")
    return dest


@pytest.mark.parametrize("sheet_rows", [0, 12])
def test_report_read_in_chunks_equals_the_report_read_whole(flagged, tmp_path, sheet_rows):
    # the links table is read a chunk at a time (memory flat in link rows); chunk boundaries must change nothing,
    # also where they cut a page's links in two (chunks of 5 rows here; pages have up to 36 links)
    _, folder = flagged
    config = Config(links_sheet_rows=sheet_rows)
    whole = build_report(folder, config, chunk_rows=10**9)
    parquet = _as_parquet(folder, tmp_path / "parquet", part_rows=17)
    for chunked in (build_report(folder, config, chunk_rows=5), build_report(parquet, config, chunk_rows=5)):
        for name in ("pages", "issues", "links", "affiliate", "anchors", "outbound"):
            pd.testing.assert_frame_equal(getattr(chunked, name), getattr(whole, name), check_dtype=False,
                                          obj=name)
        assert chunked.counts == whole.counts
    assert len(whole.anchors) and (whole.anchors["pages"] > 1).any() and (whole.anchors["links"] > 5).any()
    assert whole.counts["links"] > 5 * 12


def test_anchor_pages_counted_once_when_chunks_cut_a_page():
    from linkcrawler.report import Anchors
    from linkcrawler.tables import whole_pages

    rows = [("p1", "u", "more")] * 7 + [("p2", "u", "more")] * 4 + [("p2", "v", "v")] + [("p3", "u", "more")]
    links = pd.DataFrame(rows, columns=["page", "url", "anchor"]).assign(kind="internal")
    anchors = Anchors()
    chunks = list(whole_pages(links.iloc[i:i + 3] for i in range(0, len(links), 3)))
    for chunk in chunks:
        anchors.add(chunk)
    assert [set(c["page"]) for c in chunks] == [{"p1"}, {"p2"}, {"p3"}]
    table = anchors.table().set_index(["url", "anchor"])
    assert table.loc[("u", "more"), ["links", "pages"]].tolist() == [12, 3]
    assert table.loc[("v", "v"), ["links", "pages", "share", "anchors_for_url"]].tolist() == [1, 1, 1.0, 1]


def test_to_do_numbers_do_not_depend_on_the_order_the_pages_were_crawled():
    """Several workers (or another week) store pages in another order: rows tied on score keep their numbers,
    and each row shows its finding on the most linked-to page."""
    from linkcrawler import todo
    from linkcrawler.report import GROUPS, TO_DO

    site = "http://127.0.0.1:8000"
    rows = []
    for page in ("/a", "/b", "/c", "/d"):  # the same problems on pages of equal weight: ties everywhere
        rows.append({"issue": "thin page", "severity": "warning", "page": site + page, "url": "", "anchor": "",
                     "detail": "9 words of article text (fewer than 50)"})
        for target in ("/gone-1", "/gone-2"):
            rows.append({"issue": "broken link to a page of the site", "severity": "error", "page": site + page,
                         "url": site + target, "anchor": f"to {target} from {page}", "detail": "answers 404"})
    issues = pd.DataFrame(rows).assign(position="content", place="/html/body/main/p/a", template=False,
                                       link_path="/html/body/main/p/a", open=lambda f: f["page"])
    facts = pd.DataFrame({"title": ["A", "B", "C", "D"], "unique_inlinks": [1, 1, 5, 1]},
                         index=[site + p for p in ("/a", "/b", "/c", "/d")])
    first, numbers = todo.build(issues, GROUPS, TO_DO, facts)
    for seed in range(5):
        shuffled = issues.sample(frac=1, random_state=seed)
        again, again_numbers = todo.build(shuffled, GROUPS, TO_DO, facts)
        pd.testing.assert_frame_equal(again, first)
        pd.testing.assert_series_equal(again_numbers.sort_index(), numbers.sort_index())
    # the most linked-to page (/c) opens each broken-link row and comes first among the tied thin pages
    assert set(first.loc[first["issue"] == "broken link to a page of the site", "open"]) == {site + "/c"}
    assert first.loc[first["issue"] == "thin page", "where"].iloc[0] == site + "/c"
