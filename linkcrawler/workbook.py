"""The editors' workbook: a :class:`~linkcrawler.report.Report` → ``report.xlsx``.

Sheets, in the order an editor reads them: **Summary** (what to fix first, the findings, what changed, charts),
**To do** (one row per thing to fix, most important first), **Changes** (since the last run, as news, and each
change on **Change details**), **Issues** (one row per finding, each with its to-do number), **Pages**, **Links**,
**Affiliate**, **Outbound**, **Anchors**, **Glossary** (the few terms that must stay, and each header's column in
the tables) and **Settings** (thresholds with their setting names, for the SEO specialist). Headers are plain
words (:data:`HEADERS`); the tables keep the column names.

Written with XlsxWriter in ``constant_memory`` mode (rows go to disk as they are written, each row whole and in
order). Every cell is written by type: numbers as numbers, shares as percentages, dates as dates, true/false as
yes/no, text with ``write_string`` (so text that starts with ``=``, ``+``, ``-`` or ``@`` is never a formula), and
the link columns as hyperlinks while the sheet is under Excel's 65,530-link limit. Control characters Excel
forbids are removed and cells over 32,767 characters are cut with a visible marker.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from linkcrawler.config import Config
from linkcrawler.health import REPORT_SETTINGS, settings_differences, shown
from linkcrawler.history import (
    compare,
    new_errors,
    news,
    previous_run,
    read_issues,
    refusal,
    run_line,
    site_history,
    summary_markdown,
    when,
    with_settings,
)
from linkcrawler.report import ISSUES, SEVERITIES, Report, build_report, rule_words
from linkcrawler.runfolder import read_meta, run_state
from linkcrawler.todo import counted

logger = logging.getLogger(__name__)

EXCEL_ROWS = 1_048_576
MAX_CELL = 32_767
MAX_URL = 2_079
MAX_LINKS_PER_SHEET = 65_530
CUT_MARKER = "… [cut]"
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SEVERITY_COLOURS = {"error": "#F8CBAD", "warning": "#FFE699", "notice": "#DDEBF7"}
CHART_COLOURS = {"error": "#C00000", "warning": "#ED7D31", "notice": "#5B9BD5"}

# the header an editor reads for each table column; the Glossary lists both
HEADERS = {
    "todo": "to do #", "severity": "severity", "issue": "problem", "page": "page", "title": "page title",
    "url": "link goes to", "anchor": "link text", "detail": "details", "position": "where on the page",
    "editorial": "in the article text", "template": "repeated by the theme",
    "sitewide_pages": "pages with the same link", "open": "open the page at the link",
    "link_path": "XPath (for developers)", "kind": "link type", "rel": "rel", "follow": "followed by search engines",
    "status": "answer (HTTP status)", "result": "result", "final_url": "ends at", "what": "what is wrong",
    "do": "what to do", "where": "where", "pages": "pages", "links": "links", "findings": "findings",
    "score": "priority score", "depth": "clicks from the home page", "words": "words of article text",
    "flags": "problems", "outlinks": "links on the page", "editorial_links": "links in the article text",
    "internal_editorial_links": "links to the site in the article text",
    "template_links": "links repeated by the theme", "links_per_100_words": "links per 100 words of text",
    "link_text_share": "share of the text in links", "internal_outlinks": "links to this site",
    "external_outlinks": "links to other sites", "affiliate_outlinks": "affiliate links",
    "nofollow_outlinks": "nofollow links", "unique_inlinks": "pages linking here", "inlinks": "links to it",
    "in_sitemap": "in the sitemap", "canonical_of": "copy of (canonical)", "redirect_target": "redirects to",
    "error": "error", "qualified": "marked sponsored or nofollow", "affiliate_rule": "affiliate rule that matched",
    "final_status": "final answer", "redirects": "redirects", "checked_at": "checked on (UTC)",
    "share": "share of the links to it", "anchors_for_url": "different link texts to it", "news": "#",
    "change": "change",
}
# per sheet, where a column means something else there
SHEET_HEADERS = {
    "Pages": {"url": "page", "status": "answer (HTTP status)", "inlinks": "links to this page"},
    "Outbound": {"url": "address", "pages": "pages"},
    "Anchors": {"url": "address", "links": "links with this text", "pages": "pages with this text"},
    "Changes": {"what": "what changed", "pages": "pages", "links": "links"},
    "Change details": {"what": "about", "issue": "problem", "news": "news #"},
    "To do": {"links": "links", "open": "open the page"},
}
BOOL_COLUMNS = {"editorial", "template", "in_sitemap", "qualified", "follow", "noindex"}
PERCENT_COLUMNS = {"share", "link_text_share"}
DATE_COLUMNS = {"checked_at"}


def clean_cell(text: str) -> str:
    """Text Excel accepts: forbidden control characters removed, cut to 32,767 characters with a marker."""
    text = _FORBIDDEN.sub("", text)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - len(CUT_MARKER)] + CUT_MARKER
    return text


def sheet_name(title: str, n: int) -> str:
    """The name of the ``n``-th sheet (from 0) of a table continued past Excel's row limit."""
    return title if n == 0 else f"{title} ({n + 1})"


@dataclass
class Table:
    """A table to write on one sheet (more past the row limit): ``links`` are the columns written as hyperlinks
    to their own URL, ``internal`` maps a column to each row's link target inside the workbook (``'To do'!A5``),
    ``print_columns`` the columns a printout shows (the first N)."""

    title: str
    frame: pd.DataFrame
    widths: dict[str, int] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    internal: dict[str, pd.Series] = field(default_factory=dict)
    print_columns: int = 0
    wrap: tuple[str, ...] = ()  # columns whose text wraps, rows as tall as it needs (short sheets only)


