"""robots.txt answers read by RFC 9309 (the Robots Exclusion Protocol).

- 2xx: the file's rules, of which only the first 500 KiB are read (RFC 9309 §2.5: crawlers may stop there);
- 5xx: the server is failing, so everything on the host is disallowed (§2.3.1.4);
- any other answer (4xx, or a redirect that leads nowhere usable): there are no rules, everything is allowed
  (§2.3.1.3).

Redirects are followed before the answer gets here (Scrapy's RedirectMiddleware, §2.3.1.2). A robots.txt that
cannot be fetched at all (the host does not resolve or refuses) sets no rules: the fetches that follow fail the
same way and are recorded with their own error.
"""

from __future__ import annotations

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def robots_body(status: int, body: bytes) -> tuple[bytes, str]:
    """The robots.txt text to obey for an answer, and a note when it is not simply the file's text."""
    if 500 <= status < 600:
        return DISALLOW_ALL, f"robots.txt answered {status}: everything disallowed (RFC 9309)"
    if not 200 <= status < 300:
        # a 4xx is the usual "no robots.txt"; a redirect that was not followed is worth a word
        return b"", f"robots.txt answered {status}: nothing disallowed" if 300 <= status < 400 else ""
    if len(body) > MAX_ROBOTS_BYTES:
        cut = body.rfind(b"\n", 0, MAX_ROBOTS_BYTES + 1)
        return body[: cut + 1 if cut != -1 else MAX_ROBOTS_BYTES], (
            f"robots.txt is {len(body):,} bytes: only the first 500 KiB are read (RFC 9309)")
    return body, ""


def parse_robots(status: int, body: bytes) -> tuple[Protego, str]:
    """A parser of the rules to obey for a robots.txt answer (parsed once), and the note of ``robots_body``."""
    text, note = robots_body(status, body)
    return Protego.parse(text.decode("utf-8-sig", "replace")), note
