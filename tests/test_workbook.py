"""The editors' workbook read back with openpyxl, on crawls of the fixture blog (tests/blogsite.py): the To do
sheet's grouped rows and their drill-down to the Issues sheet, plain words, links that open the page at the link,
the charts and their data, meta-refresh pages as redirects, and what changed after a post was deleted."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from lxml import etree
from openpyxl import load_workbook

from linkcrawler.demo.server import Route, Server
from linkcrawler.fragment import term, text_fragment
from linkcrawler.report import ISSUES, percent_above
from linkcrawler.tables import read_table
from linkcrawler.workbook import HEADERS
from tests.blogsite import (
    BY_NUMBER,
    DELETABLE,
    EXTRA_LINK,
    GO_SEEDS,
    LINKS_TO_MOVED,
    MOVED_FROM,
    MOVED_TO,
    OUTSIDE_PATHS,
    build_blog,
)
from tests.conftest import _free_port, run_crawl

EDITOR_SHEETS = ("Summary", "To do", "Changes", "Change details", "Issues", "Pages", "Links", "Affiliate",
                 "Outbound", "Anchors", "Glossary")
JARGON = ("anchor", "inlink", "orphan", "dead end", "outlink", "_")


def rows_of(book, name: str) -> list[dict]:
    """A table sheet as dicts by header, each with ``_cells``: the row's openpyxl cells by header."""
    sheet = book[name]
    rows = list(sheet.iter_rows())
    headers = [c.value for c in rows[0]]
    found = []
    for row in rows[1:]:
        values = {h: c.value for h, c in zip(headers, row, strict=False)}
        values["_cells"] = dict(zip(headers, row, strict=False))
        found.append(values)
    return found


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def book(blog_run: Path):
    return load_workbook(blog_run / "report.xlsx")


@pytest.fixture(scope="module")
def copies(blog_run: Path) -> set[str]:
    pages = read_table(blog_run, "pages")
    return set(pages.loc[pages["canonical_of"].fillna("") != "", "url"])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):
    """The blog crawled twice on the same address: as built, then with post DELETABLE deleted (404, the links to
    it left in place) and a link added to the text of EXTRA_LINK[0]. ``(first run folder, second run folder,
    second crawl's result)``."""
    exports = tmp_path_factory.mktemp("history-exports")
    before, after = tmp_path_factory.mktemp("blog-before"), tmp_path_factory.mktemp("blog-after")
    outside_routes = {f"/{path}": Route(200, b"<title>Elsewhere</title>") for path in OUTSIDE_PATHS}
    port = _free_port()
    with Server(before, outside_routes, host="127.0.0.2") as outside:
        with Server(before, build_blog(before, outside.url), port=port) as site:
            first = run_crawl(site.url, exports)
        assert first.returncode == 0, first.stderr[-3000:]
        routes = build_blog(after, outside.url, deleted=(DELETABLE,), extra_link=True)
        with Server(after, routes, port=port) as site:
            second = run_crawl(site.url, exports)
    folders = sorted(p for p in exports.glob("*/*") if p.is_dir())
    assert len(folders) == 2, folders
    return folders[0], folders[1], second


def test_sheets_in_the_order_an_editor_reads_them(book, history):
    assert book.sheetnames == ["Summary", "To do", "Issues", "Pages", "Links", "Affiliate", "Outbound", "Anchors",
                               "Glossary", "Settings"]
    compared = load_workbook(history[1] / "report.xlsx", read_only=True)
    assert compared.sheetnames == ["Summary", "To do", "Changes", "Change details", "Issues", "Pages", "Links",
                                   "Affiliate", "Outbound", "Anchors", "Glossary", "Settings"]


def test_every_finding_belongs_to_one_to_do_row_and_the_row_counts_them(book):
    todo, issues = rows_of(book, "To do"), rows_of(book, "Issues")
    numbers = [r["to do #"] for r in todo]
    assert numbers == list(range(1, len(todo) + 1))
    by_number = {r["to do #"]: r for r in todo}
    per_row = pd.Series([r["to do #"] for r in issues]).value_counts()
    assert set(per_row.index) == set(numbers)
    for number, count in per_row.items():
        row = by_number[number]
        assert row["findings"] == f"{count:,} finding{'' if count == 1 else 's'} →"
        found = [r for r in issues if r["to do #"] == number]
        assert {r["problem"] for r in found} == {row["problem"]}
        assert row["pages"] == len({r["page"] for r in found})
    scores = [r["priority score"] for r in todo]
    assert scores == sorted(scores, reverse=True)