class SheetWriter:
    """Writes tables onto sheets (continuing past Excel's row limit) with plain headers, filter, frozen header,
    widths and print setup."""

    def __init__(self, book: xlsxwriter.Workbook, formats: dict[str, Any], rows_per_sheet: int) -> None:
        self.book = book
        self.formats = formats
        self.rows_per_sheet = rows_per_sheet

    def write(self, table: Table) -> list[str]:
        """Write ``table``; return the names of its sheets."""
        frame, columns = table.frame, list(table.frame.columns)
        names = []
        for n in range(max(1, math.ceil(len(frame) / self.rows_per_sheet))):
            name = sheet_name(table.title, n)
            part = frame.iloc[n * self.rows_per_sheet:(n + 1) * self.rows_per_sheet]
            sheet = self.book.add_worksheet(name)
            headers = [SHEET_HEADERS.get(table.title, {}).get(c) or HEADERS.get(c, c) for c in columns]
            widths = self._layout(sheet, columns, headers, part, table)
            internal = {columns.index(c): s.iloc[n * self.rows_per_sheet:(n + 1) * self.rows_per_sheet].tolist()
                        for c, s in table.internal.items()}
            self._rows(sheet, columns, part, table, internal, widths)
            names.append(name)
        return names

    def _layout(self, sheet: Worksheet, columns: list[str], headers: list[str], part: pd.DataFrame,
                table: Table) -> list[int]:
        sample = part.head(500)
        widths = []
        for i, (column, header) in enumerate(zip(columns, headers, strict=True)):
            if column in table.widths:
                width = table.widths[column]
            else:
                lengths = sample[column].astype("string").fillna("").str.len() if len(sample) else pd.Series([0])
                longest_word = max(len(w) for w in header.split())
                width = int(min(50, max(longest_word + 2, min(len(header), 14) + 3,
                                        (lengths.quantile(0.9) if len(lengths) else 0) + 2)))
            sheet.set_column(i, i, width)
            widths.append(width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(1, len(part)), len(columns) - 1)
        printable(sheet)
        sheet.repeat_rows(0)
        if table.print_columns:
            sheet.print_area(0, 0, max(1, len(part)), min(table.print_columns, len(columns)) - 1)
        sheet.set_row(0, 32)
        for i, header in enumerate(headers):
            sheet.write_string(0, i, header, self.formats["header"])
        return widths

    def _rows(self, sheet: Worksheet, columns: list[str], part: pd.DataFrame, table: Table,
              internal: dict[int, list[str]], widths: list[int]) -> None:
        given = [_kind(c, part[c]) for c in columns]
        kinds = ["text" if kind == "yes/no" else kind for kind in given]
        links_left = [MAX_LINKS_PER_SHEET]
        write_string, write_number, write_url = sheet.write_string, sheet.write_number, sheet.write_url
        link_format, percent, date = self.formats["link"], self.formats["percent"], self.formats["date"]
        severity_formats = self.formats["severity"]
        wrap = {i: widths[i] for i, c in enumerate(columns) if c in table.wrap}
        wrap_format, plain, number = self.formats["wrap"], None, None
        if wrap:  # rows grow: every cell at the top
            severity_formats, link_format = self.formats["severity_wrap"], self.formats["link_wrap"]
            plain, number = self.formats["top"], self.formats["count_top"]

        def severity(r: int, c: int, value: str) -> None:
            write_string(r, c, value, severity_formats.get(value))

        def link(r: int, c: int, value: str) -> None:
            if (links_left[0] and len(value) <= MAX_URL and value.startswith(("http://", "https://"))
                    and write_url(r, c, value, link_format, value) == 0):
                links_left[0] -= 1
            else:
                write_string(r, c, value, plain)

        def inside(c: int) -> Callable[[int, int, Any], None]:
            targets = internal[c]

            def write(r: int, c: int, value: Any) -> None:
                if links_left[0] and targets[r - 1]:
                    write_url(r, c, f"internal:{targets[r - 1]}", link_format, str(value))
                    links_left[0] -= 1
                else:
                    write_string(r, c, str(value), plain)
            return write

        # one writer per column, chosen once: the loop below runs for every cell
        plan: list[tuple[int, Callable[..., Any], tuple]] = []
        for c, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
            if c in internal:
                plan.append((c, inside(c), ()))
            elif kind == "text" and column == "severity":
                plan.append((c, severity, ()))
            elif kind == "text" and column in table.links:
                plan.append((c, link, ()))
            elif kind == "text":
                plan.append((c, write_string, (wrap_format if c in wrap else plain,)))
            elif kind == "number":
                plan.append((c, write_number, (number,)))
            elif kind == "percent":
                plan.append((c, write_number, (percent,)))
            else:
                plan.append((c, sheet.write_datetime, (date,)))
        for r, values in enumerate(self._values(part, columns, given), start=1):
            if wrap:
                fit_row(sheet, r, [(values[i], width) for i, width in wrap.items()])
            for c, write, extra in plan:
                value = values[c]
                if value is not None and value != "":
                    write(r, c, value, *extra)

    @staticmethod
    def _values(part: pd.DataFrame, columns: list[str], kinds: list[str], block: int = 10_000) -> Iterator[tuple]:
        """The rows' cell values, converted a block of rows at a time: memory stays that of one block."""
        for start in range(0, len(part), block):
            rows = part.iloc[start:start + block]
            yield from zip(*(_python_values(rows[c], kind) for c, kind in zip(columns, kinds, strict=True)),
                           strict=True)


