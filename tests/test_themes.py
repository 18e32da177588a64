"""Position and editorial, link by link, on pages reproducing real themes' markup (tests/themes/).

Each fixture link carries the truth as an editor sees the page: ``data-position`` and ``data-editorial``. The
fixtures cover WordPress default themes, Astra with Jetpack and Yoast, GeneratePress, Elementor, Bootstrap, Hugo
PaperMod, Ghost Casper, a news site with teaser cards, and the counter-examples of layout class words (Vox's
``l-sidebar-fixed``, tagDiv's ``td-transition-content-and-menu``, ``header-style-2``, ``has-section-nav``,
``url-breadcrumb`` on the article, ``elementor-widget-wrap``) and of pages with no landmark at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkcrawler.classify import Classifier
from linkcrawler.extract import extract, parse_html

THEMES = sorted((Path(__file__).resolve().parent / "themes").glob("*.html"))
PAGE = "http://127.0.0.1:8080/2024/05/a-post/"


@pytest.mark.parametrize("fixture", THEMES, ids=lambda p: p.stem)
def test_every_link_has_the_position_and_editorial_answer_an_editor_gives(fixture):
    root = parse_html(fixture.read_text(encoding="utf-8"))
    elements = [el for el in root.iter("a", "area") if el.get("href") is not None]
    found = extract(root, PAGE, Classifier.for_site(PAGE))
    assert len(found.links) == len(elements)
    wrong = [
        f"{link.anchor[:40]!r} at {link.link_path}: position {link.position} (expected {el.get('data-position')}), "
        f"editorial {link.editorial} (expected {el.get('data-editorial')})"
        for el, link in zip(elements, found.links, strict=True)
        if (link.position, str(link.editorial).lower()) != (el.get("data-position"), el.get("data-editorial"))
    ]
    assert not wrong, "\n".join(wrong)


def test_the_fixtures_cover_every_position_and_both_answers():
    seen = set()
    for fixture in THEMES:
        for el in parse_html(fixture.read_text(encoding="utf-8")).iter("a", "area"):
            if el.get("href") is not None:
                seen.add((el.get("data-position"), el.get("data-editorial")))
    assert {p for p, _ in seen} == {"header", "navigation", "breadcrumb", "content", "sidebar", "comments", "footer"}
    assert ("content", "true") in seen and ("content", "false") in seen