def test_the_drill_down_link_opens_the_first_finding_of_the_row(book):
    issues = book["Issues"]
    for row in rows_of(book, "To do"):
        link = row["_cells"]["findings"].hyperlink
        assert link is not None and link.location, row["what is wrong"]
        sheet, cell = link.location.split("!")
        assert sheet == "'Issues'"
        target = issues[cell.replace("$", "")].row
        assert issues.cell(target, 1).value == row["to do #"]
        assert target == 2 or issues.cell(target - 1, 1).value != row["to do #"]


def test_a_theme_link_is_one_row_for_all_its_pages(book, blog_run, copies):
    """The footer widget's "Read more" on every page: one to-do row, "once, in the theme", its pages counted
    (copies that name another page canonical left out)."""
    links = read_table(blog_run, "links")
    footer = links[(links["anchor"] == "Read more") & (links["position"] == "footer") & ~links["page"].isin(copies)]
    rows = [r for r in rows_of(book, "To do") if r["problem"] == "link text that says nothing"]
    assert len(rows) == 1
    row = rows[0]
    assert row["what is wrong"] == f"the footer link 'Read more' is on {footer['page'].nunique()} pages"
    assert row["what to do"] == "write a link text that says where it leads, once, in the theme"
    assert row["pages"] == row["links"] == footer["page"].nunique()
    assert row["where"] == f"{footer['page'].nunique()} pages (footer)"


def test_a_redirecting_target_is_one_row_with_its_links_and_pages(book, blog_run):
    """The moved post's meta-refresh stub: one "link to a redirect" row for the three posts linking to it."""
    rows = [r for r in rows_of(book, "To do") if r["problem"] == "link to a redirect"]
    assert len(rows) == 1
    assert rows[0]["what is wrong"] == (f"{MOVED_FROM} (redirects to {MOVED_TO}): {len(LINKS_TO_MOVED)} links on "
                                        f"{len(LINKS_TO_MOVED)} pages")
    assert rows[0]["where"] == f"{len(LINKS_TO_MOVED)} pages"
    found = [r for r in rows_of(book, "Issues") if r["to do #"] == rows[0]["to do #"]]
    assert {path_of(r["page"]) for r in found} == {BY_NUMBER[n].path for n in LINKS_TO_MOVED}


def test_page_rows_name_the_page_by_title(book):
    rows = {r["problem"]: r for r in rows_of(book, "To do") if r["problem"] == "thin page"}
    thin = rows["thin page"]
    assert thin["page title"].startswith("Back soon")
    assert thin["where"].endswith(BY_NUMBER[13].path)
    assert thin["where"] == thin["_cells"]["where"].hyperlink.target


def test_issue_rows_carry_the_page_title_and_a_link_that_opens_the_page_at_the_link(book, blog_site):
    folder, _, _ = blog_site
    checked = 0
    for row in rows_of(book, "Issues"):
        assert row["page title"], row
        opener = row["open the page at the link"]
        link = row["_cells"]["open the page at the link"].hyperlink  # the part after "#" is the link's location
        assert link.target + (f"#{link.location}" if link.location else "") == opener
        if not row["link text"]:
            assert opener == row["page"]
            continue
        assert opener.startswith(row["page"] + "#:~:text=")
        text = " ".join(etree.HTML((folder / urlsplit(row["page"]).path.strip("/") / "index.html").read_bytes())
                        .xpath("string(//body)").split())
        assert fragment_matches(opener.split("#:~:text=", 1)[1], text), (opener, row["link text"])
        checked += 1
    assert checked > 20


def fragment_matches(directive: str, text: str) -> bool:
    """Whether a text directive ``[prefix-,]start[,end][,-suffix]`` matches ``text`` (words separated by single
    spaces), its terms read per the spec: split on commas, then percent-decoded."""
    terms = directive.split(",")
    prefix = unquote(terms.pop(0)[:-1]) if terms[0].endswith("-") else ""
    suffix = unquote(terms.pop()[1:]) if terms[-1].startswith("-") else ""
    start, end = unquote(terms[0]), unquote(terms[1]) if len(terms) > 1 else ""
    pattern = (re.escape(prefix) + r"\s*" if prefix else "") + re.escape(start)
    if end:
        pattern += r".*?" + re.escape(end)
    if suffix:
        pattern += r"\s*" + re.escape(suffix)
    return re.search(pattern, text) is not None


