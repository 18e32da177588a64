"""Run folder tables → the editors' findings: flagged pages, one issue row per finding, and the sheets' tables.

Plain pandas over the tables; :mod:`linkcrawler.workbook` writes the result. Every threshold comes from
:class:`~linkcrawler.config.Config` (``LINKCRAWLER_*`` settings), so a report can be rebuilt with other
thresholds without crawling again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from linkcrawler import todo
from linkcrawler.config import Config
from linkcrawler.fragment import text_fragment
from linkcrawler.runfolder import read_meta
from linkcrawler.tables import read_frames, read_table, whole_pages
from linkcrawler.template import place

SEVERITIES = ("error", "warning", "notice")


@dataclass(frozen=True)
class Rule:
    """One kind of finding: its severity, what it means and what to do, in an editor's words, and how findings
    of it group on the to-do list (``target``: one row per link target; ``link``: per page, or per place in
    the theme for a link the theme repeats; ``page``: per page)."""

    severity: str
    means: str  # {placeholders} are filled from the thresholds (see rule_words)
    do: str
    group: str


# the findings; the order is the Summary's. Names are an editor's words: the glossary explains the few terms
# that must stay (nofollow, sponsored, redirect…)
ISSUES: dict[str, Rule] = {
    "broken link to a page of the site": Rule(
        "error", "a link to a page of this site that is gone (404, 410…) or fails (5xx)",
        "restore the page, redirect its address to the right page, or change the links", "target"),
    "broken link to another site": Rule(
        "error", "a link to another site's page that is gone, fails, or whose site cannot be reached",
        "change the links to a working address, or remove them", "target"),
    "malformed link": Rule(
        "error", "a link whose address is empty or not a web address", "correct the link's address", "link"),
    "affiliate link not marked sponsored": Rule(
        "error", 'an affiliate link without rel="sponsored" (or nofollow), which search engines ask for',
        'add rel="sponsored" to the link', "target"),
    "broken page in the sitemap": Rule(
        "error", "a page listed in the sitemap is gone, fails or cannot be fetched",
        "take it out of the sitemap, or restore the page", "page"),
    "too many links": Rule(
        "warning", "more than {max_links} links on the page",
        "cut the menus and link lists down to the links readers use", "page"),
    "too many links to other sites": Rule(
        "warning", "more than {max_external_links} links to other sites on the page",
        "keep the outside links that help readers, remove the others", "page"),
    "too much of the text is links": Rule(
        "warning", "more than {max_link_density:.0%} of the article text's words are link text",
        "write more text around the links, or link less", "page"),
    "no link to the site in the article text": Rule(
        "warning", "the article text links to no other page of this site",
        "add a link in the text to a related page of the site", "page"),
    "thin page": Rule(
        "warning", "fewer than {min_content_words} words of article text (pages that only list other pages, with "
                   "none, are left out)",
        "write more, or merge the page into a related one", "page"),
    "page with no links": Rule(
        "warning", "a page with no links at all: a visitor can only go back",
        "add links to related pages", "page"),
    "page no other page links to": Rule(
        "warning", "no page of the site links here: only the sitemap or a redirect leads here",
        "link to it from related pages, or remove it", "page"),
    "redirecting page in the sitemap": Rule(
        "warning", "a page listed in the sitemap redirects to another address",
        "list the final address in the sitemap instead", "page"),
    "page in the sitemap hidden from search": Rule(
        "warning", "a page listed in the sitemap tells search engines not to show it (noindex)",
        "take it out of the sitemap, or let search engines show it", "page"),
    "link through several redirects": Rule(
        "warning", "a link whose address redirects more than once before reaching a page",
        "link straight to the final address", "target"),
    "link that could not be checked": Rule(
        "warning", "the linked address gave no usable answer (no answer in time, certificate error, too large)",
        "open it yourself; if it does not work, change the links", "target"),
    "link to the site marked nofollow": Rule(
        "warning", "a link to a page of this site that tells search engines not to follow it",
        "remove nofollow from links to your own pages", "link"),
    "link with no text": Rule(
        "warning", "a link with no text, and no alt text on its image",
        "give the link a text, or its image an alt text", "link"),
    "link to an insecure address": Rule(
        "warning", "a link from an https page to an http address", "link to the https address", "target"),
    "link to a redirect": Rule(
        "notice", "a link whose address redirects once", "link straight to the final address", "target"),
    "link text that says nothing": Rule(
        "notice", "a link whose text says nothing of where it leads ({generic_anchors}…)",
        "write a link text that says where it leads", "link"),
    "page only one other page links to": Rule(
        "notice", "only one page of the site links here", "link to it from more related pages", "page"),
    "page many clicks from the home page": Rule(
        "notice", "more than {max_click_depth} clicks from the home page",
        "link to it from pages closer to the home page", "page"),
    "link the other site would not let us check": Rule(
        "notice", "the other site refused the checker as a robot (401, 403, 429, 999): it may work for people",
        "open it in a browser to make sure it works", "target"),
}
# the names of earlier versions, so that a run compares with runs made before the names changed
ALIASES = {
    "broken internal link": "broken link to a page of the site", "broken external link": "broken link to another site",
    "invalid link": "malformed link",
    "affiliate link without sponsored/nofollow": "affiliate link not marked sponsored",
    "sitemap URL broken": "broken page in the sitemap", "too many external links": "too many links to other sites",
    "high link density": "too much of the text is links",
    "no internal link in content": "no link to the site in the article text",
    "no internal link in the article text": "no link to the site in the article text",
    "dead end": "page with no links", "orphan page": "page no other page links to",
    "sitemap URL redirects": "redirecting page in the sitemap",
    "sitemap URL noindex": "page in the sitemap hidden from search", "redirect chain": "link through several redirects",
    "link target error": "link that could not be checked",
    "internal link with nofollow": "link to the site marked nofollow", "empty anchor": "link with no text",
    "HTTPS page links to HTTP": "link to an insecure address", "redirecting link": "link to a redirect",
    "non-descriptive anchor": "link text that says nothing",
    "only one internal inlink": "page only one other page links to",
    "deep page": "page many clicks from the home page",
    "unverified external link": "link the other site would not let us check",
}
GROUPS = {name: rule.group for name, rule in ISSUES.items()}
TO_DO = {name: rule.do for name, rule in ISSUES.items()}


def rule_words(config: Config) -> dict[str, str]:
    """What each finding means, thresholds in words (the settings' names are on the Summary's thresholds)."""
    values = {"max_links": config.max_links, "max_external_links": config.max_external_links,
              "max_link_density": config.max_link_density, "min_content_words": config.min_content_words,
              "max_click_depth": config.max_click_depth,
              "generic_anchors": ", ".join(f"'{a}'" for a in config.generic_anchors[:3])}
    return {name: rule.means.format(**values) for name, rule in ISSUES.items()}


ISSUE_COLUMNS = ["todo", "severity", "issue", "title", "page", "url", "anchor", "detail", "position", "editorial",
                 "template", "sitewide_pages", "open", "link_path"]
# the Links sheet keeps what an editor filters on (each column costs ~7 % of the report's time at 50,000 rows); every
# column stays in the links table, and the Issues sheet has the XPath and the pages with the same link
LINK_SHEET_COLUMNS = ["page", "url", "kind", "anchor", "position", "editorial", "template", "rel", "result",
                      "final_url", "open"]
PAGE_SHEET_COLUMNS = ["url", "title", "status", "depth", "words", "flags", "outlinks", "editorial_links",
                      "internal_editorial_links", "template_links", "links_per_100_words", "link_text_share",
                      "internal_outlinks",
                      "external_outlinks", "affiliate_outlinks", "nofollow_outlinks", "unique_inlinks", "inlinks",
                      "in_sitemap", "canonical_of", "redirect_target", "error"]
WEB_KINDS = ("internal", "external", "affiliate")
# the links table's columns the report reads (the others stay in the table): memory grows with link rows
REPORT_LINK_COLUMNS = list(dict.fromkeys([*LINK_SHEET_COLUMNS, "href", "affiliate_rule", "anchor_source", "error",
                                          "follow", "status", "sitewide_pages", "link_path", "text_before",
                                          "text_after"]))
REPORT_LINK_COLUMNS.remove("open")
OPEN_FACTS = ["text_before", "text_after", "ambiguous"]  # what open_at needs beside page and anchor


@dataclass
class Report:
    """Everything the workbook shows, as DataFrames and a summary dict."""

    folder: Path
    meta: dict[str, Any]
    config: Config
    pages: pd.DataFrame
    issues: pd.DataFrame
    links: pd.DataFrame  # the Links sheet's rows (see SheetLinks)
    outbound: pd.DataFrame
    affiliate: pd.DataFrame
    anchors: pd.DataFrame
    counts: dict[str, Any] = field(default_factory=dict)
    todo: pd.DataFrame | None = None  # one row per thing to fix (linkcrawler.todo)
    duplicates: int = 0  # pages declaring another crawled page canonical: their findings are left out
    changes: pd.DataFrame | None = None  # against ``previous``, when there is one
    news: pd.DataFrame | None = None  # the changes grouped by cause, one row each
    previous: Path | None = None
    previous_counts: dict[str, int] | None = None  # issues by severity and by issue in the previous run
    history: pd.DataFrame | None = None  # findings by severity in the site's earlier runs, oldest first


def _issue_rows(issue: str, frame: pd.DataFrame, detail: pd.Series | str) -> pd.DataFrame:
    """The findings of one rule on the rows of ``frame`` (link rows, or pages with ``page``)."""
    rows = pd.DataFrame({
        "severity": ISSUES[issue].severity,
        "issue": issue,
        "page": frame["page"].to_numpy(),
        "url": frame["url"].to_numpy() if "url" in frame else "",
        "anchor": frame["anchor"].to_numpy() if "anchor" in frame else "",
        "position": frame["position"].to_numpy() if "position" in frame else "",
        "detail": detail.to_numpy() if isinstance(detail, pd.Series) else detail,
    })
    for column in ("editorial", "template", "sitewide_pages", "link_path", *OPEN_FACTS):
        rows[column] = frame[column].to_numpy() if column in frame else pd.NA
    return rows


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype("string")


def _without_query(urls: pd.Series) -> pd.Series:
    return urls.str.replace(r"[?#].*", "", regex=True)


def qualified(rel: pd.Series) -> pd.Series:
    """Whether each rel has ``sponsored`` or ``nofollow``, the qualification Google asks of affiliate links."""
    tokens = " " + _text(rel) + " "
    return tokens.str.contains(" sponsored ", regex=False) | tokens.str.contains(" nofollow ", regex=False)


def ambiguous(links: pd.DataFrame) -> pd.Series:
    """Whether each link's text may match elsewhere on its page: it repeats among the page's links, or is a word
    or two long. A chunk holds whole pages."""
    anchors = _text(links["anchor"])
    return pd.Series(links.duplicated(["page", "anchor"], keep=False).to_numpy() | (
        anchors.str.count(" ").fillna(0) < 2).to_numpy(), index=links.index)


def open_at(rows: pd.DataFrame) -> pd.Series:
    """For each row (``page``, ``anchor`` and the :data:`OPEN_FACTS`), the page's URL with a text fragment that
    opens it scrolled to the link, neighbouring words added where its text is ambiguous; the page's URL for a row
    without a link. Worked out only for the rows the sheets show."""
    if not len(rows):
        return pd.Series(dtype="string", index=rows.index)
    anchors = _text(rows["anchor"]) if "anchor" in rows else pd.Series("", index=rows.index, dtype="string")
    before, after = _text(rows["text_before"]), _text(rows["text_after"])
    context = rows["ambiguous"].fillna(False).astype(bool)
    return pd.Series([text_fragment(p, a, b, f, r) for p, a, b, f, r in zip(
        *(c.to_numpy(dtype=object) for c in (rows["page"], anchors, before, after)), context.to_numpy(), strict=True)],
        index=rows.index, dtype="string")


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
    broken_detail = ("answers " + status).where(status != "", "no answer") + (", ends at " + final).where(moved, "")
    add("broken link to a page of the site", internal & (result == "broken"), broken_detail)
    add("broken link to another site", ext & (result == "broken"), broken_detail)
    errors = _text(links["error"])
    invalid = (kind == "invalid") | errors.str.contains("empty href", regex=False)
    if invalid.any():
        rows = links[invalid].assign(url=_text(links["href"])[invalid])
        found.append(_issue_rows("malformed link", rows, errors[invalid]))
    rel = _text(links["rel"])
    tokens = " " + rel + " "
    add("affiliate link not marked sponsored", (kind == "affiliate") & ~qualified(links["rel"]),
        ("marked " + rel).where(rel != "", "no rel"))
    # a cloaked affiliate link is meant to redirect: only its end matters
    redirecting = (result == "redirect") & (kind != "affiliate")
    add("link through several redirects", redirecting & (redirects > 1),
        redirects.astype("string") + " redirects, ends at " + final)
    add("link to a redirect", redirecting & (redirects <= 1), "redirects to " + final)
    add("link that could not be checked", result == "error", "error")
    add("link the other site would not let us check", result == "unverified", "answers " + status)
    # nofollow on a link to the page itself (share, print and reply buttons: ?share=x, ?replytocom=3#respond) is
    # what themes do on purpose: it keeps crawlers off the page's actions
    own = _without_query(_text(links["url"])) == _without_query(_text(links["page"]))
    add("link to the site marked nofollow", internal & tokens.str.contains(" nofollow ", regex=False) & ~own,
        "marked " + rel)
    web = kind.isin(WEB_KINDS)
    add("link with no text", web & (links["anchor_source"] == "none"), "")
    anchor = _text(links["anchor"]).str.lower().str.strip(" .!:>»→")
    add("link text that says nothing", web & anchor.isin(config.generic_anchors), "")
    add("link to an insecure address",
        links["page"].str.startswith("https://") & _text(links["url"]).str.startswith("http://"), "")
    if found and "link that could not be checked" in {f["issue"].iat[0] for f in found}:
        words = targets.set_index("url")["error"]
        for i, frame in enumerate(found):
            if frame["issue"].iat[0] == "link that could not be checked":
                found[i] = frame.assign(detail=frame["url"].map(words).fillna(""))
    return found


def _links(counts: pd.Series) -> pd.Series:
    """``1 link``, ``113 links``."""
    return counts.astype("string") + pd.Series(" links", index=counts.index).where(counts != 1, " link")


def percent_above(share: pd.Series, limit: float) -> pd.Series:
    """Shares above ``limit`` as percentages in words, with the decimals it takes to read them above the limit as
    it is shown (10.04%, not 10%, above a limit of 10%); whole numbers otherwise, one decimal where it shows
    (12.5%)."""
    shown = pd.Series("", index=share.index, dtype="string")
    todo = share.notna()
    for decimals in (0, 1, 2, 3, 4):
        value = (share * 100).round(decimals)
        exact = ((share * 100).round(decimals + 1) - value).abs() < 10 ** -(decimals + 1) / 2
        clear = value > round(limit * 100, decimals)
        done = todo & clear & (exact | (decimals >= 1))
        text = value.map(lambda v, d=decimals: f"{v:.{d}f}%" if pd.notna(v) else "")
        shown = shown.mask(done, text)
        todo &= ~done
    return shown.mask(todo, (share * 100).map(lambda v: f"{v:g}%" if pd.notna(v) else ""))


def page_flags(pages: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The Pages sheet with each page's flags in words, and one issue row per flagged page. Words, density and
    content links are those of the article text (the page's main text and its editorial links). Limits are
    compared with the exact values; the details show them rounded."""
    pages = pages.copy()
    redirect = pages["redirect_target"].fillna("") != ""
    html = (pages["content_type"].fillna("").str.contains("html", case=False) & pages["status"].between(200, 299)
            & ~redirect)
    words = pages["words"].astype("Float64")
    pages["links_per_100_words"] = (pages["editorial_links"] / words * 100).round(1).where(words > 0)
    density = pages["editorial_link_words"] / words
    pages["link_text_share"] = density.where(words > 0)
    redirected_to = set(pages["redirect_target"].dropna())
    in_sitemap = pages["in_sitemap"].fillna(False).astype(bool) if "in_sitemap" in pages else pd.Series(
        False, index=pages.index)
    enough_words = words >= config.min_content_words
    external = pages["external_outlinks"] + pages["affiliate_outlinks"]
    # no article text at all, but links: a page that lists others (home, categories, tags, an author's posts)
    lists = (words == 0) & (pages["outlinks"] > 0)
    rules = [
        ("too many links", html & (pages["outlinks"] > config.max_links),
         _links(pages["outlinks"]) + f" (more than {config.max_links})"),
        ("too many links to other sites", html & (external > config.max_external_links),
         _links(external) + f" to other sites (more than {config.max_external_links})"),
        ("too much of the text is links", html & enough_words & (density > config.max_link_density),
         percent_above(density, config.max_link_density) + " of the text is links (more than "
         + f"{config.max_link_density * 100:g}%)"),
        ("no link to the site in the article text", html & enough_words & (pages["internal_editorial_links"] == 0),
         pages["words"].astype("string") + " words of text, no link to another page of the site"),
        ("thin page", html & ~enough_words & words.notna() & ~lists,
         pages["words"].astype("string") + f" words of article text (fewer than {config.min_content_words})"),
        ("page with no links", html & (pages["outlinks"] == 0), "no links"),
        ("page no other page links to", html & (pages["depth"].fillna(1) > 0) & (pages["unique_inlinks"] == 0)
         & ~pages["url"].isin(redirected_to),
         pd.Series("no page links here", index=pages.index).where(~in_sitemap, "in the sitemap, no page links here")),
        ("broken page in the sitemap", in_sitemap & ((pages["status"] >= 400) | pages["status"].isna()),
         ("answers " + pages["status"].astype("string")).fillna(pages["error"].fillna(""))),
        ("redirecting page in the sitemap", in_sitemap & (pages["redirect_target"].fillna("") != ""),
         "redirects to " + pages["redirect_target"].fillna("")),
        ("page in the sitemap hidden from search", in_sitemap & pages["noindex"].fillna(False).astype(bool),
         "noindex"),
        ("page only one other page links to", html & (pages["unique_inlinks"] == 1), "1 page links here"),
        ("page many clicks from the home page", html & (pages["depth"] > config.max_click_depth),
         pages["depth"].astype("string") + f" clicks (more than {config.max_click_depth})"),
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
        self.keep = [c for c in LINK_SHEET_COLUMNS if c != "open"] + OPEN_FACTS  # what the sheet needs
        self.notable: list[pd.DataFrame] = []
        self.others: list[pd.DataFrame] = []
        self.counts = [0, 0]  # notable, others seen

    def add(self, links: pd.DataFrame) -> None:
        notable = links["result"].isin(NOTABLE_RESULTS).fillna(False) | links["kind"].isin(["affiliate", "invalid"])
        # held as Arrow strings: a third of the memory of Python strings, for up to LINKCRAWLER_LINKS_SHEET_ROWS rows
        links = links[self.keep].astype({c: "string[pyarrow]" for c in self.keep
                                         if pd.api.types.is_string_dtype(links[c].dtype)})
        if not self.most:
            self.others.append(links)
            return
        for i, (kept, mask) in enumerate(((self.notable, notable), (self.others, ~notable))):
            room = self.most - self.counts[i]
            if room > 0:
                kept.append(links[mask].head(room))
            self.counts[i] += int(mask.sum())

    def rows(self, columns: list[str]) -> pd.DataFrame:
        """The rows, with ``columns``; ``open`` is worked out here, for the rows kept."""
        room = self.most - min(self.counts[0], self.most)
        others = pd.concat(self.others) if self.others else None
        if self.most and others is not None:
            others = others.head(room)
        frames = [f for f in (*self.notable, others) if f is not None]
        kept = pd.concat(frames).sort_index() if len(frames) > 1 else frames[0]
        return kept.assign(open=open_at(kept))[columns]


class Anchors:
    """The Anchors sheet, gathered chunk by chunk: each (target, anchor) of web links with how many links and
    pages use it. A page's link rows are contiguous in the links table (written together), so a chunk cut at a
    page boundary counts each page once."""

    def __init__(self) -> None:
        self.done: pd.DataFrame | None = None
        self.pending: list[pd.DataFrame] = []
        self.pending_rows = 0

    def add(self, links: pd.DataFrame) -> None:
        web = links.loc[links["kind"].isin(WEB_KINDS).to_numpy(dtype=bool), ["url", "anchor", "page", "kind"]]
        # grouped by a 64-bit hash of (url, anchor), not by the strings: a tenth of the memory and time (two pairs
        # of 1e8 sharing a hash, odds 5e-12, would be counted as one)
        key = pd.util.hash_pandas_object(web[["url", "anchor"]], index=False).to_numpy()
        pages = pd.DataFrame({"key": key, "page": pd.factorize(web["page"])[0]}).drop_duplicates()
        counts = pd.DataFrame({"links": pd.Series(key).value_counts(sort=False),
                               "pages": pages["key"].value_counts(sort=False)})
        firsts = web[["url", "anchor", "kind"]].set_axis(key).loc[~pd.Index(key).duplicated()]
        part = counts.join(firsts)
        self.pending.append(part)
        self.pending_rows += len(part)
        if self.pending_rows > max(len(self.done) if self.done is not None else 0, 100_000):
            self._combine()  # in steps that at least double: linear in all

    def _combine(self) -> None:
        frames = ([self.done] if self.done is not None else []) + self.pending
        self.pending, self.pending_rows = [], 0
        if frames:
            self.done = pd.concat(frames).groupby(level=0, sort=False).agg(
                links=("links", "sum"), pages=("pages", "sum"), url=("url", "first"), anchor=("anchor", "first"),
                kind=("kind", "first"))

    def table(self) -> pd.DataFrame:
        self._combine()
        if self.done is None:
            return pd.DataFrame(columns=["url", "kind", "anchor", "links", "pages", "share", "anchors_for_url"])
        anchors = self.done.reset_index(drop=True)
        totals = anchors.groupby("url")["links"].transform("sum")
        anchors["share"] = (anchors["links"] / totals).round(3)
        anchors["anchors_for_url"] = anchors.groupby("url")["anchor"].transform("size")
        return anchors.sort_values(["links", "url"], ascending=[False, True])[
            ["url", "kind", "anchor", "links", "pages", "share", "anchors_for_url"]]


def build_report(folder: Path | str, config: Config | None = None, chunk_rows: int = 20_000) -> Report:
    """Read a run folder's tables and work out every flag, the to-do list and every sheet. The links table is read
    ``chunk_rows`` rows at a time: memory grows with pages and findings, not with link rows."""
    folder = Path(folder)
    config = config or Config()
    meta = read_meta(folder)
    pages = read_table(folder, "pages")
    targets = read_table(folder, "targets")

    found: list[pd.DataFrame] = []
    affiliate: list[pd.DataFrame] = []
    anchors, sheet = Anchors(), SheetLinks(config.links_sheet_rows)
    counts: dict[str, Any] = {"kind": Counter(), "position": Counter(), "follow": Counter(), "links": 0,
                              "layout": Counter()}
    for links in whole_pages(read_frames(folder, "links", REPORT_LINK_COLUMNS, rows=chunk_rows)):
        links["ambiguous"] = ambiguous(links)
        found += link_issues(links, targets, config)
        aff = links[links["kind"] == "affiliate"]
        affiliate.append(aff[["page", "url", "anchor", "position", "rel", "affiliate_rule", "final_url",
                              "result", *OPEN_FACTS]].assign(qualified=qualified(aff["rel"])))
        anchors.add(links)
        sheet.add(links)
        counts["links"] += len(links)
        for column in ("kind", "position"):
            counts[column].update(links[column].value_counts().to_dict())
        counts["follow"].update({("follow" if k else "nofollow"): v
                                 for k, v in links["follow"].value_counts().to_dict().items()})
        role = pd.Series("other", index=links.index).mask(links["template"].fillna(False).astype(bool), "template")
        role = role.mask(links["editorial"].fillna(False).astype(bool), "editorial")
        counts["layout"].update(pd.MultiIndex.from_arrays([links["position"], role]).value_counts().to_dict())
    pages, page_found = page_flags(pages, config)
    issues = pd.concat(page_found + found, ignore_index=True) if page_found or found else _issue_rows(
        "malformed link", pd.DataFrame({"page": pd.Series(dtype="string")}), "")

    # a page that declares another crawled page its canonical is that page's duplicate: its findings are the
    # other page's, so they are not counted twice
    duplicate = pages["canonical_of"].fillna("").ne("") if "canonical_of" in pages else pd.Series(
        False, index=pages.index)
    issues = issues[~issues["page"].isin(pages.loc[duplicate, "url"])].reset_index(drop=True)
    facts = pages.drop_duplicates("url").set_index("url")[["title", "unique_inlinks"]]
    issues["title"] = issues["page"].map(facts["title"]).fillna("")
    issues["open"] = open_at(issues)
    issues["place"] = _text(issues["link_path"]).map(place)
    issues = todo.in_order(issues, facts).reset_index(drop=True)
    todo_rows, numbers = todo.build(issues, GROUPS, TO_DO, facts)
    issues["todo"] = numbers
    issues = issues.sort_values("todo", kind="stable").reset_index(drop=True)

    outbound = targets[targets["kind"].isin(["external", "affiliate"])][[
        "url", "kind", "result", "status", "final_url", "final_status", "redirects", "error", "detail",
        "unique_inlinks", "inlinks", "checked_at"]].sort_values(["result", "unique_inlinks"], ascending=[True, False])
    affiliate_columns = ["page", "url", "anchor", "position", "rel", "qualified", "affiliate_rule", "final_url",
                         "result", "open"]
    affiliate_rows = pd.concat(affiliate, ignore_index=True) if affiliate else pd.DataFrame(
        columns=[*affiliate_columns, *OPEN_FACTS])
    affiliate_rows = affiliate_rows.assign(open=open_at(affiliate_rows))[affiliate_columns]

    counts = {key: dict(value.most_common()) if isinstance(value, Counter) else value for key, value in counts.items()}
    counts["severity"] = issues["severity"].value_counts().to_dict()
    counts["issue"] = issues["issue"].value_counts().to_dict()
    html = pages[pages["words"].notna() & pages["depth"].notna() & ~duplicate]
    counts["depth"] = {int(k): int(v) for k, v in html["depth"].value_counts().sort_index().items()}
    by_severity = issues.groupby(["page", "severity"]).size().unstack(fill_value=0).reindex(
        columns=list(SEVERITIES), fill_value=0)
    most = by_severity.assign(_all=by_severity.sum(axis=1)).sort_values(
        ["_all", "error", "warning"], ascending=False, kind="stable").head(10)
    counts["worst_pages"] = [(page, facts["title"].get(page, "") or "", *map(int, row[list(SEVERITIES)]))
                             for page, row in most.iterrows()]
    return Report(folder, meta, config, pages[PAGE_SHEET_COLUMNS], issues[ISSUE_COLUMNS],
                  sheet.rows(LINK_SHEET_COLUMNS), outbound, affiliate_rows, anchors.table(), counts,
                  todo=todo_rows, duplicates=int(duplicate.sum()))
