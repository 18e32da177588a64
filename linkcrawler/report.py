"""Run folder tables → the editors' findings: flagged pages, one issue row per finding, and the sheets' tables.

Plain pandas over the tables; :mod:`linkcrawler.workbook` writes the result. Every threshold comes from
:class:`~linkcrawler.config.Config` (``LINKCRAWLER_*`` settings), so a report can be rebuilt with other
thresholds without crawling again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkcrawler.config import Config
from linkcrawler.runfolder import read_meta
from linkcrawler.tables import read_frames, read_table

SEVERITIES = ("error", "warning", "notice")

# issue → (severity, what it means); the order is the order of the Summary
ISSUES: dict[str, tuple[str, str]] = {
    "broken internal link": ("error", "an internal link whose target answers 4xx/5xx or does not exist"),
    "broken external link": ("error", "an external or affiliate link whose target is broken or gone"),
    "invalid link": ("error", "an href that is empty or cannot be parsed as a URL"),
    "affiliate link without sponsored/nofollow": (
        "error", 'an affiliate link with neither rel="sponsored" nor nofollow'),
    "too many links": ("warning", "more links on the page than LINKCRAWLER_MAX_LINKS"),
    "too many external links": ("warning", "more external and affiliate links than LINKCRAWLER_MAX_EXTERNAL_LINKS"),
    "high link density": ("warning",
                          "more of the article text's words inside links than LINKCRAWLER_MAX_LINK_DENSITY"),
    "no internal link in the article text": ("warning", "the article text links to no other page of the site"),
    "thin page": ("warning", "fewer words of article text than LINKCRAWLER_MIN_CONTENT_WORDS"),
    "dead end": ("warning", "an HTML page with no links at all"),
    "orphan page": ("warning", "no other crawled page links here: listed in a sitemap, or reached only by redirect"),
    "sitemap URL broken": ("error", "a URL listed in the sitemaps answers 4xx/5xx or not at all"),
    "sitemap URL redirects": ("warning", "a URL listed in the sitemaps redirects; list the final URL"),
    "sitemap URL noindex": ("warning", "a URL listed in the sitemaps says noindex"),
    "redirect chain": ("warning", "a link whose target redirects more than once"),
    "link target error": ("warning", "the target gave no usable answer (timeout, TLS, size limit)"),
    "internal link with nofollow": ("warning", "an internal link marked nofollow"),
    "empty anchor": ("warning", "a link with no text, alt, title or aria-label"),
    "HTTPS page links to HTTP": ("warning", "an https page linking to an http URL"),
    "redirecting link": ("notice", "a link whose target redirects once; link to the final URL"),
    "non-descriptive anchor": ("notice", "anchor text that says nothing (LINKCRAWLER_GENERIC_ANCHORS)"),
    "only one internal inlink": ("notice", "one other page links here"),
    "deep page": ("notice", "more clicks from the start than LINKCRAWLER_MAX_CLICK_DEPTH"),
    "unverified external link": ("notice", "the target refused the checker as a bot (401/403/429/999)"),
}

ISSUE_COLUMNS = ["severity", "issue", "page", "url", "anchor", "position", "detail"]
# the Links sheet keeps what an editor acts on; every column stays in the links table
LINK_SHEET_COLUMNS = ["page", "url", "kind", "anchor", "position", "rel", "follow", "status", "result", "final_url",
                      "link_path"]
PAGE_SHEET_COLUMNS = ["url", "status", "depth", "title", "words", "outlinks", "internal_outlinks",
                      "external_outlinks", "affiliate_outlinks", "nofollow_outlinks", "editorial_links",
                      "internal_editorial_links", "template_links", "unique_inlinks", "inlinks",
                      "links_per_100_words", "in_sitemap", "flags", "redirect_target", "error"]
WEB_KINDS = ("internal", "external", "affiliate")
# the links table's columns the report reads (the others stay in the table): memory grows with link rows
REPORT_LINK_COLUMNS = list(dict.fromkeys([*LINK_SHEET_COLUMNS, "href", "affiliate_rule", "anchor_source", "error"]))


@dataclass
class Report:
    """Everything the workbook shows, as DataFrames and a summary dict."""

    folder: Path
    meta: dict[str, Any]
    config: Config
    pages: pd.DataFrame
    issues: pd.DataFrame
    links: pd.DataFrame  # the Links sheet's rows (see links_for_sheet)
    outbound: pd.DataFrame
    affiliate: pd.DataFrame
    anchors: pd.DataFrame
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: pd.DataFrame | None = None  # against ``previous``, when there is one
    previous: Path | None = None
    previous_counts: dict[str, int] | None = None  # issues by severity and by issue in the previous run


def _issue_rows(issue: str, frame: pd.DataFrame, detail: pd.Series | str) -> pd.DataFrame:
    severity = ISSUES[issue][0]
    return pd.DataFrame({
        "severity": severity,
        "issue": issue,
        "page": frame["page"].to_numpy(),
        "url": frame["url"].to_numpy() if "url" in frame else "",
        "anchor": frame["anchor"].to_numpy() if "anchor" in frame else "",
        "position": frame["position"].to_numpy() if "position" in frame else "",
        "detail": detail.to_numpy() if isinstance(detail, pd.Series) else detail,
    })


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype("string")


def qualified(rel: pd.Series) -> pd.Series:
    """Whether each rel has ``sponsored`` or ``nofollow``, the qualification Google asks of affiliate links."""
    tokens = " " + _text(rel) + " "
    return tokens.str.contains(" sponsored ", regex=False) | tokens.str.contains(" nofollow ", regex=False)


def link_issues(links: pd.DataFrame, targets: pd.DataFrame, config: Config) -> list[pd.DataFrame]:
    """One row per link occurrence that trips a link rule."""
    found = []
    redirects = links["url"].map(targets.set_index("url")["redirects"]) if len(targets) else pd.Series(dtype="Int64")
    redirects = redirects.fillna(0)
    result = _text(links["result"])
    kind = links["kind"]
    status = links["status"].astype("string").fillna("")
    final = _text(links["final_url"])
    ext = kind.isin(["external", "affiliate"])
    internal = kind == "internal"

    def add(issue: str, mask: pd.Series, detail: pd.Series | str) -> None:
        if mask.any():
            found.append(_issue_rows(issue, links[mask], detail[mask] if isinstance(detail, pd.Series) else detail))

    moved = (final != "") & (final != _text(links["url"]))
    broken_detail = ("status " + status).where(status != "", "no answer") + (" → " + final).where(moved, "")
    add("broken internal link", internal & (result == "broken"), broken_detail)
    add("broken external link", ext & (result == "broken"), broken_detail)
    errors = _text(links["error"])
    invalid = (kind == "invalid") | errors.str.contains("empty href", regex=False)
    if invalid.any():
        rows = links[invalid].assign(url=_text(links["href"])[invalid])
        found.append(_issue_rows("invalid link", rows, errors[invalid]))
    rel = _text(links["rel"])
    tokens = " " + rel + " "
    add("affiliate link without sponsored/nofollow", (kind == "affiliate") & ~qualified(links["rel"]),
        ("rel: " + rel).where(rel != "", "no rel"))
    # a cloaked affiliate link is meant to redirect: only its end matters
    redirecting = (result == "redirect") & (kind != "affiliate")
    add("redirect chain", redirecting & (redirects > 1), redirects.astype("string") + " hops → " + final)
    add("redirecting link", redirecting & (redirects <= 1), "→ " + final)
    add("link target error", result == "error", "error")
    add("unverified external link", result == "unverified", "status " + status)
    add("internal link with nofollow", internal & tokens.str.contains(" nofollow ", regex=False), "rel: " + rel)
    web = kind.isin(WEB_KINDS)
    add("empty anchor", web & (links["anchor_source"] == "none"), "")
    anchor = _text(links["anchor"]).str.lower().str.strip(" .!:>»→")
    add("non-descriptive anchor", web & anchor.isin(config.generic_anchors), "")
    add("HTTPS page links to HTTP",
        links["page"].str.startswith("https://") & _text(links["url"]).str.startswith("http://"), "")
    if found and "link target error" in {f["issue"].iat[0] for f in found}:
        errors = targets.set_index("url")["error"]
        for i, frame in enumerate(found):
            if frame["issue"].iat[0] == "link target error":
                found[i] = frame.assign(detail=frame["url"].map(errors).fillna(""))
    return found


def page_flags(pages: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The Pages sheet with each page's flags in words, and one issue row per flagged page. Words, density and
    content links are those of the article text (the page's main text and its editorial links)."""
    pages = pages.copy()
    redirect = pages["redirect_target"].fillna("") != ""
    html = (pages["content_type"].fillna("").str.contains("html", case=False) & pages["status"].between(200, 299)
            & ~redirect)
    words = pages["words"].astype("Float64")
    pages["links_per_100_words"] = (pages["editorial_links"] / words * 100).round(1).where(words > 0)
    density = pages["editorial_link_words"] / words
    redirected_to = set(pages["redirect_target"].dropna())
    in_sitemap = pages["in_sitemap"].fillna(False).astype(bool) if "in_sitemap" in pages else pd.Series(
        False, index=pages.index)
    enough_words = words >= config.min_content_words
    external = pages["external_outlinks"] + pages["affiliate_outlinks"]
    rules = [
        ("too many links", html & (pages["outlinks"] > config.max_links),
         pages["outlinks"].astype("string") + f" links (limit {config.max_links})"),
        ("too many external links", html & (external > config.max_external_links),
         external.astype("string") + f" external links (limit {config.max_external_links})"),
        ("high link density", html & enough_words & (density > config.max_link_density),
         (density * 100).round(0).astype("Int64").astype("string") + f"% of words in links (limit "
         f"{config.max_link_density:.0%})"),
        ("no internal link in the article text", html & enough_words & (pages["internal_editorial_links"] == 0),
         pages["words"].astype("string") + " words, no internal link"),
        ("thin page", html & ~enough_words & pages["words"].notna(),
         pages["words"].astype("string") + f" words of article text (at least {config.min_content_words})"),
        ("dead end", html & (pages["outlinks"] == 0), "no links"),
        ("orphan page", html & (pages["depth"].fillna(1) > 0) & (pages["unique_inlinks"] == 0)
         & ~pages["url"].isin(redirected_to),
         pd.Series("no internal inlinks", index=pages.index).where(~in_sitemap, "in the sitemap, no internal inlinks")),
        ("sitemap URL broken", in_sitemap & ((pages["status"] >= 400) | pages["status"].isna()),
         ("status " + pages["status"].astype("string")).fillna(pages["error"].fillna(""))),
        ("sitemap URL redirects", in_sitemap & (pages["redirect_target"].fillna("") != ""),
         "→ " + pages["redirect_target"].fillna("")),
        ("sitemap URL noindex", in_sitemap & pages["noindex"].fillna(False).astype(bool), "noindex"),
        ("only one internal inlink", html & (pages["unique_inlinks"] == 1), "1 page links here"),
        ("deep page", html & (pages["depth"] > config.max_click_depth),
         pages["depth"].astype("string") + f" clicks (limit {config.max_click_depth})"),
    ]
    flags = pd.Series([[] for _ in range(len(pages))], index=pages.index, dtype=object)
    found = []
    for issue, mask, detail in rules:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            continue
        for i in pages.index[mask]:
            flags[i].append(issue)
        rows = pages[mask].rename(columns={"url": "page"})
        found.append(_issue_rows(issue, rows, detail[mask] if isinstance(detail, pd.Series) else detail)
                     .assign(url="", anchor="", position=""))
    pages["flags"] = flags.map("; ".join)
    return pages, found