@pytest.mark.parametrize(("anchor", "before", "after", "context", "expected"), [
    ("Gooseberry sawfly, again", "", "", False, "Gooseberry%20sawfly%2C%20again"),
    ("salt & pepper - a how-to", "", "", False, "salt%20%26%20pepper%20%2D%20a%20how%2Dto"),
    ("Read more", "so the text widget says", "Privacy - policy", True, "text%20widget%20says-,Read%20more,"
                                                                        "-Privacy%20%2D%20policy"),
    ("one two three four five six seven eight nine ten", "", "", False, "one%20two%20three%20four,"
                                                                        "seven%20eight%20nine%20ten"),
    ("a link text cut at the limit…", "", "", False, "a%20link%20text%20cut%20at%20the%20limit"),
    ("Ünïcode  and\nspaces", "", "", False, "%C3%9Cn%C3%AFcode%20and%20spaces"),
])
def test_text_fragments_are_percent_encoded_with_their_syntax_escaped(anchor, before, after, context, expected):
    assert text_fragment("https://localhost/p/#top", anchor, before, after, context) == (
        f"https://localhost/p/#:~:text={expected}")


def test_a_link_without_text_opens_the_page_itself():
    assert text_fragment("https://localhost/p/", "", "before", "after", True) == "https://localhost/p/"
    assert term("a-b,c&d") == "a%2Db%2Cc%26d"


def test_headers_are_plain_words_and_setting_names_stay_on_the_settings_sheet(book, history):
    compared = load_workbook(history[1] / "report.xlsx", read_only=True)
    for workbook in (book, compared):
        for name in workbook.sheetnames:
            cells = [c for row in workbook[name].iter_rows(values_only=True) for c in row if isinstance(c, str)]
            if name == "Settings":
                assert any(c.startswith("LINKCRAWLER_") for c in cells)
                continue
            assert not [c for c in cells if "LINKCRAWLER_" in c], name
            if name in ("Summary", "Glossary"):
                continue
            headers = next(workbook[name].iter_rows(max_row=1, values_only=True))
            assert all(h and not any(j in h.lower() for j in JARGON) for h in headers), (name, headers)
    issues = next(book["Issues"].iter_rows(max_row=1, values_only=True))
    assert issues == ("to do #", "severity", "problem", "page title", "page", "link goes to", "link text", "details",
                      "where on the page", "in the article text", "repeated by the theme",
                      "pages with the same link", "open the page at the link", "XPath (for developers)")
    for name in ISSUES:
        assert not any(j in name for j in JARGON[:-1]), name


def test_the_glossary_names_each_header_and_its_column(book):
    rows = list(book["Glossary"].iter_rows(values_only=True))
    terms = {r[0] for r in rows if r[0]}
    assert {"nofollow", "sponsored", "redirect", "canonical", "article text", "repeated by the theme"} <= terms
    pairs = {(r[0], r[1]) for r in rows}
    assert {(header, column) for column, header in HEADERS.items()} <= pairs


def test_booleans_dates_and_shares_are_written_one_way(book):
    for sheet, column in (("Pages", "in the sitemap"), ("Links", "in the article text"),
                          ("Links", "repeated by the theme"),
                          ("Affiliate", "marked sponsored or nofollow"), ("Issues", "in the article text")):
        values = {r[column] for r in rows_of(book, sheet)}
        assert values and values <= {"yes", "no", None}, (sheet, column, values)
        assert "yes" in values or "no" in values
    checked = [r["_cells"]["checked on (UTC)"] for r in rows_of(book, "Outbound") if r["checked on (UTC)"]]
    assert checked and all(c.is_date for c in checked)
    shares = [r["_cells"]["share of the links to it"] for r in rows_of(book, "Anchors")]
    assert shares and all(c.number_format == "0%" and 0 < c.value <= 1 for c in shares)
    dense = [r["_cells"]["share of the text in links"] for r in rows_of(book, "Pages")
             if r["share of the text in links"] is not None]
    assert dense and all(c.number_format == "0%" for c in dense)


