"""One short, stable name for each way a fetch can fail, as written in the ``error`` columns."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    UnsupportedURLSchemeError,
)
from twisted.internet.error import ConnectionLost, DNSLookupError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


def error_class(error: BaseException | Failure) -> str:
    """``dns``, ``timeout``, ``refused``, ``tls``, ``size limit``, ``robots``, ``ignored``, ``connection`` or
    ``unsupported scheme``; any other error by its exception class name."""
    exc = error.value if isinstance(error, Failure) else error
    text = f"{type(exc).__name__} {exc}".lower()
    if isinstance(exc, (CannotResolveHostError, DNSLookupError)):
        return "dns"
    if isinstance(exc, (DownloadTimeoutError, TxTimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        return "refused"
    if any(word in text for word in _TLS_WORDS):
        return "tls"
    if isinstance(exc, DownloadCancelledError):
        return "size limit"
    if isinstance(exc, IgnoreRequest):
        return "robots" if "robots" in text else "ignored"
    if isinstance(exc, UnsupportedURLSchemeError):
        return "unsupported scheme"
    if isinstance(exc, (DownloadFailedError, ConnectionLost)):
        return "connection"
    return type(exc).__name__
