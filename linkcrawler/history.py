"""Site health over time: what changed since another run of the same site, and a short summary to paste.

Rows of the ``changes`` table say ``new``/``fixed`` (issues, broken links), ``added``/``removed`` (pages, links)
or ``removed`` for inlinks that dropped, with what they are about in ``what``; ``changed`` rows with ``what`` =
``setting`` name the settings the two runs differ in.

A run compares with the site's last good run (:func:`linkcrawler.runfolder.baseline_run`), never with a failed or
unfinished one, and only with an earlier run of the same site.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from linkcrawler.health import PageFact, run_status, status_line
from linkcrawler.runfolder import baseline_run, read_meta, run_state, site_dirname
from linkcrawler.tables import read_frames, read_table

logger = logging.getLogger(__name__)

CHANGE_COLUMNS = ["change", "what", "severity", "issue", "page", "url", "anchor", "detail"]
BROKEN = ("broken internal link", "broken external link")


def previous_run(folder: Path) -> Path | None:
    """The run ``folder`` compares with: the site's last good run before it (see ``baseline_run``)."""
    return baseline_run(folder.parent, before=folder.name)


def site_of(meta: dict) -> str:
    """A run's site as the run folders name it: the start URL's host, and port when it names one."""
    return site_dirname(meta.get("start_url", "")) if meta.get("start_url") else ""


def oldest_first(first: Path, second: Path) -> tuple[Path, Path]:
    """Two run folders, the earlier-started first (by run.json's ``started_at``, else the folder name)."""
    def started(folder: Path) -> str:
        return read_meta(folder).get("started_at") or folder.name

    return (second, first) if started(second) < started(first) else (first, second)


def refusal(old: Path, new: Path) -> str:
    """Why run ``new`` cannot be compared with run ``old`` (one sentence), or '' when it can: both runs of the
    same site (host and port), ``old`` started first, neither failed nor unfinished."""
    old_meta, new_meta = read_meta(old), read_meta(new)
    if site_of(old_meta) != site_of(new_meta):
        return (f"{old} and {new} are runs of different sites ({site_of(old_meta) or '?'}, "
                f"{site_of(new_meta) or '?'})")
    if oldest_first(old, new)[0] != old:
        return f"{old} started after {new}: give the older run first"
    for folder, meta in ((old, old_meta), (new, new_meta)):
        state = run_state(meta)
        if state in ("failed", "unfinished"):
            why = f": {meta['status_reason']}" if meta.get("status_reason") else ""
            return f"{folder} is a {state} run{why}"
    return ""


def read_issues(folder: Path) -> pd.DataFrame:
    """The issues a run's report found (``issues.csv``, written with the report)."""
    path = folder / "issues.csv"
    if not path.exists():
        from linkcrawler.report import build_report

        return build_report(folder).issues
    return pd.read_csv(path, dtype="string", keep_default_na=False)


