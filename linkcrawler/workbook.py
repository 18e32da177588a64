"""The editors' workbook: a :class:`~linkcrawler.report.Report` → ``report.xlsx``.

Written with XlsxWriter in ``constant_memory`` mode (rows go to disk as they are written). Every cell is written
by type: numbers as numbers, text with ``write_string`` (so text that starts with ``=``, ``+``, ``-`` or ``@`` is
never a formula), http(s) URLs as hyperlinks while the sheet is under Excel's 65,530-link limit. Control
characters Excel forbids are removed and cells over 32,767 characters are cut with a visible marker.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from linkcrawler.config import Config
from linkcrawler.health import REPORT_SETTINGS, settings_differences
from linkcrawler.history import (
    compare,
    new_errors,
    previous_run,
    read_issues,
    refusal,
    summary_markdown,
    with_settings,
)
from linkcrawler.report import ISSUES, SEVERITIES, Report, build_report
from linkcrawler.runfolder import read_meta, run_state

logger = logging.getLogger(__name__)

EXCEL_ROWS = 1_048_576
MAX_CELL = 32_767
MAX_URL = 2_079
MAX_LINKS_PER_SHEET = 65_530
CUT_MARKER = "… [cut]"
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SEVERITY_COLOURS = {"error": "#F8CBAD", "warning": "#FFE699", "notice": "#DDEBF7"}
URL_COLUMNS = {"url", "page", "final_url", "redirect_target"}


def clean_cell(text: str) -> str:
    """Text Excel accepts: forbidden control characters removed, cut to 32,767 characters with a marker."""
    text = _FORBIDDEN.sub("", text)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - len(CUT_MARKER)] + CUT_MARKER
    return text


class SheetWriter:
    """Writes one table onto one or more sheets (continuing past Excel's row limit) with header, filter,
    frozen panes and widths."""

    def __init__(self, book: xlsxwriter.Workbook, formats: dict[str, Any], rows_per_sheet: int) -> None:
        self.book = book
        self.formats = formats
        self.rows_per_sheet = rows_per_sheet

    def write(self, title: str, frame: pd.DataFrame, widths: dict[str, int] | None = None,
              severity_column: str | None = None, hyperlinks: bool = True) -> list[str]:
        """Write ``frame`` under ``title`` (``title (2)``, … past the row limit); return the sheet names."""
        columns = list(frame.columns)
        names = []
        chunks = max(1, math.ceil(len(frame) / self.rows_per_sheet))
        for n in range(chunks):
            name = title if n == 0 else f"{title} ({n + 1})"
            part = frame.iloc[n * self.rows_per_sheet:(n + 1) * self.rows_per_sheet]
            sheet = self.book.add_worksheet(name)
            self._layout(sheet, columns, part, widths or {})
            self._rows(sheet, columns, part, severity_column, hyperlinks)
            names.append(name)
        return names

    def _layout(self, sheet: Worksheet, columns: list[str], part: pd.DataFrame, widths: dict[str, int]) -> None:
        sample = part.head(500)
        for i, column in enumerate(columns):
            if column in widths:
                width = widths[column]
            else:
                lengths = sample[column].astype("string").fillna("").str.len() if len(sample) else pd.Series([0])
                width = int(min(60, max(len(column) + 2, (lengths.quantile(0.9) if len(lengths) else 0) + 2)))
            sheet.set_column(i, i, width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(1, len(part)), len(columns) - 1)
        _printable(sheet)
        sheet.repeat_rows(0)
        for i, column in enumerate(columns):
            sheet.write_string(0, i, column, self.formats["header"])

    def _rows(self, sheet: Worksheet, columns: list[str], part: pd.DataFrame, severity_column: str | None,
              hyperlinks: bool) -> None:
        kinds = [_kind(part[c]) for c in columns]
        cells = [_python_values(part[c], kind) for c, kind in zip(columns, kinds, strict=True)]
        url_cols = {i for i, c in enumerate(columns) if c in URL_COLUMNS} if hyperlinks else set()
        sev_index = columns.index(severity_column) if severity_column else -1
        links_left = MAX_LINKS_PER_SHEET
        write_string, write_number, write_url = sheet.write_string, sheet.write_number, sheet.write_url
        write_boolean, link_format = sheet.write_boolean, self.formats["link"]
        severity_formats = self.formats["severity"]
        for r, values in enumerate(zip(*cells, strict=True), start=1):
            for c, value in enumerate(values):
                if value is None or value == "":
                    continue
                kind = kinds[c]
                if kind == "text":
                    if c == sev_index:
                        write_string(r, c, value, severity_formats.get(value))
                    elif (c in url_cols and links_left and len(value) <= MAX_URL
                          and value.startswith(("http://", "https://"))
                          and write_url(r, c, value, link_format, value) == 0):
                        links_left -= 1
                    else:
                        write_string(r, c, value)
                elif kind == "number":
                    write_number(r, c, value)
                else:
                    write_boolean(r, c, value)


def _python_values(series: pd.Series, kind: str) -> list[Any]:
    """A column as Python values, None for missing; text cleaned for Excel in one vectorised pass."""
    if kind == "text":
        text = series.astype("string").str.replace(_FORBIDDEN.pattern, "", regex=True)
        long = text.str.len() > MAX_CELL
        if long.any():
            text[long] = text[long].str.slice(0, MAX_CELL - len(CUT_MARKER)) + CUT_MARKER
        series = text
    elif kind == "bool":
        series = series.astype("boolean")
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


def _printable(sheet: Worksheet) -> None:
    """Landscape, one page wide, so that a printout or PDF of the sheet stays readable."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"


def write_workbook(report: Report, path: Path | str, rows_per_sheet: int = EXCEL_ROWS - 1) -> Path:
    """Write the editors' workbook; ``rows_per_sheet`` is lowered only by tests of the sheet split."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    book = xlsxwriter.Workbook(str(tmp), {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": "yyyy-mm-dd hh:mm",
    })
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "text_wrap": True,
                                   "valign": "top"}),
        "link": book.add_format({"font_color": "#0563C1", "underline": 1}),
        "title": book.add_format({"bold": True, "font_size": 16}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "delta": book.add_format({"num_format": "+0;-0;0", "align": "left"}),
        "severity": {s: book.add_format({"bg_color": c}) for s, c in SEVERITY_COLOURS.items()},
    }
    writer = SheetWriter(book, formats, rows_per_sheet)
    summary = book.add_worksheet("Summary")
    sheets: dict[str, list[str]] = {}
    if report.changes is not None:
        sheets["Changes"] = writer.write("Changes", report.changes, {"change": 9, "what": 11, "severity": 9,
                                                                     "issue": 30, "page": 50, "url": 50,
                                                                     "anchor": 25, "detail": 30},
                                         severity_column="severity")
    sheets["Issues"] = writer.write("Issues", report.issues, {"severity": 10, "issue": 34, "page": 50, "url": 50,
                                                              "anchor": 30, "position": 12, "detail": 40},
                                    severity_column="severity")
    sheets["Pages"] = writer.write("Pages", report.pages, {"url": 55, "title": 40, "flags": 60})
    sheets["Affiliate"] = writer.write("Affiliate", report.affiliate)
    sheets["Outbound"] = writer.write("Outbound", report.outbound)
    sheets["Anchors"] = writer.write("Anchors", report.anchors, {"url": 55, "anchor": 40})
    # the Links sheet is for filtering; hyperlinks there would cost a third of the workbook's time
    sheets["Links"] = writer.write("Links", report.links, {"page": 45, "url": 55, "anchor": 35, "link_path": 40,
                                                           "final_url": 45}, hyperlinks=False)
    _write_summary(book, summary, formats, report, sheets)
    book.close()
    tmp.replace(path)
    return path


def _write_summary(book: xlsxwriter.Workbook, sheet: Worksheet, formats: dict[str, Any], report: Report,
                   sheets: dict[str, list[str]]) -> None:
    """Site, date, counts, issues by severity and type with a chart, thresholds, and where the sheets are."""
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 16)
    sheet.set_column(3, 3, 60)
    _printable(sheet)
    meta, config, counts = report.meta, report.config, report.counts
    row = 0
    sheet.write_string(row, 0, "linkcrawler report", formats["title"])
    row += 2
    facts: list[tuple[str, Any]] = [
        ("site", meta.get("start_url", "")),
        ("crawl started", _when(meta.get("started_at", ""))),
        ("crawl ended", _when(meta.get("finished_at", ""))),
        ("finish reason", meta.get("finish_reason", "")),
        ("report written", _when(datetime.now(UTC).isoformat())),
        ("pages", len(report.pages)),
        ("links", report.counts["links"]),
        ("issues", len(report.issues)),
    ]
    row = _pairs(sheet, row, facts, formats)
    if len(report.links) < report.counts["links"]:
        sheet.write_string(row, 0, f"The Links sheet shows {len(report.links):,} of {report.counts['links']:,} links, "
                           "those to act on first (LINKCRAWLER_LINKS_SHEET_ROWS); the links table has every one",
                           formats["bold"])
        row += 1
    if len(sheets["Links"]) > 1:
        sheet.write_string(row, 0, "Links continue on: " + ", ".join(sheets["Links"]), formats["bold"])
        row += 1
    row += 1
    sheet.write_string(row, 0, "issues by severity", formats["bold"])
    if report.previous is not None:
        sheet.write_string(row, 2, f"since the last run ({report.previous.name})", formats["bold"])
    row += 1
    previous = report.previous_counts or {}
    for severity in SEVERITIES:  # constant_memory: each row is written whole, in order
        sheet.write_string(row, 0, severity, formats["severity"][severity])
        sheet.write_number(row, 1, counts["severity"].get(severity, 0))
        if report.previous is not None:
            sheet.write_number(row, 2, counts["severity"].get(severity, 0) - previous.get(severity, 0),
                               formats["delta"])
        row += 1
    if report.previous is not None:
        changes = report.changes
        row += 1
        sheet.write_string(row, 0, "changes since the last run", formats["bold"])
        row += 1
        pairs = [(f"{what}: {change}", int(((changes["what"] == what) & (changes["change"] == change)).sum()))
                 for what, change in (("issue", "new"), ("issue", "fixed"), ("broken link", "new"),
                                      ("broken link", "fixed"), ("page", "added"), ("page", "removed"),
                                      ("page", "new"), ("link", "removed"), ("inlinks", "removed"))]
        row = _pairs(sheet, row, pairs, formats)
    row += 1
    sheet.write_string(row, 0, "issue", formats["header"])
    sheet.write_string(row, 1, "count", formats["header"])
    sheet.write_string(row, 2, "since last run" if report.previous is not None else "", formats["header"])
    sheet.write_string(row, 3, "what it means", formats["header"])
    row += 1
    first = row
    for issue, (severity, meaning) in ISSUES.items():
        count = counts["issue"].get(issue, 0)
        sheet.write_string(row, 0, issue, formats["severity"][severity])
        sheet.write_number(row, 1, count)
        if report.previous is not None:
            sheet.write_number(row, 2, count - previous.get(issue, 0), formats["delta"])
        sheet.write_string(row, 3, meaning)
        row += 1
    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "issues",
        "categories": ["Summary", first, 0, row - 1, 0],
        "values": ["Summary", first, 1, row - 1, 1],
        "points": [{"fill": {"color": SEVERITY_COLOURS[ISSUES[i][0]]}, "border": {"color": "#7F7F7F"}}
                   for i in ISSUES],
    })
    chart.set_title({"name": "Where the problems are"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 640, "height": 520})
    sheet.insert_chart(2, 4, chart)
    row += 1
    for title, key in (("links by kind", "kind"), ("links by position", "position"), ("links by follow", "follow")):
        sheet.write_string(row, 0, title, formats["bold"])
        row += 1
        row = _pairs(sheet, row, sorted(counts[key].items(), key=lambda kv: -kv[1]), formats)
        row += 1
    sheet.write_string(row, 0, "thresholds used", formats["bold"])
    row += 1
    row = _pairs(sheet, row, [
        ("LINKCRAWLER_MAX_LINKS", config.max_links),
        ("LINKCRAWLER_MAX_EXTERNAL_LINKS", config.max_external_links),
        ("LINKCRAWLER_MAX_LINK_DENSITY", config.max_link_density),
        ("LINKCRAWLER_MIN_CONTENT_WORDS", config.min_content_words),
        ("LINKCRAWLER_MAX_CLICK_DEPTH", config.max_click_depth),
    ], formats)
    sheet.write_string(row, 0, "LINKCRAWLER_GENERIC_ANCHORS")
    sheet.write_string(row, 3, clean_cell(", ".join(config.generic_anchors)), formats["wrap"])
    row += 1
    row += 1
    sheet.write_string(row, 0, "sheets", formats["bold"])
    row += 1
    for key, names in sheets.items():
        sheet.write_string(row, 0, ", ".join(names))
        sheet.write_string(row, 3, _SHEET_HELP[key])
        row += 1
    sheet.activate()


def _when(iso: str) -> str:
    """``2026-11-23 00:06 UTC`` from an ISO timestamp ('' stays '')."""
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return iso


_SHEET_HELP = {
    "Changes": "what changed since the last run: new and fixed issues, pages added and removed, links removed",
    "Issues": "one row per finding, errors first; filter by issue or page",
    "Pages": "one row per page with its counts and flags",
    "Affiliate": "every affiliate link; qualified = has sponsored or nofollow",
    "Outbound": "every external and affiliate target with its answer and how many pages link to it",
    "Anchors": "anchor texts per target: an anchor used for many links stands out",
    "Links": "every link occurrence, up to LINKCRAWLER_LINKS_SHEET_ROWS (then those to act on first)",
}


def _pairs(sheet: Worksheet, row: int, pairs: Sequence[tuple[str, Any]], formats: dict[str, Any],
           label_formats: dict[str, Any] | None = None) -> int:
    for label, value in pairs:
        sheet.write_string(row, 0, clean_cell(str(label)), (label_formats or {}).get(label))
        if isinstance(value, bool) or value is None:
            sheet.write_string(row, 1, "" if value is None else str(value))
        elif isinstance(value, (int, float)):
            sheet.write_number(row, 1, value)
        else:
            sheet.write_string(row, 1, clean_cell(str(value)))
        row += 1
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
        report.changes = with_settings(compare(previous, folder, report.issues), differences)
        report.previous = previous
        report.previous_counts = {**old["severity"].value_counts().to_dict(), **old["issue"].value_counts().to_dict()}
        report.changes.to_csv(folder / "changes.csv", index=False)
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