def fit_row(sheet: Worksheet, row: int, cells: Sequence[tuple[Any, int]]) -> None:
    """Make a row tall enough for its wrapped cells (``(text, column width)``): Excel and LibreOffice do not
    grow a row for wrapped text written by a program. Called before the row's cells are written."""
    lines = max((sum(max(1, math.ceil(len(part) * 1.1 / max(width - 1, 1))) for part in str(text).split("\n"))
                 for text, width in cells if text), default=1)
    if lines > 1:
        sheet.set_row(row, 15 * lines)


def _python_values(series: pd.Series, kind: str) -> list[Any]:
    """A column as Python values, None for missing; text cleaned for Excel in one vectorised pass."""
    if kind == "text":
        text = series.astype("string").str.replace(_FORBIDDEN.pattern, "", regex=True)
        long = text.str.len() > MAX_CELL
        if long.any():
            text[long] = text[long].str.slice(0, MAX_CELL - len(CUT_MARKER)) + CUT_MARKER
        series = text
    elif kind == "yes/no":
        series = yes_no(series)
        kind = "text"
    elif kind == "date":
        series = pd.to_datetime(series, errors="coerce", utc=True).dt.tz_localize(None)
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


_TRUE = {"true", "1", "1.0", "yes"}
_FALSE = {"false", "0", "0.0", "no"}


def yes_no(series: pd.Series) -> pd.Series:
    """True/false values, whatever their type in the table (bool, 1/0, "True"), as ``yes``/``no``."""
    text = series.astype("string").str.strip().str.lower()
    return pd.Series(pd.NA, index=series.index, dtype="string").mask(text.isin(_TRUE), "yes").mask(
        text.isin(_FALSE), "no")


def printable(sheet: Worksheet) -> None:
    """Landscape A4, one page wide, so that a printout or PDF of the sheet stays readable."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _kind(column: str, series: pd.Series) -> str:
    if column in BOOL_COLUMNS or pd.api.types.is_bool_dtype(series):
        return "yes/no"
    if column in PERCENT_COLUMNS:
        return "percent"
    if column in DATE_COLUMNS:
        return "date"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"


def _formats(book: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "header": book.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "text_wrap": True,
                                   "valign": "top"}),
        "link": book.add_format({"font_color": "#0563C1", "underline": 1}),
        "link_wrap": book.add_format({"font_color": "#0563C1", "underline": 1, "text_wrap": True, "valign": "top"}),
        "title": book.add_format({"bold": True, "font_size": 16}),
        "heading": book.add_format({"bold": True, "font_size": 12, "bottom": 1}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "delta": book.add_format({"num_format": "+#,##0;-#,##0;0", "align": "left"}),
        "count": book.add_format({"num_format": "#,##0", "align": "left"}),
        "percent": book.add_format({"num_format": "0%"}),
        "percent_left": book.add_format({"num_format": "0%", "align": "left", "valign": "top"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "status": {state: book.add_format({"bold": True, "font_size": 12, "font_color": colour})
                   for state, colour in (("ok", "#375623"), ("partial", "#9C5700"), ("failed", "#C00000"),
                                         ("unfinished", "#9C5700"))},
        "severity": {s: book.add_format({"bg_color": c}) for s, c in SEVERITY_COLOURS.items()},
        "severity_wrap": {s: book.add_format({"bg_color": c, "text_wrap": True, "valign": "top"})
                          for s, c in SEVERITY_COLOURS.items()},
        "top": book.add_format({"valign": "top"}),
        "count_top": book.add_format({"num_format": "#,##0", "align": "left", "valign": "top"}),
    }


def write_workbook(report: Report, path: Path | str, rows_per_sheet: int = EXCEL_ROWS - 1) -> Path:
    """Write the editors' workbook; ``rows_per_sheet`` is lowered only by tests of the sheet split."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    book = xlsxwriter.Workbook(str(tmp), {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    formats = _formats(book)
    writer = SheetWriter(book, formats, rows_per_sheet)
    summary = book.add_worksheet("Summary")
    sheets: dict[str, list[str]] = {}
    todo, issues = report.todo, report.issues
    first_finding = _first_rows(issues["todo"], "Issues", rows_per_sheet)
    sheets["To do"] = writer.write(_todo_table(todo, issues, first_finding))
    if report.news is not None and report.changes is not None:
        sheets["Changes"] = writer.write(Table("Changes", report.news, widths={"news": 5, "change": 9, "what": 90},
                                               print_columns=6, wrap=("what",)))
        details = report.changes.drop(columns=["cause"], errors="ignore")
        sheets["Change details"] = writer.write(Table(
            "Change details", details[["news", *[c for c in details.columns if c != "news"]]], links=("page",),
            widths={"news": 7, "change": 9, "what": 11, "severity": 9, "issue": 30, "page": 45, "url": 45,
                    "anchor": 25, "detail": 30}, print_columns=9))
    sheets["Issues"] = writer.write(Table(
        "Issues", issues, links=("open",),
        widths={"todo": 6, "severity": 9, "issue": 28, "page": 40, "title": 28, "url": 40, "anchor": 24,
                "detail": 34, "open": 40, "link_path": 40}, print_columns=8))
    sheets["Pages"] = writer.write(Table("Pages", report.pages, links=("url",),
                                         widths={"url": 45, "title": 32, "flags": 40}, print_columns=8))
    # the Links sheet is for filtering: its addresses stay text (hyperlinks would cost a third of its time)
    sheets["Links"] = writer.write(Table("Links", report.links,
                                         widths={"page": 40, "url": 45, "anchor": 30, "open": 40, "link_path": 40,
                                                 "final_url": 40}, print_columns=8))
    sheets["Affiliate"] = writer.write(Table("Affiliate", report.affiliate, links=("open",),
                                             widths={"page": 40, "url": 40, "anchor": 30, "open": 40},
                                             print_columns=7))
    sheets["Outbound"] = writer.write(Table("Outbound", report.outbound, links=("url",), widths={"url": 50},
                                            print_columns=8))
    sheets["Anchors"] = writer.write(Table("Anchors", report.anchors,
                                           widths={"url": 50, "anchor": 40}))
    _write_glossary(book.add_worksheet("Glossary"), formats, report.config.template_min_pages)
    _write_settings(book.add_worksheet("Settings"), formats, report)
    _write_summary(book, summary, formats, report, sheets)
    book.close()
    tmp.replace(path)
    return path


