"""The theme fixture pages themselves: every link labelled with its true position and whether it is editorial.

``tests/themes/*.html`` reproduce the rendered markup of real themes; each ``<a href>``/``<area href>`` carries
``data-position`` (where an editor says the link sits) and ``data-editorial`` (written by the author in the
page's own main text). These tests keep the labels complete and the pages safe to crawl (loopback only); the
comparison with linkcrawler's answers lives elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linkcrawler.extract import parse_html

THEMES = Path(__file__).resolve().parent / "themes"
PAGES = sorted(THEMES.glob("*.html"))
POSITIONS = {"header", "navigation", "breadcrumb", "content", "sidebar", "comments", "footer"}
# an address with a host: scheme://host, protocol-relative //host, or the domain of a mailto
_HOST = re.compile(r"(?:^|[\s,(=])(?:[a-z][a-z0-9+.-]*:)?//(?P<host>[^/\s?#'\"),]*)|mailto:[^@\s]*@(?P<mail>[^?\s>]+)",
                   re.IGNORECASE)
_LOOPBACK = re.compile(r"^(?:[^@]*@)?127(?:\.\d{1,3}){3}(?::\d+)?$")
# vocabulary identifiers that are never fetched (schema.org microdata types); every other attribute is checked
_NOT_ADDRESSES = {"itemtype"}


def links(root) -> list:
    return [element for element in root.iter("a", "area") if element.get("href") is not None]


@pytest.fixture(params=PAGES, ids=[page.stem for page in PAGES])
def page(request: pytest.FixtureRequest) -> tuple[Path, object]:
    path: Path = request.param
    return path, parse_html(path.read_text(encoding="utf-8"))


def test_there_are_pages_for_every_theme():
    assert len(PAGES) >= 10


def test_page_says_what_it_reproduces(page):
    path, _ = page
    head = path.read_text(encoding="utf-8").lstrip()
    assert head.startswith("<!--") and "read:" in head[: head.index("-->")], path.name


def test_every_link_is_labelled(page):
    path, root = page
    found = links(root)
    assert found, path.name
    for link in found:
        where = f"{path.name}: <{link.tag} href={link.get('href')!r}>"
        assert link.get("data-position") in POSITIONS, where
        assert link.get("data-editorial") in {"true", "false"}, where


def test_enough_links_of_each_kind(page):
    path, root = page
    editorial = [link for link in links(root) if link.get("data-editorial") == "true"]
    generated = [link for link in links(root) if link.get("data-editorial") == "false"]
    assert len(editorial) >= 5, path.name
    assert len(generated) >= 10, path.name


def test_editorial_links_sit_in_the_content(page):
    """Text the author wrote in the page's main text is content, wherever the theme puts its container."""
    path, root = page
    for link in links(root):
        if link.get("data-editorial") == "true":
            assert link.get("data-position") == "content", f"{path.name}: {link.get('href')}"


def addresses_outside_loopback(root) -> list[str]:
    """Every ``tag attribute=value`` of the page naming a host outside 127.0.0.0/8."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name in _NOT_ADDRESSES:
                continue
            for match in _HOST.finditer(value):
                host = match.group("host") if match.group("host") is not None else match.group("mail")
                if not _LOOPBACK.match(host):
                    found.append(f"{element.tag} {name}={value!r}")
    return found


def test_no_address_outside_loopback(page):
    path, root = page
    assert not addresses_outside_loopback(root), path.name


def test_host_check_catches_outside_addresses():
    # hosts that can never resolve (RFC 6761's .invalid), and a loopback name the fixtures must not use either
    for value in ("https://www.example.invalid/x", "//cdn.example.invalid/a.js", "mailto:ed@example.invalid",
                  "/a.jpg 1x, https://img.example.invalid/b.jpg 2x", "http://localhost:8080/"):
        hosts = [m.group("host") if m.group("host") is not None else m.group("mail") for m in _HOST.finditer(value)]
        assert hosts and not all(_LOOPBACK.match(host) for host in hosts), value
    for value in ("http://127.0.0.2/sharer.php?u=http://127.0.0.2/x", "/2024/05/x/", "#respond", "tel:+15550100"):
        hosts = [m.group("host") if m.group("host") is not None else m.group("mail") for m in _HOST.finditer(value)]
        assert all(_LOOPBACK.match(host) for host in hosts), value