def _key(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    key = frame[columns[0]].fillna("").astype("string")
    for column in columns[1:]:
        key = key + "\x1f" + frame[column].fillna("").astype("string")
    return key


def _link_keys(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's (page, url): 8 bytes a link instead of two strings."""
    return pd.util.hash_pandas_object(frame[["page", "url"]].fillna(""), index=False).to_numpy()


def removed_links(old: Path, new: Path, kept_pages: set[str], rows: int = 200_000) -> pd.DataFrame:
    """Links (page, url) of run ``old`` on ``kept_pages`` that run ``new`` no longer has, once each. Both links
    tables are read a chunk at a time; the new run's links are held as sorted 64-bit hashes (a removed link whose
    hash equals one of 100M new links, odds 1e8 / 2**64 ≈ 5e-12, would go unreported)."""
    new_keys = np.unique(np.concatenate([_link_keys(f) for f in read_frames(new, "links", ["page", "url"], rows)]))
    kept_index = pd.Index(list(kept_pages), dtype="string")  # hashed once: isin(set) re-hashes the set each call
    gone, seen = [], set()
    for chunk in read_frames(old, "links", ["page", "url", "anchor"], rows):
        keys = _link_keys(chunk)
        at = np.searchsorted(new_keys, keys).clip(max=max(len(new_keys) - 1, 0))
        missing = new_keys[at] != keys if len(new_keys) else np.ones(len(keys), dtype=bool)
        chunk, keys = chunk[missing], keys[missing]  # few rows from here on
        kept = (kept_index.get_indexer(chunk["page"]) >= 0) & ~pd.Index(keys).duplicated() & ~np.isin(
            keys, np.fromiter(seen, np.uint64, len(seen)))
        seen.update(keys[kept].tolist())
        if kept.any():
            gone.append(chunk[kept])
    return pd.concat(gone, ignore_index=True) if gone else pd.DataFrame(columns=["page", "url", "anchor"])


def compare(old: Path, new: Path, new_issues: pd.DataFrame) -> pd.DataFrame:
    """The changes from run ``old`` to run ``new`` (whose issues are ``new_issues``)."""
    old_issues = read_issues(old)
    parts = []
    columns = ["issue", "page", "url"]
    old_keys, new_keys = set(_key(old_issues, columns)), set(_key(new_issues, columns))
    for change, frame, keys, other in (("new", new_issues, _key(new_issues, columns), old_keys),
                                       ("fixed", old_issues, _key(old_issues, columns), new_keys)):
        rows = frame[~keys.isin(other)] if len(frame) else frame
        if len(rows):
            what = rows["issue"].map(lambda i: "broken link" if i in BROKEN else "issue")
            parts.append(rows.assign(change=change, what=what)[CHANGE_COLUMNS])

    old_pages = read_table(old, "pages", ["url", "status", "unique_inlinks"])
    new_pages = read_table(new, "pages", ["url", "status", "unique_inlinks"])
    added = new_pages[~new_pages["url"].isin(old_pages["url"])]
    removed = old_pages[~old_pages["url"].isin(new_pages["url"])]
    for change, rows in (("added", added), ("removed", removed)):
        if len(rows):
            parts.append(pd.DataFrame({"change": change, "what": "page", "severity": "", "issue": "",
                                       "page": rows["url"].to_numpy(), "url": "", "anchor": "",
                                       "detail": ("status " + rows["status"].astype("string")).fillna(
                                           "no status").to_numpy()}))
    both = old_pages.merge(new_pages, on="url", suffixes=("_old", "_new"), how="right")
    server = (both["status_new"] >= 500) & ~(both["status_old"] >= 500).fillna(False)
    server = server.fillna(False).astype(bool)
    if server.any():
        rows = both[server]
        parts.append(pd.DataFrame({"change": "new", "what": "page", "severity": "error", "issue": "server error page",
                                   "page": rows["url"].to_numpy(), "url": "", "anchor": "",
                                   "detail": ("status " + rows["status_new"].astype("string")).to_numpy()}))
    both = both.dropna(subset=["status_old", "unique_inlinks_old"], how="all")
    both = both[both["url"].isin(old_pages["url"])]
    dropped = both[both["unique_inlinks_new"] < both["unique_inlinks_old"]]
    if len(dropped):
        parts.append(pd.DataFrame({
            "change": "removed", "what": "inlinks", "severity": "", "issue": "", "page": dropped["url"].to_numpy(),
            "url": "", "anchor": "",
            "detail": (dropped["unique_inlinks_old"].astype("string") + " → " + dropped["unique_inlinks_new"].astype(
                "string") + " pages link here").to_numpy()}))

    gone = removed_links(old, new, set(both["url"]))
    if len(gone):
        parts.append(gone.assign(change="removed", what="link", severity="", issue="", detail="")[CHANGE_COLUMNS])
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in CHANGE_COLUMNS})
    return pd.concat(parts, ignore_index=True).fillna("").astype("string")