def _first_rows(numbers: pd.Series, title: str, rows_per_sheet: int) -> dict[int, str]:
    """For each number of a sheet's column sorted by it, where its first row is: ``'Issues'!A12``."""
    firsts = pd.Series(range(len(numbers)), index=numbers.index).groupby(numbers.to_numpy()).min()
    return {int(n): f"'{sheet_name(title, i // rows_per_sheet)}'!A{i % rows_per_sheet + 2}"
            for n, i in firsts.items() if not pd.isna(n)}


def _todo_table(todo: pd.DataFrame, issues: pd.DataFrame, first_finding: dict[int, str]) -> Table:
    """The To do sheet: each row's findings counted, and a link to the first of them on the Issues sheet."""
    counts = issues["todo"].value_counts()
    findings = todo["todo"].map(counts).fillna(0).astype(int)
    words = findings.map(lambda n: f"{n:,} finding{'' if n == 1 else 's'} →")
    frame = todo.assign(findings=words)[["todo", "severity", "issue", "what", "do", "title", "where", "pages",
                                         "links", "findings", "open", "score"]]
    return Table("To do", frame, links=("where", "open"),
                 internal={"findings": todo["todo"].map(first_finding).fillna("")},
                 widths={"todo": 6, "severity": 9, "issue": 26, "what": 50, "do": 40, "title": 28, "where": 34,
                         "pages": 8, "links": 8, "findings": 14, "open": 40, "score": 9},
                 print_columns=9, wrap=("issue", "what", "do", "title", "where"))


GLOSSARY = (
    ("article text", "the text written for this page: its main text, without the menus, sidebars and footer, and "
                     "without what the theme adds around it (share buttons, related posts, author box, tags)"),
    ("repeated by the theme", "a link the site's theme prints in the same place on many pages (at least "
                              "{template_min_pages}): fixing it once in the theme fixes every page"),
    ("link text", "the words of a link that a reader clicks (also called anchor text); for an image link, its alt "
                  "text"),
    ("nofollow", 'rel="nofollow" on a link: it asks search engines not to follow it or pass it any credit'),
    ("sponsored", 'rel="sponsored" on a link: it says the link is paid or earns money (affiliate links, ads); '
                  "search engines ask for it on such links"),
    ("ugc", 'rel="ugc" on a link: it was written by visitors (comments, forum posts)'),
    ("rel", "the link's attribute that holds nofollow, sponsored, ugc and similar words"),
    ("redirect", "an address that sends the browser on to another one (answers 301, 302, 307, 308, or a page "
                 "that refreshes to another); a link to it works but is slower: link to the final address"),
    ("answer (HTTP status)", "what the server said: 200 ok; 301/302/307/308 redirect; 404 not found and 410 gone "
                             "(broken); 401/403 refused; 429 too many requests; 500-599 the server failed"),
    ("affiliate link", "a link that earns the site money when readers buy (it goes to a partner, often through a "
                       "/go/ address on the site)"),
    ("canonical", "the address a page says is its main copy; a page that names another crawled page as canonical "
                  "is a copy, and its findings are that page's"),
    ("noindex", "a page that asks search engines not to show it in results"),
    ("sitemap", "the list of the site's pages the site gives search engines (sitemap.xml)"),
    ("link type", "internal: to a page of this site; external: to another site; affiliate: to a partner; invalid: "
                  "not a usable address; mailto, tel, javascript: e-mail, phone and script links"),
    ("result", "ok; broken (gone, fails, or cannot be reached); redirect; error (no usable answer: timeout, "
               "certificate…); unverified (the other site refused the checker as a robot); blocked (robots.txt or a "
               "private address); skipped or unchecked (not checked, by the settings)"),
    ("where on the page", "content (the page's own part), navigation (menus), header, footer, sidebar, "
                          "breadcrumb (the 'Home › Section › Page' trail) or comments"),
    ("pages linking here", "how many pages of the site link to the page (its inlinks); more means more important"),
    ("clicks from the home page", "the fewest clicks from the start page to reach the page"),
    ("open the page at the link", "the page's address with a text fragment (#:~:text=…): Chrome, Edge, Safari "
                                  "and recent Firefox open the page scrolled to the link, highlighted"),
    ("XPath", "where the link is in the page's HTML, for a developer"),
    ("priority score", "severity (error 100, warning 10, notice 1) × how important the pages are (1 + log2 of 1 + "
                       "the most pages linking to one of them) × how many pages the row touches (1 + log2 of them)"),
)


