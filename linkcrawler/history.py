"""Site health over time: what changed since another run of the same site, and a short summary to paste.

Rows of the ``changes`` table say ``new``/``fixed`` (issues, broken links), ``added``/``removed`` (pages, links)
or ``removed`` for inlinks that dropped, with what they are about in ``what``; ``changed`` rows with ``what`` =
``setting`` name the settings the two runs differ in.

A run compares with the site's last good run (:func:`linkcrawler.runfolder.baseline_run`), never with a failed or
unfinished one, and only with an earlier run of the same site.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from linkcrawler.health import PageFact, run_status, status_line
from linkcrawler.runfolder import baseline_run, read_meta, run_state, site_dirname
from linkcrawler.tables import read_frames, read_table, whole_pages
from linkcrawler.todo import counted, site_relative

logger = logging.getLogger(__name__)

CHANGE_COLUMNS = ["change", "what", "severity", "issue", "page", "url", "anchor", "detail"]


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
    """The issues a run's report found (``issues.csv``, written with the report), with today's names."""
    from linkcrawler.report import ALIASES

    path = folder / "issues.csv"
    if not path.exists():
        from linkcrawler.report import build_report

        return build_report(folder).issues.astype("string").fillna("")
    issues = pd.read_csv(path, dtype="string", keep_default_na=False)
    issues["issue"] = issues["issue"].replace(ALIASES)
    return issues


def _key(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    key = frame[columns[0]].fillna("").astype("string")
    for column in columns[1:]:
        key = key + "\x1f" + frame[column].fillna("").astype("string")
    return key


def _link_keys(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each link occurrence: (page, url, link text, which occurrence of those on the page), 8 bytes
    a link. ``frame`` holds whole pages."""
    keyed = frame[["page", "url", "anchor"]].fillna("")
    keyed = keyed.assign(n=keyed.groupby(["page", "url", "anchor"], sort=False).cumcount())
    return pd.util.hash_pandas_object(keyed, index=False).to_numpy()


def removed_links(old: Path, new: Path, kept_pages: set[str], rows: int = 200_000) -> pd.DataFrame:
    """Link occurrences of run ``old`` on ``kept_pages`` that run ``new`` no longer has: a page's second link to
    the same address with the same text counts, a link whose text changed is removed and added. Both links tables
    are read a chunk of whole pages at a time; the new run's links are held as sorted 64-bit hashes (a removed
    link whose hash equals one of 100M new links, odds 1e8 / 2**64 ≈ 5e-12, would go unreported). With the runs
    swapped, the links ``new`` added."""
    columns = ["page", "url", "anchor"]
    new_keys = np.unique(np.concatenate([_link_keys(f) for f in whole_pages(read_frames(new, "links", columns,
                                                                                           rows))]))
    kept_index = pd.Index(list(kept_pages), dtype="string")  # hashed once: isin(set) re-hashes the set each call
    gone = []
    for chunk in whole_pages(read_frames(old, "links", columns, rows)):
        keys = _link_keys(chunk)
        at = np.searchsorted(new_keys, keys).clip(max=max(len(new_keys) - 1, 0))
        missing = new_keys[at] != keys if len(new_keys) else np.ones(len(keys), dtype=bool)
        chunk = chunk[missing]  # few rows from here on
        kept = kept_index.get_indexer(chunk["page"]) >= 0
        if kept.any():
            gone.append(chunk[kept])
    return pd.concat(gone, ignore_index=True) if gone else pd.DataFrame(columns=columns)