NOTABLE_RESULTS = ("broken", "redirect", "error", "blocked", "unverified")


class SheetLinks:
    """The Links sheet's rows, gathered chunk by chunk: every link row up to ``most`` (0: no limit). Past it, the
    links an editor acts on come first (broken, redirecting, failed, blocked or unverified targets; affiliate and
    invalid links), then the others, up to ``most`` in all, in table order. A sheet of millions of rows is no tool
    for an editor, and writing it is most of the report's time; the links table keeps every row."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.notable: list[pd.DataFrame] = []
        self.others: list[pd.DataFrame] = []
        self.counts = [0, 0]  # notable, others seen

    def add(self, links: pd.DataFrame) -> None:
        if not self.most:
            self.others.append(links)
            return
        notable = links["result"].isin(NOTABLE_RESULTS).fillna(False) | links["kind"].isin(["affiliate", "invalid"])
        for i, (kept, mask) in enumerate(((self.notable, notable), (self.others, ~notable))):
            room = self.most - self.counts[i]
            if room > 0:
                kept.append(links[mask].head(room))
            self.counts[i] += int(mask.sum())

    def rows(self, columns: list[str]) -> pd.DataFrame:
        room = self.most - min(self.counts[0], self.most)
        others = pd.concat(self.others)[columns] if self.others else None
        if self.most and others is not None:
            others = others.head(room)
        frames = [f for f in (*(f[columns] for f in self.notable), others) if f is not None]
        return pd.concat(frames).sort_index() if len(frames) > 1 else frames[0]


class Anchors:
    """The Anchors sheet, gathered chunk by chunk: each (target, anchor) of web links with how many links and
    pages use it. A page's link rows are contiguous in the links table (written together), so a chunk cut at a
    page boundary counts each page once."""

    def __init__(self) -> None:
        self.done: pd.DataFrame | None = None
        self.pending: list[pd.DataFrame] = []
        self.pending_rows = 0

    def add(self, links: pd.DataFrame) -> None:
        web = links[links["kind"].isin(WEB_KINDS)]
        grouped = web.groupby(["url", "anchor"], dropna=False, sort=False)
        pages = web.drop_duplicates(["url", "anchor", "page"]).groupby(["url", "anchor"], dropna=False,
                                                                        sort=False).size()
        part = grouped.agg(links=("page", "size"), kind=("kind", "first")).assign(pages=pages)
        self.pending.append(part)
        self.pending_rows += len(part)
        if self.pending_rows > max(len(self.done) if self.done is not None else 0, 100_000):
            self._combine()  # in steps that at least double: linear in all

    def _combine(self) -> None:
        frames = ([self.done] if self.done is not None else []) + self.pending
        self.pending, self.pending_rows = [], 0
        if frames:
            self.done = pd.concat(frames).groupby(level=[0, 1], dropna=False, sort=False).agg(
                links=("links", "sum"), pages=("pages", "sum"), kind=("kind", "first"))

    def table(self) -> pd.DataFrame:
        self._combine()
        if self.done is None:
            return pd.DataFrame(columns=["url", "kind", "anchor", "links", "pages", "share", "anchors_for_url"])
        anchors = self.done.reset_index()
        totals = anchors.groupby("url")["links"].transform("sum")
        anchors["share"] = (anchors["links"] / totals).round(3)
        anchors["anchors_for_url"] = anchors.groupby("url")["anchor"].transform("size")
        return anchors.sort_values(["links", "url"], ascending=[False, True])[
            ["url", "kind", "anchor", "links", "pages", "share", "anchors_for_url"]]


def whole_pages(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The frames of a links table cut at page boundaries: a frame's last page waits for the next frame. An empty
    table gives one empty frame."""
    held = None
    for frame in frames:
        if held is not None:
            frame = pd.concat([held, frame])
        other = np.flatnonzero(frame["page"].ne(frame["page"].iat[-1]).to_numpy(dtype=bool, na_value=True)) if len(
            frame) else []
        cut = other[-1] + 1 if len(other) else 0
        if cut:
            yield frame.iloc[:cut]
        held = frame.iloc[cut:]
    if held is not None:
        yield held


