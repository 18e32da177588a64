"""Links that open a page scrolled to one of its links, with it highlighted: URL text fragments.

A text fragment (``https://example.com/post/#:~:text=see%20the-,tomato%20guide``) is a part of the URL that
Chrome, Edge and Safari read: they scroll to the first text on the page matching it and highlight it
(https://wicg.github.io/scroll-to-text-fragment/). The directive is ``text=[prefix-,]textStart[,textEnd][,-suffix]``;
each term is percent-encoded, and ``-``, ``,`` and ``&`` inside a term are encoded too, as they are its syntax.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

_MARKER = "…"  # the end of an anchor cut at LINKCRAWLER_MAX_ANCHOR_CHARS
LONG = 8  # words: a longer anchor is matched by its first and last words (textStart,textEnd)
CONTEXT = 3  # words of the text before and after the link, when the anchor alone may match elsewhere


@lru_cache(maxsize=1 << 16)  # menus and sidebars repeat the same texts on every page
def term(text: str) -> str:
    """One term of a text directive, percent-encoded (``-``, ``,`` and ``&`` included)."""
    return quote(" ".join(text.split()), safe="").replace("-", "%2D")


def text_fragment(page: str, anchor: str, before: str = "", after: str = "", context: bool = False) -> str:
    """The page's URL with a text fragment pointing at a link with this anchor; with ``context``, the words just
    before and after the link narrow it down (for an anchor that repeats on the page, or is a word or two long).
    The page's URL alone when the anchor has no words (an image link)."""
    cut = anchor.endswith(_MARKER)
    words = anchor.removesuffix(_MARKER).split()
    if not words:
        return page
    if cut:
        parts = [term(" ".join(words[:LONG]))]
    elif len(words) > LONG:
        parts = [term(" ".join(words[:4])), term(" ".join(words[-4:]))]
    else:
        parts = [term(" ".join(words))]
    if context:
        prefix, suffix = before.split()[-CONTEXT:], after.split()[:CONTEXT]
        if prefix:
            parts.insert(0, term(" ".join(prefix)) + "-")
        if suffix and not cut:
            parts.append("-" + term(" ".join(suffix)))
    return f"{page.partition('#')[0]}#:~:text={','.join(parts)}"