def test_the_link_density_limit_is_compared_on_the_real_value():
    """10.04 % of the words in links is above a 10 % limit, and says so; exactly 10 % is not above it."""
    shown = percent_above(pd.Series([0.1004, 0.125, 0.11, 0.287]), 0.10)
    assert shown.tolist() == ["10.04%", "12.5%", "11%", "28.7%"]
    from linkcrawler.config import Config
    from linkcrawler.report import page_flags

    pages = pd.DataFrame({
        "url": ["https://localhost/a", "https://localhost/b"], "status": [200, 200], "content_type": "text/html",
        "redirect_target": None, "words": [2500, 1000], "editorial_links": [20, 10],
        "editorial_link_words": [251, 100], "internal_editorial_links": [3, 3], "outlinks": [30, 30],
        "external_outlinks": 0, "affiliate_outlinks": 0, "depth": 1, "unique_inlinks": 3, "in_sitemap": True,
        "noindex": False, "error": None}).astype({"words": "Int64"})
    flagged, found = page_flags(pages, Config())
    assert flagged["flags"].tolist() == ["too much of the text is links", ""]
    assert found[0]["detail"].tolist() == ["10.04% of the text is links (more than 10%)"]


def chart_specs(xlsx: Path) -> list[dict]:
    """Each chart of a workbook: its title and, per series, the ranges of its categories and values."""
    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
          "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    specs = []
    with zipfile.ZipFile(xlsx) as archive:
        for name in sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart")):
            root = etree.fromstring(archive.read(name))
            title = "".join(root.xpath("//c:title//a:t/text()", namespaces=ns))
            series = [(s.xpath("string(c:cat//c:f)", namespaces=ns), s.xpath("string(c:val//c:f)", namespaces=ns))
                      for s in root.xpath("//c:ser", namespaces=ns)]
            step = root.xpath("string(//c:valAx/c:majorUnit/@val)", namespaces=ns)
            specs.append({"title": title, "series": series, "step": float(step) if step else None})
    return specs


def cells(book, reference: str) -> list:
    sheet, cells_range = reference.split("!")
    return [c.value for row in book[sheet.strip("'")][cells_range.replace("$", "")] for c in row]


def test_charts_draw_what_the_tables_say_without_empty_categories(book, blog_run, copies):
    charts = chart_specs(blog_run / "report.xlsx")
    specs = {s["title"]: s["series"] for s in charts}
    assert set(specs) == {"Pages with most problems", "Links by where they are on the page",
                          "Pages by clicks from the home page"}  # one run: no history yet
    steps = {s["title"]: s["step"] for s in charts}
    for title, series in specs.items():
        categories = cells(book, series[0][0])
        assert categories and all(categories), title
        totals = [sum(values) for values in zip(*(cells(book, v) for _, v in series), strict=True)]
        assert all(t > 0 for t in totals), (title, categories, totals)
        # counts on a short axis go up one by one (no 0.5 pages); a long axis keeps Excel's own steps
        assert steps[title] == (1 if max(totals) <= 10 else None), (title, totals)  # the charts stack their series
    pages = read_table(blog_run, "pages")
    html = pages[pages["words"].notna() & pages["depth"].notna() & ~pages["url"].isin(copies)]
    depth = specs["Pages by clicks from the home page"][0]
    assert cells(book, depth[1]) == html["depth"].value_counts().sort_index().tolist()
    assert cells(book, depth[0])[:2] == ["home page", "1 click"]
    links = read_table(blog_run, "links")
    where = specs["Links by where they are on the page"]
    positions = cells(book, where[0][0])
    assert set(positions) == set(links["position"])
    editorial = dict(zip(positions, cells(book, where[0][1]), strict=True))
    assert editorial == links[links["editorial"].fillna(False)].groupby("position").size().reindex(
        positions, fill_value=0).to_dict()


def test_findings_over_the_runs_are_charted_from_the_second_run(history):
    first, second, _ = history
    specs = {s["title"]: s["series"] for s in chart_specs(second / "report.xlsx")}
    series = specs["Errors and warnings, run by run"]
    book = load_workbook(second / "report.xlsx")
    assert len(cells(book, series[0][0])) == 2
    for (_, values), severity in zip(series, ("error", "warning"), strict=True):
        expected = [int((pd.read_csv(run / "issues.csv")["severity"] == severity).sum()) for run in (first, second)]
        assert cells(book, values) == expected