def with_settings(changes: pd.DataFrame, differences: list[str]) -> pd.DataFrame:
    """The changes with one ``changed``/``setting`` row per setting that differs (``NAME: old → new``)."""
    if not differences:
        return changes
    rows = pd.DataFrame({c: "" for c in CHANGE_COLUMNS}, index=range(len(differences)))
    rows = rows.assign(change="changed", what="setting", detail=differences)
    return pd.concat([rows, changes], ignore_index=True).fillna("").astype("string")


def page_facts(pages: pd.DataFrame) -> dict[str, PageFact]:
    """The run-status facts of a pages table (``content_type`` when it has the column)."""
    def text(column: str) -> pd.Series:
        return pages[column].fillna("").astype(str) if column in pages else pd.Series("", index=pages.index)

    statuses = [None if pd.isna(s) else int(s) for s in pages["status"]]
    return {url: PageFact(status, error, target, kind) for url, status, error, target, kind in zip(
        pages["url"], statuses, text("error"), text("redirect_target"), text("content_type"), strict=True)}


def run_line(meta: dict, pages: pd.DataFrame) -> str:
    """The summary's first line: the run's status and why (run.json's, else worked out from the pages)."""
    if not meta.get("finished_at"):
        return status_line("unfinished", "the crawl has not finished (still running, killed, or stopped to resume)")
    status, sentence = meta.get("status"), meta.get("status_reason")
    if not status:
        status, sentence = run_status(meta, page_facts(pages))
    return status_line(status, sentence)


def new_errors(changes: pd.DataFrame) -> int:
    """New error-severity findings: broken links, unqualified affiliate links, invalid links, new 5xx pages."""
    return int(((changes["change"] == "new") & (changes["severity"] == "error")).sum())


def summary_markdown(report: object, changes: pd.DataFrame | None, previous: Path | None) -> str:
    """A short plain-text/markdown summary of a run, fit to paste into an email or a chat."""
    meta, counts = report.meta, report.counts
    lines = [run_line(meta, report.pages), "", f"# Link report for {meta.get('start_url', '')}", "",
             f"Crawl of {meta.get('started_at', '')[:16].replace('T', ' ')} UTC: {len(report.pages)} pages, "
             f"{report.counts['links']} links.", ""]
    previous_counts = report.previous_counts or {}
    for severity in ("error", "warning", "notice"):
        n = counts["severity"].get(severity, 0)
        delta = ""
        if previous is not None:
            d = n - previous_counts.get(severity, 0)
            delta = f" ({d:+d} since the last run)"
        lines.append(f"- {severity}s: {n}{delta}")
    lines.append("")
    if changes is not None and previous is not None:
        new = changes[changes["change"] == "new"]
        lines.append(f"Compared with {previous.name}: {len(new)} new findings, "
                     f"{int((changes['change'] == 'fixed').sum())} fixed, "
                     f"{int(((changes['what'] == 'page') & (changes['change'] == 'added')).sum())} pages added, "
                     f"{int(((changes['what'] == 'page') & (changes['change'] == 'removed')).sum())} removed.")
        differing = changes[(changes["change"] == "changed") & (changes["what"] == "setting")]
        if len(differing):
            lines.append("Settings differ from that run: " + "; ".join(differing["detail"]) + ".")
        errors = new[new["severity"] == "error"].head(10)
        if len(errors):
            lines += ["", "New errors:"]
            lines += [f"- {r.issue}: {r.url or r.page} (on {r.page})" for r in errors.itertuples()]
        lines.append("")
    top = counts["issue"]
    if top:
        lines.append("Most frequent: " + ", ".join(f"{k} ({v})" for k, v in sorted(top.items(),
                                                                                  key=lambda kv: -kv[1])[:5]) + ".")
    lines += ["", f"Workbook: {report.folder / 'report.xlsx'}", ""]
    return "\n".join(lines)
