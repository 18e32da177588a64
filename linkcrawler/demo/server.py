"""A small threaded HTTP server on 127.0.0.1 for the demo site and the tests.

It serves a folder of files, plus ``routes``: a path → :class:`Route` table for what files cannot say
(status codes, redirects, headers, slow or huge answers).
"""

from __future__ import annotations

import contextlib
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


Responder = Route | Callable[[str], Route]  # a fixed answer, or one chosen per request from the method


class Handler(SimpleHTTPRequestHandler):
    routes: Mapping[str, Responder] = {}
    replacements: Mapping[str, str] = {}
    log: list[tuple[float, str, str]] = []  # (monotonic time, method, path) of every request

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the signature of the base class
        pass

    def _route(self) -> Route | None:
        self.log.append((time.monotonic(), self.command, self.path))
        route = self.routes.get(self.path) or self.routes.get(self.path.split("?")[0])
        return route(self.command) if callable(route) else route

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        route = self._route()
        if route is None and self.replacements and self.path.split("?")[0].endswith((".html", "/")):
            route = self._templated()
        if route is None:
            super().do_GET()
            return
        self._answer(route, with_body=True)

    def _templated(self) -> Route | None:
        """An HTML file with each ``{{NAME}}`` of ``replacements`` filled in."""
        path = Path(self.translate_path(self.path.split("?")[0]))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return None
        body = path.read_bytes()
        for name, value in self.replacements.items():
            body = body.replace(b"{{" + name.encode() + b"}}", value.encode())
        return Route(body=body)

    def do_HEAD(self) -> None:  # noqa: N802
        route = self._route()
        if route is None:
            super().do_HEAD()
            return
        self._answer(route, with_body=False)

    def _answer(self, route: Route, with_body: bool) -> None:
        if route.delay:
            time.sleep(route.delay)
        self.send_response(route.status)
        headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if with_body:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops concurrent connections, which then wait for SYN retries

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up early (a crawler stopping a download after the headers) are normal here."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


class Server:
    """Serve ``folder`` (and ``routes``) on ``host`` at a free port until :meth:`stop`."""

    def __init__(self, folder: Path | str, routes: Mapping[str, Responder] | None = None, host: str = "127.0.0.1",
                 port: int = 0, replacements: Mapping[str, str] | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.log: list[tuple[float, str, str]] = []
        handler = type("RoutedHandler", (Handler,), {"routes": dict(routes or {}), "log": self.log,
                                                     "replacements": dict(replacements or {})})
        self.httpd = _HTTPServer((host, port), partial(handler, directory=str(folder)))
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.host = host
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if ssl_context else 'http'}://{host}:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