def test_meta_refresh_pages_are_redirects_without_links_or_findings(blog_run, book, blog_site):
    _, server, outside = blog_site
    pages = read_table(blog_run, "pages").set_index("url")
    stub, moved = server.url.rstrip("/") + GO_SEEDS, server.url.rstrip("/") + MOVED_FROM
    assert pages.at[stub, "redirect_target"] == f"{outside.url}seeds"
    assert pages.at[moved, "redirect_target"] == server.url.rstrip("/") + MOVED_TO
    links = read_table(blog_run, "links")
    assert not links["page"].isin([stub, moved]).any()
    issues = rows_of(book, "Issues")
    assert not [r for r in issues if r["page"] in (stub, moved)]
    affiliate = [r for r in issues if r["problem"] == "affiliate link not marked sponsored"]
    assert {path_of(r["link goes to"]) for r in affiliate} == {"/go/hose", GO_SEEDS}
    assert {path_of(r["page"]) for r in affiliate} == {BY_NUMBER[18].path}


def test_share_print_and_reply_buttons_with_nofollow_are_no_finding(book):
    """Themes put nofollow on links to the page's own actions (?share=x, ?replytocom=3#respond) on purpose."""
    assert not [r for r in rows_of(book, "Issues") if r["problem"] == "link to the site marked nofollow"]


def test_listing_pages_without_article_text_are_not_thin(book):
    thin = {path_of(r["page"]) for r in rows_of(book, "Issues") if r["problem"] == "thin page"}
    assert thin == {BY_NUMBER[13].path}


def test_the_first_printed_page_of_the_summary_is_what_to_fix_first(book):
    summary = book["Summary"]
    texts = [(c.row, c.value) for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    fix_first = next(r for r, v in texts if v == "Fix first")
    todo = rows_of(book, "To do")
    first_what = next(r for r, v in texts if v == todo[0]["what is wrong"])
    breaks = [b.id for b in summary.row_breaks.brk]
    assert breaks and fix_first < first_what < breaks[0]
    assert summary.page_setup.orientation == "landscape" and summary.sheet_properties.pageSetUpPr.fitToPage
    assert book["Issues"].print_area and book["To do"].print_title_rows == "$1:$1"


def test_deleting_a_post_is_one_line_of_news_and_its_own_findings_are_not_fixed(history):
    first, second, result = history
    book = load_workbook(second / "report.xlsx")
    news = rows_of(book, "Changes")
    details = rows_of(book, "Change details")
    deleted = BY_NUMBER[DELETABLE].path
    issues = pd.DataFrame([{k: v for k, v in r.items() if k != "_cells"} for r in rows_of(book, "Issues")])
    broken = issues[(issues["problem"] == "broken link to a page of the site")
                    & issues["link goes to"].str.endswith(deleted)]
    assert len(broken) > 30
    lines = [r["what changed"] for r in news if deleted in r["what changed"]]
    assert lines == [f"page {deleted} removed (answers 404): {len(broken)} links on {broken['page'].nunique()} "
                     "pages now broken"]
    removed_line = next(r for r in news if r["what changed"] == lines[0])
    assert (removed_line["links"], removed_line["pages"]) == (len(broken), broken["page"].nunique())
    assert not [r for r in details if r["change"] == "fixed" and r["page"].endswith(deleted)]
    added = [r for r in news if r["change"] == "added"]
    assert [r["what changed"] for r in added] == [f"1 link added on 1 page: {EXTRA_LINK[0]}"]
    assert not [r for r in news if r["change"] == "removed" and r["what changed"].startswith(("fewer", "1 ", "2 "))]
    # every change row belongs to one news line, and the news lines count them
    assert {r["news #"] for r in details} == {r["#"] for r in news}
    summary = (second / "summary.md").read_text()
    for r in news:
        assert f"- {md_text(r['what changed'])}" in summary
    counts = re.search(r"(\d+) new findings?, (\d+) fixed, (\d+) pages? added, (\d+) pages? removed, (\d+) links? "
                       r"added, (\d+) links? removed", summary).groups()
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "_cells"} for r in details])
    expected = [int((table["change"] == "new").sum()), int((table["change"] == "fixed").sum())] + [
        int(((table["change"] == c) & (table["about"] == w)).sum())
        for c, w in (("added", "page"), ("removed", "page"), ("added", "link"), ("removed", "link"))]
    assert list(map(int, counts)) == expected
    assert result.returncode == 0


def md_text(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>!|#])", r"\\\1", text)
