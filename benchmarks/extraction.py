"""Extraction time on hostile pages beside a plain page of the same size: work per page must stay linear.

Each hostile page is timed against a plain page (paragraphs of text with links) of the same number of bytes,
parsed and extracted exactly as the spider does (``parse_page`` then ``extract``), best of three runs:

- 800,000 HTML comments inside a paragraph (tail text gathered by repeated concatenation was quadratic);
- 1,000,000 text nodes (a word and an empty inline element, a million times);
- 1,000,000 elements nested 2,046 deep at the start (libxml2's nesting limit: the page says ``nesting too deep``);
- a flood of links (``LINKCRAWLER_MAX_LINKS_PER_PAGE`` records 10,000 of them, counts the rest).

    .venv/bin/python benchmarks/extraction.py            # the sizes above
    .venv/bin/python benchmarks/extraction.py --scale 0.1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkcrawler.classify import Classifier  # noqa: E402
from linkcrawler.config import DEFAULTS  # noqa: E402
from linkcrawler.extract import extract, parse_page  # noqa: E402

PAGE = "http://127.0.0.1:8080/post/"
SITE = Classifier.for_site(PAGE)


def plain(size: int) -> str:
    """Paragraphs of text, a link in each, to ``size`` bytes."""
    paragraph = ("<p>" + "word " * 60 + '<a href="/post/{n}/">a post about soil</a> and more words after it.</p>\n')
    parts, total, n = ["<html><head><title>Plain</title></head><body><main><article>"], 0, 0
    while total < size:
        part = paragraph.format(n=n % 500)
        parts.append(part)
        total += len(part)
        n += 1
    parts.append("</article></main></body></html>")
    return "".join(parts)


def comments(count: int) -> str:
    return ("<html><body><main><p>Before " + "<!-- c --> word " * count + '<a href="/x/">after</a></p></main>'
            "</body></html>")


def text_nodes(count: int) -> str:
    return "<html><body><main><p>" + "w<i></i>" * count + '<a href="/x/">after</a></p></main></body></html>'


def deep(levels: int, count: int) -> str:
    return ("<html><body>" + "<b>" * levels + "<a href='/deep/'>deep</a>" + "<p>x</p>" * count + "</body></html>")


def links(count: int) -> str:
    return "<html><body><main>" + "".join(f'<a href="/l/{i}">link {i}</a> ' for i in range(count)) + \
        "</main></body></html>"


def build(k: float) -> list[tuple[str, str]]:
    return [
        ("800,000 comments", comments(int(800_000 * k))),
        ("1,000,000 text nodes", text_nodes(int(1_000_000 * k))),
        ("nested 2,046 deep", deep(2_046, int(1_000_000 * k))),
        ("a flood of links", links(int(400_000 * k))),
    ]


def timed(html: str) -> tuple[float, int, int, str]:
    """Best of three: (seconds, links recorded, links over the limit, page error)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        root, error = parse_page(html)
        found = extract(root, PAGE, SITE, max_links=DEFAULTS["LINKCRAWLER_MAX_LINKS_PER_PAGE"])
        best = min(best, time.perf_counter() - start)
    return best, len(found.links), found.links_over, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    args = parser.parse_args(argv)
    k = args.scale
    print("Each hostile page at half and full size (linear: double the size, double the time), and beside a plain "
          "page of the same bytes")
    print(f"{'page':22} {'bytes':>11} {'half size':>10} {'full size':>10} {'×':>5} {'plain':>7} {'ratio':>6}  "
          f"links (over the limit)  error")
    half_pages = dict(build(k / 2))
    for name, html in build(k):
        hostile, recorded, over, error = timed(html)
        half = timed(half_pages[name])[0]
        baseline = timed(plain(len(html)))[0]
        print(f"{name:22} {len(html):11,d} {half:9.2f}s {hostile:9.2f}s {hostile / half:5.2f} {baseline:6.2f}s "
              f"{hostile / baseline:6.2f}  {recorded:,d} ({over:,d})  {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