def build_report(folder: Path | str, config: Config | None = None, chunk_rows: int = 200_000) -> Report:
    """Read a run folder's tables and work out every flag and sheet. The links table is read ``chunk_rows`` rows
    at a time: memory grows with pages and findings, not with link rows."""
    folder = Path(folder)
    config = config or Config()
    meta = read_meta(folder)
    pages = read_table(folder, "pages")
    targets = read_table(folder, "targets")

    found: list[pd.DataFrame] = []
    affiliate: list[pd.DataFrame] = []
    anchors, sheet = Anchors(), SheetLinks(config.links_sheet_rows)
    counts: dict[str, Any] = {"kind": Counter(), "position": Counter(), "follow": Counter(), "links": 0}
    for links in whole_pages(read_frames(folder, "links", REPORT_LINK_COLUMNS, rows=chunk_rows)):
        found += link_issues(links, targets, config)
        aff = links[links["kind"] == "affiliate"]
        affiliate.append(aff[["page", "url", "anchor", "position", "rel", "affiliate_rule", "final_url",
                              "result"]].assign(qualified=qualified(aff["rel"])))
        anchors.add(links)
        sheet.add(links)
        counts["links"] += len(links)
        for column in ("kind", "position"):
            counts[column].update(links[column].value_counts().to_dict())
        counts["follow"].update({("follow" if k else "nofollow"): v
                                 for k, v in links["follow"].value_counts().to_dict().items()})
    pages, page_found = page_flags(pages, config)
    found = page_found + found
    issues = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=ISSUE_COLUMNS)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    issue_order = {k: i for i, k in enumerate(ISSUES)}
    issues = issues.sort_values(
        by=["severity", "issue", "page"],
        key=lambda col: col.map(order) if col.name == "severity" else (
            col.map(issue_order) if col.name == "issue" else col),
        kind="stable",
    ).reset_index(drop=True)

    outbound = targets[targets["kind"].isin(["external", "affiliate"])][[
        "url", "kind", "result", "status", "final_url", "final_status", "redirects", "error", "detail",
        "unique_inlinks", "inlinks", "checked_at"]].sort_values(["result", "unique_inlinks"], ascending=[True, False])
    affiliate_columns = ["page", "url", "anchor", "position", "rel", "qualified", "affiliate_rule", "final_url",
                         "result"]
    affiliate_rows = (pd.concat(affiliate, ignore_index=True)[affiliate_columns] if affiliate
                      else pd.DataFrame(columns=affiliate_columns))

    counts = {key: dict(value.most_common()) if isinstance(value, Counter) else value for key, value in counts.items()}
    counts["severity"] = issues["severity"].value_counts().to_dict()
    counts["issue"] = issues["issue"].value_counts().to_dict()
    return Report(folder, meta, config, pages[PAGE_SHEET_COLUMNS], issues[ISSUE_COLUMNS],
                  sheet.rows(LINK_SHEET_COLUMNS), outbound, affiliate_rows, anchors.table(), counts)
