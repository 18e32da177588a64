"""Link targets: what each distinct URL linked from the site answers, and what that means for an editor.

``result`` is the one word an editor filters on:

- ``ok``: the target answers 2xx directly; ``redirect``: it gets there through one or more redirects;
- ``broken``: 4xx/5xx at the end of the chain, a host that does not resolve or refuses connections, a redirect
  loop or too many redirects;
- ``unverified``: an external server refused the checker as a bot (401/403/429 and LinkedIn's 999), which says
  nothing about whether a person gets the page;
- ``error``: no answer that says either way (timeout, TLS/certificate failure, size limit…);
- ``blocked``: robots.txt disallows fetching it, or its host is a private address the crawl may not contact;
  ``skipped``: excluded by settings (or longer than ``URLLENGTH_LIMIT``); ``unchecked``: never fetched (beyond the
  crawl's limits, or the crawl stopped first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, urlsplit

from linkcrawler.extract import resolve

# statuses of a HEAD request that do not tell about the resource: ask again with GET
HEAD_REFUSED = frozenset({400, 403, 405, 406, 500, 501})
BOT_REFUSED = frozenset({401, 403, 429, 999})
BROKEN_ERRORS = frozenset({"dns", "refused", "redirect loop", "too many redirects", "connection", "bad redirect",
                           "unsupported redirect scheme"})
_BOT_HEADERS = (
    (b"cf-mitigated", "cloudflare"),
    (b"x-datadome", "datadome"),
    (b"x-sucuri-id", "sucuri"),
    (b"x-iinfo", "imperva"),
    (b"x-akamai-transformed", "akamai"),
)
_BOT_SERVERS = re.compile(r"cloudflare|akamai|ddos-guard|sucuri|cloudproxy|imperva|incapsula|datadome", re.I)


@dataclass(slots=True)
class Target:
    """One distinct link target URL and what it answered."""

    url: str
    kind: str = ""  # internal | external | affiliate
    status: int | None = None  # the first response
    final_url: str = ""
    final_status: int | None = None
    redirects: int = 0
    redirect_chain: str = ""  # "301 http://a/ → 302 http://b/ → 200 http://c/"
    result: str = "unchecked"
    error: str = ""
    detail: str = ""
    method: str = ""  # HEAD | GET | crawl
    response_ms: float | None = None
    checked_at: str = ""
    inlinks: int | None = None  # link occurrences on the site's pages, filled in when the crawl ends
    unique_inlinks: int | None = None  # distinct pages linking here, filled in when the crawl ends
    hops: list[tuple[int, str]] = field(default_factory=list, repr=False)  # (status, url) of each redirect


TARGET_COLUMNS = tuple(f for f in Target.__dataclass_fields__ if f != "hops")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def chain_text(hops: list[tuple[int, str]], final_status: int | None, final_url: str) -> str:
    """Each hop with its code, then the end of the chain: ``301 http://a/ → 200 http://b/``."""
    if not hops:
        return ""
    steps = [f"{status} {url}" for status, url in hops]
    steps.append(f"{final_status if final_status is not None else '—'} {final_url}")
    return " → ".join(steps)


def result_of(final_status: int | None, error: str, external: bool, redirects: int) -> str:
    """The editor's word for an answer (see the module docstring)."""
    if error:
        if error in ("robots", "blocked address"):
            return "blocked"
        if error == "excluded" or (error == "url too long" and not redirects):
            return "skipped"
        if error == "not crawled":
            return "unchecked"
        return "broken" if error in BROKEN_ERRORS else "error"
    if final_status is None:
        return "unchecked"
    if 200 <= final_status < 300:
        return "redirect" if redirects else "ok"
    if external and final_status in BOT_REFUSED:
        return "unverified"
    return "broken"


