"""One short, stable word for each way a fetch can fail, as written in the ``error`` columns and ``run.json``.

``ERRORS`` is the one list of these words (the README's tables repeat it); ``error_class`` turns an exception
into one of them, never into a Python class name.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from twisted.internet.error import ConnectionDone, ConnectionLost, DNSLookupError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

logger = logging.getLogger(__name__)

ERRORS: dict[str, str] = {
    "dns": "the host name does not resolve",
    "timeout": "no answer in time",
    "refused": "the host refused the connection",
    "tls": "TLS handshake or certificate failure",
    "connection": "the connection failed",
    "connection lost": "the connection closed before the whole answer came",
    "size limit": "the answer (or its decompressed body) is larger than DOWNLOAD_MAXSIZE or a sitemap's limit",
    "robots": "robots.txt disallows fetching it",
    "blocked address": "the host resolves to a loopback, private, link-local, shared, multicast or reserved "
                       "address (LINKCRAWLER_ALLOW_PRIVATE_TARGETS)",
    "unsupported scheme": "not an http(s) URL: never fetched",
    "unsupported redirect scheme": "a redirect to a URL that is not http(s) (file:, ftp:, javascript:, mailto:…)",
    "bad redirect": "a Location header that is not a usable URL",
    "redirect loop": "the redirect chain comes back to a URL it passed",
    "too many redirects": "more hops than LINKCRAWLER_MAX_REDIRECTS",
    "url too long": "longer than URLLENGTH_LIMIT: not fetched",
    "excluded": "LINKCRAWLER_CHECK_EXTERNAL, _INCLUDE or _EXCLUDE leave it out",
    "not crawled": "an internal URL the crawl did not fetch (limits, or the crawl stopped first)",
    "parse error": "the answer came but could not be read",
    "nesting too deep": "the page nests deeper than the HTML parser reads (2,048 levels): links below are lost",
    "bad gzip": "a gzip sitemap that cannot be decompressed",
    "not a sitemap": "a sitemap that is neither a urlset nor a sitemap index (or not XML)",
    "bad status": "a sitemap answered other than 200",
    "failed": "any other failure (the log says which)",
}

_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


class BlockedAddress(IgnoreRequest):
    """A request not sent because its host resolves to an address the private-address rule forbids."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RobotsForbidden(IgnoreRequest):
    """A request robots.txt disallows; ``detail`` says why when robots.txt itself was unusual (a 5xx answer)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"Forbidden by robots.txt{': ' + detail if detail else ''}")
        self.detail = detail


def _words(exc: BaseException) -> str:
    if isinstance(exc, BlockedAddress):
        return "blocked address"
    if isinstance(exc, (CannotResolveHostError, DNSLookupError)):
        return "dns"
    if isinstance(exc, (DownloadTimeoutError, TxTimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        return "refused"
    text = f"{type(exc).__name__} {exc}".lower()
    if any(word in text for word in _TLS_WORDS):
        return "tls"
    if isinstance(exc, DownloadCancelledError):
        return "size limit"
    if isinstance(exc, IgnoreRequest):
        if isinstance(exc, RobotsForbidden) or "robots" in text:
            return "robots"
        if "maxsize" in text or "max_size" in text:  # HttpCompressionMiddleware: a decompression bomb
            return "size limit"
        if "max redirections" in text:
            return "too many redirects"
        return "failed"
    if isinstance(exc, (UnsupportedURLSchemeError, NotSupported)):
        return "unsupported scheme"
    if isinstance(exc, (ResponseDataLossError, ConnectionLost, ConnectionDone)):
        return "connection lost"
    if isinstance(exc, (DownloadFailedError, ResponseFailed, ConnectionError)):
        # Twisted's ResponseFailed lists the reasons: a connection lost mid-answer says so
        return "connection lost" if any(w in text for w in ("connectionlost", "connectiondone", "dataloss")) else (
            "connection")
    return "failed"


def error_class(error: BaseException | Failure) -> str:
    """The word of ``ERRORS`` for a failed fetch; ``failed`` (logged with the exception) when no other fits."""
    exc = error.value if isinstance(error, Failure) else error
    word = _words(exc)
    if word == "failed":
        logger.info("Fetch failed: %s: %s", type(exc).__name__, exc)
    return word


def error_detail(error: BaseException | Failure) -> str:
    """What an exception of ours says beyond its word (the blocked address, robots.txt's answer), else ''."""
    exc = error.value if isinstance(error, Failure) else error
    return getattr(exc, "detail", "") or ""