def _write_glossary(sheet: Worksheet, formats: dict[str, Any], template_min_pages: int) -> None:
    """The terms that must stay, in words; then each sheet header and its column name in the tables."""
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 100)
    printable(sheet)
    row = 0
    sheet.write_string(row, 0, "Glossary", formats["title"])
    row += 2
    for term, meaning in GLOSSARY:
        sheet.write_string(row, 0, term, formats["bold"])
        sheet.write_string(row, 1, meaning.format(template_min_pages=template_min_pages), formats["wrap"])
        row += 1
    row += 1
    sheet.write_string(row, 0, "header on the sheets", formats["header"])
    sheet.write_string(row, 1, "column in the run folder's tables (CSV/Parquet), for the SEO specialist",
                       formats["header"])
    row += 1
    pairs = {(header, column): "" for column, header in HEADERS.items()}
    for name, headers in SHEET_HEADERS.items():
        for column, header in headers.items():
            pairs[(header, column)] = pairs.get((header, column), f" (on the {name} sheet)")
    for (header, column), where in sorted(pairs.items()):
        sheet.write_string(row, 0, header)
        sheet.write_string(row, 1, column + where)
        row += 1


def _write_settings(sheet: Worksheet, formats: dict[str, Any], report: Report) -> None:
    """For the SEO specialist: the thresholds with their settings' names, and the run's settings."""
    config, meta = report.config, report.meta
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 2, 40)
    printable(sheet)
    row = 0
    sheet.write_string(row, 0, "Thresholds and settings", formats["title"])
    row += 2
    for i, header in enumerate(("threshold", "value", "setting")):
        sheet.write_string(row, i, header, formats["header"])
    row += 1
    for words, value, name in (
            ("too many links: more than", config.max_links, "LINKCRAWLER_MAX_LINKS"),
            ("too many links to other sites: more than", config.max_external_links,
             "LINKCRAWLER_MAX_EXTERNAL_LINKS"),
            ("too much of the text is links: more than", config.max_link_density, "LINKCRAWLER_MAX_LINK_DENSITY"),
            ("thin page: fewer words of article text than", config.min_content_words,
             "LINKCRAWLER_MIN_CONTENT_WORDS"),
            ("page many clicks from the home page: more than", config.max_click_depth, "LINKCRAWLER_MAX_CLICK_DEPTH"),
            ("link texts that say nothing", ", ".join(config.generic_anchors), "LINKCRAWLER_GENERIC_ANCHORS"),
            ("rows of the Links sheet (then those to act on first)", config.links_sheet_rows or "all",
             "LINKCRAWLER_LINKS_SHEET_ROWS")):
        fit_row(sheet, row, [(str(value), 40)])
        sheet.write_string(row, 0, words, formats["top"])
        if isinstance(value, float):
            sheet.write_number(row, 1, value, formats["percent_left"])
        elif isinstance(value, int):
            sheet.write_number(row, 1, value, formats["count_top"])
        else:
            sheet.write_string(row, 1, clean_cell(str(value)), formats["wrap"])
        sheet.write_string(row, 2, name, formats["top"])
        row += 1
    row += 1
    sheet.write_string(row, 0, "the crawl", formats["heading"])
    row += 1
    row = _pairs(sheet, row, [("started", when(meta.get("started_at", ""))),
                              ("ended", when(meta.get("finished_at", ""))),
                              ("how it ended (Scrapy's finish reason)", meta.get("finish_reason", "")),
                              ("run folder", str(report.folder))], formats)
    settings = meta.get("settings") or {}
    if settings:
        row += 1
        sheet.write_string(row, 0, "settings of the crawl", formats["heading"])
        row += 1
        row = _pairs(sheet, row, sorted((k, shown(v)) for k, v in settings.items()), formats)


def _pairs(sheet: Worksheet, row: int, pairs: Sequence[tuple[str, Any]], formats: dict[str, Any],
           column: int = 0, width: int = 40) -> int:
    for label, value in pairs:
        if isinstance(value, str):
            fit_row(sheet, row, [(value, width)])
        sheet.write_string(row, column, clean_cell(str(label)), formats["top"])
        if isinstance(value, bool) or value is None:
            sheet.write_string(row, column + 1, "" if value is None else ("yes" if value else "no"))
        elif isinstance(value, (int, float)):
            sheet.write_number(row, column + 1, value, formats["count"])
        else:
            sheet.write_string(row, column + 1, clean_cell(str(value)), formats["wrap"])
        row += 1
    return row


_SHEET_HELP = {
    "To do": "one row per thing to fix, most important first: what is wrong, what to do, where; its findings "
             "are on the Issues sheet",
    "Changes": "what changed since the last run, one line per cause",
    "Change details": "each change since the last run, with the line of the Changes sheet it belongs to",
    "Issues": "one row per finding, with the to-do row it belongs to; filter by problem or page",
    "Pages": "one row per page with its counts and problems",
    "Links": "every link (on a large site: those to act on first), with where it is and how its target answered",
    "Affiliate": "every affiliate link, and whether it is marked sponsored or nofollow",
    "Outbound": "every address on other sites the site links to, how it answered and how many pages link to it",
    "Anchors": "the link texts used for each address: one text used for many links stands out",
    "Glossary": "the words that must stay (nofollow, sponsored, redirect…), and each header's column in the tables",
    "Settings": "the thresholds with their settings' names, and the settings of the crawl",
}