def follow_location(base: str, location: str, max_length: int = 0) -> tuple[str, SplitResult | None, str]:
    """Where a redirect's ``Location`` leads: ``(url, parts, error)``, error a word of ``ERRORS`` or ''.

    ``bad redirect`` when the header is no usable URL (an authority without a host such as ``http:///x``, a bad
    IPv6 literal, a port out of range), ``unsupported redirect scheme`` when it leads out of http(s)
    (``file:``, ``ftp:``, ``javascript:``, ``mailto:``), ``url too long`` past ``max_length`` characters; the
    url is then the header's text, parts None but for a URL too long.
    """
    location = location.strip()
    try:
        given = urlsplit(location)
    except ValueError:
        return location, None, "bad redirect"
    scheme = given.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return location, None, "unsupported redirect scheme"
    if location.partition(":")[2 if scheme else 0].startswith("//") and not given.hostname:
        return location, None, "bad redirect"  # urljoin would read "http:///x" as the path /x of the base
    target, _, parts, _ = resolve(base, location)
    if parts is None:
        return location, None, "bad redirect"
    if parts.scheme not in ("http", "https"):
        return location, None, "unsupported redirect scheme"
    if max_length and len(target) > max_length:
        return target, parts, "url too long"
    return target, parts, ""


def bot_protection(headers: Mapping[bytes, object]) -> str:
    """Name of the bot protection that answered, from response headers, or ''."""
    for name, vendor in _BOT_HEADERS:
        if name in headers or name.title() in headers:
            return vendor
    server = headers.get(b"Server") or b""
    if isinstance(server, (list, tuple)):
        server = server[0] if server else b""
    match = _BOT_SERVERS.search(server.decode("latin-1") if isinstance(server, bytes) else str(server))
    return match.group(0).lower() if match else ""


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date); None when absent or unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(slots=True)
class PageAnswer:
    """What the crawl learnt about one URL of the site, kept until the crawl ends to resolve chains."""

    status: int | None
    redirect_target: str
    error: str
    response_ms: float | None


def resolve_internal(
    url: str,
    pages: Mapping[str, PageAnswer],
    checks: Mapping[str, Target],
    max_redirects: int,
) -> Target:
    """The target row of an internal URL, following redirects through crawled pages and external checks."""
    hops: list[tuple[int, str]] = []
    seen = {url}
    current = url
    first = pages.get(url)
    target = Target(url=url, method="crawl", response_ms=first.response_ms if first else None)
    target.status = first.status if first else None
    while True:
        answer = pages.get(current)
        if answer is None:
            check = checks.get(current)
            if check is not None and current != url:  # the chain left the site
                hops.extend(check.hops)
                target.final_url, target.final_status, target.error = check.final_url, check.final_status, check.error
                target.detail = check.detail
            else:
                target.final_url, target.error = current, "not crawled"
            break
        if answer.error:
            target.final_url, target.final_status, target.error = current, answer.status, answer.error
            break
        if not answer.redirect_target:
            target.final_url, target.final_status = current, answer.status
            break
        hops.append((answer.status or 0, current))
        current = answer.redirect_target
        if current in seen:
            target.final_url, target.final_status, target.error = current, None, "redirect loop"
            break
        if len(hops) > max_redirects:
            target.final_url, target.error = current, "too many redirects"
            break
        seen.add(current)
    target.hops = hops
    target.redirects = len(hops)
    target.redirect_chain = chain_text(hops, target.final_status, target.final_url)
    target.result = result_of(target.final_status, target.error, external=False, redirects=len(hops))
    return target


def parse_chain(text: str) -> list[tuple[int, str]]:
    """The redirect hops of a ``redirect_chain`` text (its last step is the end of the chain, not a hop)."""
    if not text:
        return []
    steps = text.split(" → ")[:-1]
    hops = []
    for step in steps:
        code, _, url = step.partition(" ")
        hops.append((int(code) if code.isdigit() else 0, url))
    return hops


def restore_target(row: object) -> Target:
    """A Target from a row of the targets table (a resumed crawl reloads its external checks)."""

    def text(name: str) -> str:
        cell = getattr(row, name)
        return cell if isinstance(cell, str) else ""

    def number(name: str) -> int | None:
        cell = getattr(row, name)
        try:
            return int(cell)
        except (TypeError, ValueError):
            return None

    return Target(
        url=row.url, kind=text("kind"), status=number("status"), final_url=text("final_url"),
        final_status=number("final_status"), redirects=number("redirects") or 0,
        redirect_chain=text("redirect_chain"), result=text("result"), error=text("error"), detail=text("detail"),
        method=text("method"), response_ms=None, checked_at=text("checked_at"),
        hops=parse_chain(text("redirect_chain")),
    )
