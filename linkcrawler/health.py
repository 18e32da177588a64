"""Whether a run can be trusted: ``ok``, ``partial`` or ``failed``, with one sentence saying why, and which
settings two runs differ in. Plain functions over ``run.json`` data, shared by the crawl and the report.

- **failed**: the start URL gave no HTML page (no answer, 4xx/5xx, a redirect off the site, not HTML) or the
  crawl could not start. A failed run is never compared with, nor the baseline of a comparison.
- **partial**: the crawl was cut (``LINKCRAWLER_MAX_PAGES``, a ``CLOSESPIDER_*`` limit, Ctrl-C) or more than
  ``LINKCRAWLER_MAX_FAILED_SHARE`` of its pages failed (no answer, or 429/502/503/504: the server said "not now").
- **ok**: neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings

from linkcrawler.config import DEFAULTS, parse_setting

OK, PARTIAL, FAILED = "ok", "partial", "failed"
# answers that say "not now" rather than anything about the page
UNAVAILABLE = frozenset({429, 502, 503, 504})
# errors that are the page's own property, not a failure of the crawl
PAGE_ERRORS = frozenset({"size limit"})
# what a person reads for the error words of the pages table
SAYS = {
    "refused": "connection refused",
    "dns": "the host name does not resolve (DNS)",
    "timeout": "no answer in time (timeout)",
    "tls": "TLS/certificate error",
    "connection": "the connection failed",
}
# settings that say how the data is stored, shown or kept, not what a run finds: not worth a note
OPERATIONAL = frozenset({
    "LINKCRAWLER_EXPORT_DIR", "LINKCRAWLER_FORMAT", "LINKCRAWLER_PARQUET_PART_ROWS", "LINKCRAWLER_REPORT",
    "LINKCRAWLER_LINKS_SHEET_ROWS", "LINKCRAWLER_COMPARE_WITH", "LINKCRAWLER_FAIL_ON_NEW_ERRORS",
    "LINKCRAWLER_KEEP_RUNS", "LINKCRAWLER_PROGRESS", "LINKCRAWLER_REDIS_URL", "LINKCRAWLER_REDIS_CRAWL",
    "LINKCRAWLER_REDIS_WORKER_TIMEOUT", "LINKCRAWLER_MAX_FAILED_SHARE", "LINKCRAWLER_CHECK_TIMEOUT",
    "LINKCRAWLER_CHECK_RETRIES", "LINKCRAWLER_RETRY_AFTER_MAX",
})
# the thresholds a report applies (``scrapy report -s`` may change them without crawling again)
REPORT_SETTINGS = ("LINKCRAWLER_MAX_LINKS", "LINKCRAWLER_MAX_EXTERNAL_LINKS", "LINKCRAWLER_MAX_LINK_DENSITY",
                   "LINKCRAWLER_MIN_CONTENT_WORDS", "LINKCRAWLER_MAX_CLICK_DEPTH", "LINKCRAWLER_GENERIC_ANCHORS")


@dataclass(frozen=True, slots=True)
class PageFact:
    """What the run status needs to know of a page row."""

    status: int | None = None
    error: str = ""
    redirect_target: str = ""
    content_type: str = ""  # "" when unknown: then a 2xx answer counts as HTML


def failure(status: int | None, error: str) -> str:
    """Why a page counts as failed (its error word, or its status), or '' when it does not."""
    if status is None:
        return "" if error in PAGE_ERRORS else (error or "no answer")
    return str(status) if status in UNAVAILABLE else ""


def start_chain(start_url: str, pages: Mapping[str, Any], most: int = 30) -> list[str]:
    """The start URL and the URLs of the site its redirects lead to, in order, ending at the first URL that
    is not a crawled page, does not redirect, or was seen already (``pages``: URL → anything with a
    ``redirect_target``)."""
    chain = [start_url]
    while len(chain) <= most:
        fact = pages.get(chain[-1])
        if fact is None or not fact.redirect_target or fact.redirect_target in chain:
            break
        chain.append(fact.redirect_target)
    return chain


def _setting(settings: Settings, name: str) -> Any:
    """A recorded setting, parsed; its default when the record is unusable (a run of an older version)."""
    try:
        return parse_setting(settings, name)
    except ValueError:
        return DEFAULTS[name]


def run_status(meta: Mapping[str, Any], pages: Mapping[str, PageFact]) -> tuple[str, str]:
    """``(ok | partial | failed, one sentence)`` for a finished run: ``meta`` is its run.json (``start_url``,
    ``finish_reason``, ``pages``, ``failed_pages``, ``failures``, ``settings``), ``pages`` the facts of at least
    the pages on the start URL's redirect chain."""
    reason = meta.get("finish_reason") or ""
    count = int(meta.get("pages") or 0)
    chain = start_chain(meta.get("start_url", ""), pages)
    end = pages.get(chain[-1])
    if end is None:
        if len(chain) > 1 and urlsplit(chain[-1]).hostname != urlsplit(chain[0]).hostname:
            return FAILED, f"the start URL redirects off the site, to {chain[-1]}"
        if len(chain) > 1:
            return FAILED, f"the start URL redirects to {chain[-1]}, which was not crawled"
        if reason == "start_error":
            return FAILED, "the crawl could not start (the log says why)"
        return FAILED, f"the start URL was not fetched (the crawl ended: {reason or 'unknown'})"
    if end.status is None:
        said = SAYS.get(end.error, end.error or "no answer")
        return FAILED, f"the site could not be reached: {said}"
    if end.redirect_target:  # the chain stopped at a URL seen before
        return FAILED, f"the start URL redirects in a loop ({end.redirect_target})"
    if not 200 <= end.status < 300:
        return FAILED, f"the start URL answered {end.status}"
    if end.content_type and "html" not in end.content_type.lower():
        return FAILED, f"the start URL is not an HTML page ({end.content_type.split(';')[0]})"
    if reason == "shutdown":
        return PARTIAL, f"the crawl was stopped before the end (Ctrl-C or a signal), after {_pages(count)}"
    if reason.startswith("closespider_"):
        return PARTIAL, f"the crawl was cut by {reason.upper()} after {_pages(count)}"
    if reason and reason != "finished":
        return PARTIAL, f"the crawl ended early ({reason}) after {_pages(count)}"
    settings = Settings(meta.get("settings") or {})
    most = _setting(settings, "LINKCRAWLER_MAX_PAGES")
    if most and count >= most:
        return PARTIAL, f"the crawl stopped at LINKCRAWLER_MAX_PAGES ({_pages(most)})"
    failed = int(meta.get("failed_pages") or 0)
    share = _setting(settings, "LINKCRAWLER_MAX_FAILED_SHARE")
    if count and failed / count > share:
        causes = sorted((meta.get("failures") or {}).items(), key=lambda kv: -kv[1])[:3]
        why = f" ({', '.join(f'{k}: {v}' for k, v in causes)})" if causes else ""
        return PARTIAL, f"{failed} of {_pages(count)} failed{why}, more than LINKCRAWLER_MAX_FAILED_SHARE ({share:.0%})"
    return OK, f"the crawl went through the site: {_pages(count)}"


def status_line(status: str, sentence: str) -> str:
    """The first line of a run's summary: ``Run ok: the crawl went through the site: 12 pages.``"""
    return f"Run {status}: {sentence.rstrip('.')}."


def shown(value: Any) -> str:
    """A setting's value in a sentence: lists in brackets, mappings in braces."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def settings_differences(old_meta: Mapping[str, Any], new_meta: Mapping[str, Any]) -> list[str]:
    """The ``LINKCRAWLER_*`` settings that change what a run finds and differ between two runs' run.json,
    each as ``NAME: old → new``; values are compared as parsed (``"150"`` equals ``150``), a setting a run
    does not record counts as its default."""
    old, new = old_meta.get("settings") or {}, new_meta.get("settings") or {}
    old_settings, new_settings = Settings(old), Settings(new)
    found = []
    for name in sorted(DEFAULTS):
        if name in OPERATIONAL or (name not in old and name not in new):
            continue
        before, after = _setting(old_settings, name), _setting(new_settings, name)
        if before != after:
            found.append(f"{name}: {shown(before)} → {shown(after)}")
    return found


def counted(n: int, noun: str) -> str:
    """``1 page``, ``1,234 pages``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _pages(n: int) -> str:
    return counted(n, "page")