def _frame(change: str, what: str, pages: Any, detail: Any, cause: Any, **columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame({"change": change, "what": what, "page": pages, "detail": detail, "cause": cause})
    for column in CHANGE_COLUMNS:
        if column not in frame:
            frame[column] = columns.get(column, "")
    return frame


def compare(old: Path, new: Path, new_issues: pd.DataFrame) -> pd.DataFrame:
    """The changes from run ``old`` to run ``new`` (whose issues are ``new_issues``), one row per change, each with
    its ``cause``: the news line it belongs to (see :func:`news`).

    A finding that went away because its page went away (no longer crawled, or now answering an error) is not
    "fixed": it left with its page. New broken links to a page that answered in the old run and is gone now are
    that page's removal."""
    from linkcrawler.report import ISSUES

    old_issues = read_issues(old)
    new_issues = new_issues.astype("string").fillna("")
    columns = ["url", "status", "unique_inlinks", "title", "canonical_of"]
    old_pages, new_pages = read_table(old, "pages", columns), read_table(new, "pages", columns)
    # copies (a page naming another page canonical: Jetpack's ?relatedposts_hit=…, print views) come and go with
    # the links to them; their findings are their original's, their changes are no news
    copies = set(old_pages.loc[old_pages["canonical_of"].fillna("") != "", "url"]) | set(
        new_pages.loc[new_pages["canonical_of"].fillna("") != "", "url"])
    old_urls, new_urls = set(old_pages["url"]) - copies, set(new_pages["url"]) - copies
    ok_before = set(old_pages.loc[old_pages["status"].between(200, 299).fillna(False), "url"])
    ok_now = set(new_pages.loc[new_pages["status"].between(200, 299).fillna(False), "url"])
    answers = new_pages.set_index("url")["status"].astype("string").fillna("no answer")
    parts = []
    keys = ["issue", "page", "url"]
    old_keys, new_keys = set(_key(old_issues, keys)), set(_key(new_issues, keys))
    for change, frame, other in (("new", new_issues, old_keys), ("fixed", old_issues, new_keys)):
        rows = frame[~_key(frame, keys).isin(other)] if len(frame) else frame
        if change == "fixed":  # findings of pages that went away left with them
            rows = rows[rows["page"].isin(ok_now)]
        if not len(rows):
            continue
        group = rows["issue"].map(lambda i: ISSUES[i].group if i in ISSUES else "page")
        broken = rows["issue"].str.startswith("broken link")
        removed = broken & rows["url"].isin(ok_before - ok_now) & (change == "new")
        cause = (f"{change}\x1f" + rows["issue"]).where(group != "target", f"{change}\x1f" + rows["issue"]
                                                        + "\x1f" + rows["url"])
        cause = cause.where(~removed, "removed\x1fpage\x1f" + rows["url"])
        what = pd.Series("broken link", index=rows.index).where(broken, "issue")
        parts.append(rows.assign(change=change, what=what, cause=cause)[[*CHANGE_COLUMNS, "cause"]])
    now_broken = {c.rsplit("\x1f", 1)[1] for p in parts for c in p["cause"] if c.startswith("removed\x1fpage\x1f")}
    for change, urls in (("added", new_urls - old_urls), ("removed", old_urls - new_urls)):
        if urls:
            rows = (new_pages if change == "added" else old_pages).drop_duplicates("url").set_index("url").loc[
                sorted(urls)]
            cause = [f"removed\x1fpage\x1f{u}" if change == "removed" and u in now_broken else f"{change}\x1fpages"
                     for u in rows.index]
            parts.append(_frame(change, "page", rows.index.to_numpy(), ("answers " + rows["status"].astype(
                "string")).fillna("no answer").to_numpy(), cause))
    failing = sorted((ok_before & new_urls) - ok_now)  # still crawled, no longer answering 2xx
    if failing:
        parts.append(_frame("removed", "page", failing, ["answers " + answers.get(u, "no answer") for u in failing],
                            [f"removed\x1fpage\x1f{u}" for u in failing]))
    both = old_pages.merge(new_pages, on="url", suffixes=("_old", "_new"), how="inner")
    server = (both["status_new"] >= 500) & ~(both["status_old"] >= 500).fillna(False)
    server = server.fillna(False).astype(bool)
    if server.any():
        rows = both[server]
        parts.append(_frame("new", "page", rows["url"].to_numpy(), ("answers " + rows["status_new"].astype(
            "string")).to_numpy(), "new\x1fserver error", severity="error", issue="page failing with a server error"))
    kept = (ok_before & ok_now) - copies  # links of pages that went away, or of copies, are no edit
    removed, added = removed_links(old, new, kept), removed_links(new, old, kept)
    for change, gone in (("removed", removed), ("added", added)):
        if len(gone):
            parts.append(gone.assign(change=change, what="link", severity="", issue="", detail="",
                                     cause=f"{change}\x1flinks")[[*CHANGE_COLUMNS, "cause"]])
    # pages fewer pages link to, because pages still there dropped their links (not because pages went away)
    counts = both.drop_duplicates("url").set_index("url")[["unique_inlinks_old", "unique_inlinks_new"]]
    lost = removed[removed["url"].isin(counts.index)].groupby("url")["page"].nunique()
    lost = lost[[counts.at[u, "unique_inlinks_new"] < counts.at[u, "unique_inlinks_old"] for u in lost.index]]
    if len(lost):
        parts.append(_frame("removed", "inlinks", lost.index.to_numpy(), [
            f"{counts.at[u, 'unique_inlinks_old']} → {counts.at[u, 'unique_inlinks_new']} pages link here"
            for u in lost.index], "removed\x1finlinks"))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in [*CHANGE_COLUMNS, "cause"]})
    return pd.concat(parts, ignore_index=True).fillna("").astype("string")


