"""Links the site's theme repeats: the same link in the same place on many pages.

Two facts per link row, worked out from the whole crawl when it ends:

- ``sitewide_pages``: how many pages carry the same link in the same place — same target (a link to the page
  itself, or a share link that embeds the page's URL, counts as the same target on every page), same anchor,
  same position, same place (its XPath without positions and digits: ``//*[@id="secondary"]/section/ul/li/a``)
  and the same words around it;
- ``template``: that link is on at least ``LINKCRAWLER_TEMPLATE_MIN_PAGES`` pages, or it is not editorial and
  links in its place (a related-posts block, a share bar, a menu) are on at least that many pages. Such a link
  is never editorial. A site with fewer HTML pages than that threshold keeps the page-level answer.

Pages count by their main text: the same post at several URLs (tracking parameters, print versions) is one page
here, so that its own links are not taken for the theme's. Counting is exact and its memory bounded: each page's
keys (64-bit hashes) go to partition files as the links table streams by, and each partition is counted on its own
with numpy; only keys on two pages or more are kept.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from urllib.parse import quote, quote_plus

_INDEX = re.compile(r"\[\d+\]")
_DIGITS = re.compile(r"\d+")
_PAGE = "{page}"


@lru_cache(maxsize=65536)  # a theme's places repeat on every page
def place(link_path: str) -> str:
    """A link's place on the page, the same on every page of a theme: its XPath without positions and digits."""
    return _DIGITS.sub("", _INDEX.sub("", link_path or ""))


@lru_cache(maxsize=64)  # the links table comes page by page
def _forms(page: str) -> tuple[str, str, str]:
    """How a page's URL can stand inside a link's target: percent-encoded, form-encoded, as it is."""
    return quote(page, safe=""), quote_plus(page), page


def _hash(text: str) -> int:
    return int.from_bytes(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def link_key(page: str, url: str, href: str, anchor: str, position: str, link_path: str, before: str,
             after: str) -> int:
    """A 64-bit key of "this link in this place": equal on two pages when the theme put the same link there. A jump
    within the page (``#content``) and a share link that embeds the page's URL are the same link on every page."""
    target = url
    if target and page:
        if target == page and href.lstrip().startswith("#"):
            target = _PAGE
        elif len(page) > 8 and target != page:
            for form in _forms(page):
                at = target.find(form)
                # embedded in the target (a share link), or the page itself with parameters ("?share=x")
                if at > 0 or (at == 0 and target[len(form):len(form) + 1] in ("?", "#")):
                    target = target.replace(form, _PAGE)
                    break
    return _hash("\x1f".join((target, anchor or "", position or "", place(link_path), before or "", after or "")))


def page_key(url: str, text_hash: str) -> int:
    """A page's identity for counting repeats: its main text's hash (duplicates of one text count once), else its
    URL."""
    return int(text_hash, 16) if text_hash else _hash(url)


@lru_cache(maxsize=65536)
def place_key(position: str, link_path: str) -> int:
    """A 64-bit key of a link's place (for blocks whose links change from page to page: related posts)."""
    return _hash(f"{position}\x1f{place(link_path)}")


class PageCounts:
    """How many distinct pages carry each 64-bit key, counted exactly in bounded memory: add each page's keys with
    :meth:`add`, under the page's identity (pages with the same identity count once: duplicates of one text),
    then :meth:`finish` gives the keys seen on two pages or more.

    ``(key, page)`` pairs go to ``partitions`` files chosen by the key's top bits as they come, and each partition
    is counted on its own with numpy, so counting holds one partition in memory at a time.
    """

    def __init__(self, partitions: int = 16, folder: Path | None = None) -> None:
        from array import array

        self._tmp = tempfile.TemporaryDirectory(prefix="linkcrawler-counts-", dir=folder)
        self.partitions = partitions
        self._shift = 64 - max(1, (partitions - 1).bit_length())
        self._buffers = [array("Q") for _ in range(partitions)]
        self._files = [Path(self._tmp.name) / f"part-{i:03d}.bin" for i in range(partitions)]

    def add(self, keys: Iterable[int], page: int) -> None:
        shift, partitions, buffers = self._shift, self.partitions, self._buffers
        for key in set(keys):
            index = (key >> shift) % partitions
            buffer = buffers[index]
            buffer.append(key)
            buffer.append(page)
            if len(buffer) >= 131_072:
                self._flush(index)

    def _flush(self, index: int) -> None:
        buffer = self._buffers[index]
        with open(self._files[index], "ab") as out:
            buffer.tofile(out)
        del buffer[:]

    def finish(self) -> dict[int, int]:
        import numpy as np

        counts: dict[int, int] = {}
        for index, buffer in enumerate(self._buffers):
            if len(buffer):
                self._flush(index)
        for path in self._files:
            if not path.exists():
                continue
            pairs = np.unique(np.fromfile(path, dtype=np.uint64).view([("key", np.uint64), ("page", np.uint64)]))
            values, numbers = np.unique(pairs["key"], return_counts=True)
            repeated = numbers >= 2
            counts.update(zip(values[repeated].tolist(), numbers[repeated].tolist(), strict=True))
            path.unlink()
        self._tmp.cleanup()
        return counts


def decide(editorial: bool, key_pages: int, place_pages: int, min_pages: int, site_pages: int) -> tuple[bool, bool]:
    """``(template, editorial)`` of a link from the page-level answer and the counts (module docstring)."""
    if site_pages < min_pages:
        return False, editorial
    template = key_pages >= min_pages or (not editorial and place_pages >= min_pages)
    return template, editorial and not template