_SEPARATORS = re.compile(r"\s+[–—|·:-]\s+")


def site_suffix(titles: pd.Series) -> str:
    """The site's name as most page titles end with it (``Post – Site``), or '' when no ending is that common."""
    ends = titles.dropna().astype(str).map(lambda t: _SEPARATORS.split(t)[-1] if _SEPARATORS.search(t) else "")
    ends = ends[ends != ""]
    if len(ends) < 3:
        return ""
    common, n = ends.value_counts().index[0], ends.value_counts().iloc[0]
    return common if n >= 0.5 * titles.notna().sum() else ""


def short_title(url: str, title: Any, suffix: str = "", most: int = 45) -> str:
    """A page as a chart or the Summary names it: its title without the site's name, else its path."""
    name = " ".join(str(title).split()) if isinstance(title, str) else ""
    if suffix and name.endswith(suffix):
        name = _SEPARATORS.sub(" – ", name[: -len(suffix)]).rstrip(" –—|·:-")
    name = name or urlsplit(url).path or url
    return name if len(name) <= most else name[: most - 1] + "…"


def _depth_label(depth: int) -> str:
    return "home page" if depth == 0 else f"{depth} click{'' if depth == 1 else 's'}"


def _write_summary(book: xlsxwriter.Workbook, sheet: Worksheet, formats: dict[str, Any], report: Report,
                   sheets: dict[str, list[str]]) -> None:
    """Page 1: status, what to fix first, findings by severity, what changed. Page 2: charts. Then the findings
    by problem in words, the crawl in numbers, the sheets, and the numbers behind the charts.
    constant_memory: each row is written whole, in order."""
    widths = (7, 30, 40, 48, 40, 8)
    for i, width in enumerate(widths):
        sheet.set_column(i, i, width)
    printable(sheet)
    meta, counts, todo = report.meta, report.counts, report.todo
    suffix = site_suffix(report.pages["title"])
    compared = report.previous is not None and report.changes is not None
    previous = report.previous_counts or {}
    since = f"since {when(read_meta(report.previous).get('started_at', ''))}" if compared else ""
    row = 0
    sheet.write_string(row, 0, clean_cell(f"Links of {meta.get('start_url', '')}"), formats["title"])
    row += 1
    state = run_state(meta)
    sheet.write_string(row, 0, clean_cell(run_line(meta, report.pages)), formats["status"][state])
    row += 1
    line = (f"Crawl of {when(meta.get('started_at', ''))}: {counted(len(report.pages), 'page')}, "
            f"{counted(counts['links'], 'link')}, {counted(len(report.issues), 'finding')}.")
    if compared:
        line += f" Compared with the run of {when(read_meta(report.previous).get('started_at', ''))}."
    if report.duplicates:
        line += (f" {counted(report.duplicates, 'page')} {'is a copy' if report.duplicates == 1 else 'are copies'} "
                 "of others (naming another page canonical): their findings are left out.")
    sheet.write_string(row, 0, clean_cell(line))
    row += 2

    sheet.write_string(row, 0, "Fix first", formats["heading"])
    shown = min(len(todo), 10)
    sheet.write_string(row, 2, f"the {shown} most important of {len(todo):,} things to fix; all of them are on "
                               "the To do sheet" if len(todo) else "nothing to fix")
    row += 1
    if len(todo):
        for i, header in enumerate(("to do #", "problem", "page", "what is wrong", "what to do", "pages")):
            sheet.write_string(row, i, header, formats["header"])
        row += 1
        for r in todo.head(10).itertuples():
            where = str(r.where)
            page = short_title(where, r.title, suffix) if where.startswith(("http://", "https://")) else where
            fit_row(sheet, row, [(r.issue, widths[1]), (page, widths[2]), (r.what, widths[3]), (r.do, widths[4])])
            sheet.write_url(row, 0, f"internal:'To do'!A{int(r.todo) + 1}", formats["link_wrap"], str(r.todo))
            sheet.write_string(row, 1, r.issue, formats["severity_wrap"][r.severity])
            if where.startswith(("http://", "https://")) and len(where) <= MAX_URL:
                sheet.write_url(row, 2, where, formats["link_wrap"], clean_cell(page))
            else:
                sheet.write_string(row, 2, clean_cell(page), formats["wrap"])
            sheet.write_string(row, 3, clean_cell(r.what), formats["wrap"])
            sheet.write_string(row, 4, clean_cell(r.do), formats["wrap"])
            sheet.write_number(row, 5, r.pages, formats["count_top"])
            row += 1
    row += 1
    sheet.write_string(row, 0, "Findings", formats["heading"])
    row += 1
    for i, header in enumerate(("", "severity", "findings", since)):
        if header:
            sheet.write_string(row, i, header, formats["header"])
    row += 1
    for severity in SEVERITIES:
        n = counts["severity"].get(severity, 0)
        sheet.write_string(row, 1, severity + "s", formats["severity"][severity])
        sheet.write_number(row, 2, n, formats["count"])
        if compared:
            sheet.write_number(row, 3, n - previous.get(severity, 0), formats["delta"])
        row += 1
    if compared:
        row += 1
        sheet.write_string(row, 0, f"What changed {since}", formats["heading"])
        lines = report.news[report.news["change"] != "changed"]
        note = f"{len(lines):,} lines on the Changes sheet" + (", the first 8 here" if len(lines) > 8 else "")
        sheet.write_string(row, 2, note if len(lines) else "nothing")
        row += 1
        for r in lines.head(8).itertuples():
            sheet.write_url(row, 0, f"internal:'Changes'!A{int(r.news) + 1}", formats["link"], str(r.news))
            sheet.write_string(row, 1, r.change, formats["severity"].get(r.severity) if r.severity else None)
            sheet.write_string(row, 2, clean_cell(r.what))
            row += 1
    row += 1
    charts_at = row
    row += 1
    charts = _Charts(report, suffix)
    row += max(1, math.ceil(len(charts.specs) / 2)) * 17 + 1
    sheet.set_h_pagebreaks([charts_at, row])

    sheet.write_string(row, 0, "Findings by problem", formats["heading"])
    row += 1
    for i, header in enumerate(("findings", "problem", "what it means", "what to do", since)):
        if header:
            sheet.write_string(row, i, header, formats["header"])
    row += 1
    means = rule_words(report.config)
    for issue, rule in ISSUES.items():
        n, before = counts["issue"].get(issue, 0), previous.get(issue, 0)
        if not n and not (compared and before):
            continue
        fit_row(sheet, row, [(issue, widths[1]), (means[issue], widths[2]), (rule.do, widths[3])])
        sheet.write_number(row, 0, n, formats["count_top"])
        sheet.write_string(row, 1, issue, formats["severity_wrap"][rule.severity])
        sheet.write_string(row, 2, clean_cell(means[issue]), formats["wrap"])
        sheet.write_string(row, 3, rule.do, formats["wrap"])
        if compared:
            sheet.write_number(row, 4, n - before, formats["delta"])
        row += 1
    row += 1
    sheet.write_string(row, 0, "The crawl", formats["heading"])
    row += 1
    facts: list[tuple[str, Any]] = [
        ("site", meta.get("start_url", "")),
        ("crawl started", when(meta.get("started_at", ""))),
        ("crawl ended", when(meta.get("finished_at", ""))),
        ("report written", when(datetime.now(UTC).isoformat())),
        ("pages", len(report.pages)),
        ("pages that are copies of others (canonical)", report.duplicates),
        ("links", counts["links"]),
        ("links in the article text", sum(v for (_, role), v in counts["layout"].items() if role == "editorial")),
        ("links repeated by the theme", sum(v for (_, role), v in counts["layout"].items() if role == "template")),
        ("findings", len(report.issues)),
        ("things to fix", len(todo)),
    ]
    if len(report.links) < counts["links"]:
        facts.append(("the Links sheet shows", f"{len(report.links):,} of {counts['links']:,} links: those to act "
                                               "on first (the links table in the run folder has every one)"))
    for key, title in (("kind", "links by type"), ("position", "links by where on the page")):
        facts += [(f"{title}: {k}", v) for k, v in counts[key].items()]
    row = _pairs(sheet, row, facts, formats, column=1, width=widths[2])
    row += 1
    sheet.write_string(row, 0, "The sheets", formats["heading"])
    row += 1
    guide = [(", ".join(names), _SHEET_HELP[key]) for key, names in sheets.items()]
    for name, help_text in [*guide, *((extra, _SHEET_HELP[extra]) for extra in ("Glossary", "Settings"))]:
        fit_row(sheet, row, [(help_text, widths[2] + widths[3])])
        sheet.write_string(row, 1, name, formats["bold"])
        sheet.write_string(row, 2, help_text)
        row += 1
    row += 1
    sheet.write_string(row, 0, "The numbers behind the charts", formats["heading"])
    row += 2
    end = charts.write(book, sheet, row, charts_at + 1, formats)
    sheet.print_area(0, 0, end, len(widths) - 1)
    sheet.activate()