NEWS_COLUMNS = ["news", "change", "severity", "what", "pages", "links"]
_CHANGE_ORDER = {"new": 0, "removed": 1, "changed": 2, "fixed": 3, "added": 4}


def _path(url: str) -> str:
    """A URL of the site as its path and query (``/post/?p=2``)."""
    parts = urlsplit(url)
    return ((parts.path or "/") + (f"?{parts.query}" if parts.query else "")) if parts.netloc else url


def _few(urls: pd.Series, most: int = 3) -> str:
    paths = [_path(u) for u in dict.fromkeys(urls)]
    return ", ".join(paths[:most]) + (f" and {len(paths) - most} more" if len(paths) > most else "")


def news(changes: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The changes grouped by cause, one line of news each (``"page /post/5/ removed (answers 404): 71 links on
    52 pages now broken"``), most serious first; and the news number of each change row. The summary and the
    Changes sheet both read these lines, so their counts agree."""
    if changes is None or not len(changes):
        return pd.DataFrame(columns=NEWS_COLUMNS), pd.Series(dtype="Int64")
    from linkcrawler.report import ISSUES

    weight = {"error": 0, "warning": 1, "notice": 2, "": 3}
    rows = []
    for cause, part in changes.groupby("cause", sort=False):
        head, _, rest = cause.partition("\x1f")
        first = part.iloc[0]
        pages, links = part["page"].nunique(), len(part)
        severity = first["severity"] or ""
        if head == "removed" and rest.startswith("page\x1f"):
            url = rest.split("\x1f", 1)[1]
            broken = part[part["what"] == "broken link"]
            answer = next((d for d in part.loc[part["what"] == "page", "detail"] if d), "gone")
            what = f"page {_path(url)} removed ({answer})"
            if len(broken):
                what += (f": {counted(len(broken), 'link')} on {counted(broken['page'].nunique(), 'page')} "
                         "now broken")
            rows.append((cause, "removed", "error" if len(broken) else "", what, broken["page"].nunique(),
                         len(broken)))
        elif rest == "pages":
            rows.append((cause, head, "", f"{counted(links, 'page')} {head}: {_few(part['page'])}", pages, 0))
        elif rest == "links":
            rows.append((cause, head, "", f"{counted(links, 'link')} {head} on {counted(pages, 'page')}: "
                                          f"{_few(part['page'])}", pages, links))
        elif rest == "inlinks":
            rows.append((cause, "removed", "", f"fewer pages link to {counted(pages, 'page')}: {_few(part['page'])}",
                         pages, 0))
        elif rest == "server error":
            rows.append((cause, "new", "error", f"{counted(pages, 'page')} now fail with a server error: "
                                                f"{_few(part['page'])}", pages, 0))
        elif head == "changed":
            rows.append((cause, "changed", "", f"setting changed: {first['detail']}", 0, 0))
        else:
            issue = rest.split("\x1f")[0]
            group = ISSUES[issue].group if issue in ISSUES else "page"
            verb = "new" if head == "new" else "fixed"
            where = f"{counted(links, 'link')} on {counted(pages, 'page')}"
            if group == "target":
                what = f"{verb}: {issue}, {site_relative(first['url'], first['page'])}: {where}"
            elif group == "page":
                what = f"{verb}: {issue} on {counted(pages, 'page')}: {_few(part['page'])}"
            else:
                what = f"{verb}: {issue}, {where}: {_few(part['page'])}"
            rows.append((cause, head, severity, what, pages, links if group != "page" else 0))
    frame = pd.DataFrame(rows, columns=["cause", "change", "severity", "what", "pages", "links"])
    frame = frame.sort_values(by=["change", "severity", "links", "pages"], key=lambda c: (
        c.map(_CHANGE_ORDER) if c.name == "change" else c.map(weight) if c.name == "severity" else -c),
        kind="stable").reset_index(drop=True)
    frame.insert(0, "news", range(1, len(frame) + 1))
    numbers = changes["cause"].map(dict(zip(frame["cause"], frame["news"], strict=True)))
    return frame[NEWS_COLUMNS], numbers.astype("Int64")


def with_settings(changes: pd.DataFrame, differences: list[str]) -> pd.DataFrame:
    """The changes with one ``changed``/``setting`` row per setting that differs (``NAME: old → new``)."""
    if not differences:
        return changes
    rows = pd.DataFrame({c: "" for c in CHANGE_COLUMNS}, index=range(len(differences)))
    rows = rows.assign(change="changed", what="setting", detail=differences,
                       cause=[f"changed\x1fsetting\x1f{d}" for d in differences])
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


_MARKDOWN = re.compile(r"([\\`*_\[\]<>!|#])")


_URL = re.compile(r"https?://[^\x00-\x20<>\x7f]+")


def md(text: Any) -> str:
    """Text from the site made safe for summary.md, which cron mails and chats render: markdown's special
    characters escaped, so that a page's title or a link's text cannot become a link, an image or HTML. An
    http(s) address is written as an autolink, ``<http://…>``: markdown neither escapes nor formats inside one,
    so the address reads and copies as it is (``?aff_id=``, not ``?aff\\_id=``), in a terminal or a mail too."""
    text = " ".join(str(text).split())
    out, at = [], 0
    for match in _URL.finditer(text):
        url = _url_end(match.group(0))
        out += [_MARKDOWN.sub(r"\\\1", text[at:match.start()]), f"<{url}>"]
        at = match.start() + len(url)
    out.append(_MARKDOWN.sub(r"\\\1", text[at:]))
    return "".join(out)


def _url_end(url: str) -> str:
    """An address without the sentence's punctuation after it (``…/tools/):`` → ``…/tools/``)."""
    while url and (url[-1] in ".,:;!?'\"" or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def when(iso: str) -> str:
    """``2026-11-23 10:06 UTC`` from an ISO timestamp ('' for none)."""
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return iso or ""


def site_history(folder: Path, now: dict[str, int], most: int = 10) -> pd.DataFrame:
    """Findings by severity in the last ``most`` runs of the site, this one (``now``) last: the earlier runs that
    finished ok or partial, from their ``issues.csv`` (only its severity column is read)."""
    from linkcrawler.runfolder import run_folders

    rows = []
    for run in run_folders(folder.parent):
        if run.name >= folder.name or not (run / "issues.csv").exists():
            continue
        meta = read_meta(run)
        if run_state(meta) not in ("ok", "partial"):
            continue
        try:
            severity = pd.read_csv(run / "issues.csv", usecols=["severity"], dtype="string")["severity"]
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            logger.warning("Left out of the history: %s (%s)", run, exc)
            continue
        rows.append((when(meta.get("started_at", "")) or run.name, *(int((severity == s).sum()) for s in
                                                                     ("error", "warning", "notice"))))
    rows = rows[-(most - 1):] if most > 1 else []
    rows.append((when(read_meta(folder).get("started_at", "")) or folder.name,
                 *(int(now.get(s, 0)) for s in ("error", "warning", "notice"))))
    return pd.DataFrame(rows, columns=["run", "error", "warning", "notice"])


def summary_markdown(report: Any, changes: pd.DataFrame | None, previous: Path | None) -> str:
    """A short plain-text/markdown summary of a run, fit to paste into an email or a chat: its status, the
    findings by severity, what to fix first, and what changed since the last run — the same lines and counts as
    the workbook's To do and Changes sheets. Text from the site is escaped (see :func:`md`)."""
    meta, counts = report.meta, report.counts
    lines = [run_line(meta, report.pages), "", f"# Link report for {md(meta.get('start_url', ''))}", "",
             f"Crawl of {when(meta.get('started_at', ''))}: {counted(len(report.pages), 'page')}, "
             f"{counted(report.counts['links'], 'link')}.", ""]
    if run_state(meta) == "failed":
        lines += ["Nothing was checked: the site could not be crawled. The next good run will be compared with the "
                  "last good one.", ""]
    previous_counts = report.previous_counts or {}
    for severity in ("error", "warning", "notice"):
        n = counts["severity"].get(severity, 0)
        delta = ""
        if previous is not None:
            d = n - previous_counts.get(severity, 0)
            delta = f" ({d:+d} since the last run)"
        lines.append(f"- {severity}s: {n:,}{delta}")
    lines.append("")
    todo = getattr(report, "todo", None)
    if todo is not None and len(todo):
        lines.append(f"Fix first ({len(todo):,} things to fix in all, on the workbook's To do sheet):")
        for r in todo.head(5).itertuples():
            where = f"(on {urlsplit(r.where).path or r.where})" if (
                str(r.where).startswith(("http://", "https://")) and r.where not in r.what) else ""
            lines.append(f"{r.todo}. {r.issue}: {md(r.what)}{' ' + md(where) if where else ''}. To do: {md(r.do)}.")
        lines.append("")
    news_rows = getattr(report, "news", None)
    if changes is not None and previous is not None and news_rows is not None:
        def total(change: str, what: str | None = None) -> int:
            mask = changes["change"] == change
            if what is not None:
                mask &= changes["what"] == what
            return int(mask.sum())

        lines.append(f"Compared with the run of {when(read_meta(previous).get('started_at', ''))}: "
                     f"{counted(total('new'), 'new finding')}, {total('fixed'):,} fixed, "
                     f"{counted(total('added', 'page'), 'page')} added, "
                     f"{counted(total('removed', 'page'), 'page')} removed, "
                     f"{counted(total('added', 'link'), 'link')} added, "
                     f"{counted(total('removed', 'link'), 'link')} removed.")
        differing = changes[(changes["change"] == "changed") & (changes["what"] == "setting")]
        if len(differing):
            # the user's own settings, not text from the site: left as they are, names readable in a plain mail
            lines.append("Settings differ from that run: " + "; ".join(" ".join(d.split()) for d in differing["detail"])
                         + ".")
        shown = news_rows[news_rows["change"] != "changed"]
        if len(shown):
            lines += ["", "What changed:"]
            lines += [f"- {md(r.what)}" for r in shown.head(12).itertuples()]
            if len(shown) > 12:
                lines.append(f"- … and {len(shown) - 12} more (the workbook's Changes sheet)")
        lines.append("")
    lines += [f"Workbook: {report.folder / 'report.xlsx'}", ""]
    return "\n".join(lines)