class _Charts:
    """The Summary's charts and the tables they draw: findings over the site's runs (from two runs on), the pages
    with most problems, links by where they are (article text, theme, other) and pages by clicks from the home page.
    Only categories that have something are drawn."""

    def __init__(self, report: Report, suffix: str) -> None:
        counts = report.counts
        self.specs: list[tuple[str, str, list[str], list[tuple[Any, ...]], bool]] = []  # title, type, series, rows
        history = report.history
        if history is not None and len(history) >= 2:
            self.specs.append(("Errors and warnings, run by run", "line", ["errors", "warnings"],
                               [(r.run, int(r.error), int(r.warning)) for r in history.itertuples()], False))
        worst = [w for w in counts.get("worst_pages", []) if sum(w[2:]) > 0]
        if worst:
            self.specs.append(("Pages with most problems", "bar", ["errors", "warnings", "notices"],
                               [(short_title(url, title, suffix, 40), *by) for url, title, *by in worst], True))
        layout: dict[str, list[int]] = {}
        for (position, role), n in counts["layout"].items():
            layout.setdefault(position, [0, 0, 0])[("editorial", "template", "other").index(role)] += n
        order = sorted(layout, key=lambda p: -sum(layout[p]))
        if order:
            self.specs.append(("Links by where they are on the page", "bar",
                               ["in the article text", "repeated by the theme", "other"],
                               [(p, *layout[p]) for p in order], True))
        depth = counts.get("depth", {})
        if depth:
            self.specs.append(("Pages by clicks from the home page", "column", ["pages"],
                               [(_depth_label(d), n) for d, n in sorted(depth.items())], False))
        self.rows = sum(len(rows) + 4 for *_, rows, _ in self.specs)

    def write(self, book: xlsxwriter.Workbook, sheet: Worksheet, row: int, chart_row: int,
              formats: dict[str, Any]) -> int:
        """Write each chart's table from ``row`` and insert the charts two a row from ``chart_row``."""
        colours = [CHART_COLOURS["error"], CHART_COLOURS["warning"], CHART_COLOURS["notice"]]
        role_colours = ["#2E75B6", "#A5A5A5", "#D9D9D9"]
        for n, (title, kind, series, rows, stacked) in enumerate(self.specs):
            sheet.write_string(row, 1, title, formats["bold"])
            row += 1
            for i, name in enumerate(series):
                sheet.write_string(row, 2 + i, name, formats["bold"])
            row += 1
            first = row
            for values in rows:
                sheet.write_string(row, 1, clean_cell(str(values[0])))
                for i, value in enumerate(values[1:]):
                    sheet.write_number(row, 2 + i, value, formats["count"])
                row += 1
            last = row - 1
            options: dict[str, Any] = {"type": kind}
            if stacked:
                options["subtype"] = "stacked"
            chart = book.add_chart(options)
            palette = role_colours if title.startswith("Links by") else colours
            for i in range(len(series)):
                spec: dict[str, Any] = {
                    "name": ["Summary", first - 1, 2 + i],
                    "categories": ["Summary", first, 1, last, 1],
                    "values": ["Summary", first, 2 + i, last, 2 + i],
                }
                colour = palette[i] if len(series) > 1 else "#2E75B6"
                if kind == "line":
                    spec["line"] = {"color": colour, "width": 2.25}
                    spec["marker"] = {"type": "circle", "size": 6, "fill": {"color": colour},
                                      "border": {"color": colour}}
                else:
                    spec["fill"] = {"color": colour}
                    spec["border"] = {"color": "#7F7F7F"}
                chart.add_series(spec)
            chart.set_title({"name": title, "name_font": {"size": 12}})
            chart.set_legend({"position": "bottom"} if len(series) > 1 else {"none": True})
            # counts are whole numbers: no 0.5 steps on a short axis
            top = max((sum(v[1:]) if stacked else max(v[1:]) for v in rows), default=0)
            value_axis: dict[str, Any] = {"num_format": "#,##0", "min": 0}
            if top <= 10:
                value_axis["major_unit"] = 1
            if kind == "bar":
                chart.set_y_axis({"reverse": True})  # the first row at the top
                chart.set_x_axis(value_axis)
            else:
                chart.set_y_axis(value_axis)
            chart.set_size({"width": 560, "height": 320})
            sheet.insert_chart(chart_row + (n // 2) * 17, 0, chart, {"x_offset": 5 + (n % 2) * 575, "y_offset": 5})
            row += 2
        return row


def write_report(folder: Path | str, config: Config | None = None, previous: Path | str | None = "auto",
                 baseline: bool = False) -> Report:
    """Build the report of a run folder, compare it with ``previous`` (by default the site's last good run, none
    for a failed run; None: no comparison) and write ``report.xlsx``, ``changes.csv`` and ``summary.md``.

    The findings go to ``issues.csv``, which later runs compare with, when ``baseline`` (the crawl's own report)
    or when the run has none yet; a rebuilt report (other thresholds) writes them to ``report-issues.csv``, so that
    what the next crawl compares with stays the crawl's. A comparison :func:`refusal` refuses is left out."""
    folder = Path(folder)
    config = config or Config()
    report = build_report(folder, config)
    if previous == "auto":
        previous = config.compare_with or previous_run(folder)
        if config.compare_with.lower() == "none" or run_state(report.meta) == "failed":
            previous = None
    if previous and (refused := refusal(Path(previous), folder)):
        logger.warning("Not compared: %s", refused)
        previous = None
    if previous:
        previous = Path(previous)
        old = read_issues(previous)
        used = {name: value for name, value in config.settings().items() if name in REPORT_SETTINGS}
        differences = settings_differences(read_meta(previous),
                                           {"settings": {**report.meta.get("settings", {}), **used}})
        changes = with_settings(compare(previous, folder, report.issues), differences)
        report.news, numbers = news(changes)
        report.changes = changes.assign(news=numbers).sort_values("news", kind="stable").reset_index(drop=True)
        report.previous = previous
        report.previous_counts = {**old["severity"].value_counts().to_dict(), **old["issue"].value_counts().to_dict()}
        report.changes.drop(columns=["cause"]).to_csv(folder / "changes.csv", index=False)
    report.history = site_history(folder, report.counts["severity"])
    issues = folder / "issues.csv"
    report.issues.to_csv(issues if baseline or not issues.exists() else folder / "report-issues.csv", index=False)
    (folder / "summary.md").write_text(summary_markdown(report, report.changes, report.previous), encoding="utf-8")
    write_workbook(report, folder / "report.xlsx")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m linkcrawler.workbook RUN_FOLDER [--settings JSON]``: what the crawl runs when it ends."""
    import argparse
    import json

    from scrapy.settings import Settings

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--settings", default="{}", help="LINKCRAWLER_* settings as a JSON object")
    args = parser.parse_args(argv)
    config = Config.from_settings(Settings(json.loads(args.settings)))
    report = write_report(args.folder, config, baseline=True)
    compared = report.previous is not None and report.changes is not None
    print(json.dumps({"compared_with": str(report.previous) if compared else "",
                      "new_errors": new_errors(report.changes) if compared else 0}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
