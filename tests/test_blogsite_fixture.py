"""The generated blog site itself: well formed, served as intended, and its built-to-trip pages built right."""

from __future__ import annotations

import copy
import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from linkcrawler.demo.server import Server
from linkcrawler.extract import parse_html
from tests.blogsite import (
    AFFILIATE,
    BY_NUMBER,
    DELETABLE,
    DUPLICATE,
    EXPECTED,
    EXTRA_LINK,
    GO_HOSE,
    GO_SEEDS,
    LINKS_TO_DELETABLE,
    MOVED_FROM,
    MOVED_TO,
    ORIGINAL,
    OUTSIDE_PATHS,
    POSTS,
    RECENT,
    TEMPLATE_BLOCKS,
    build_blog,
)
from tests.test_theme_fixtures import POSITIONS, addresses_outside_loopback

OUTSIDE = "http://127.0.0.2:8099/"


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("blog")
    return folder, build_blog(folder, OUTSIDE, deleted=[DELETABLE])


def pages(folder: Path) -> dict[str, object]:
    """URL path → parsed page, for every HTML file."""
    found = {}
    for file in sorted(folder.rglob("*.html")):
        path = "/" + str(file.parent.relative_to(folder)).strip(".") + "/"
        found[path.replace("//", "/")] = parse_html(file.read_text(encoding="utf-8"))
    return found


def links(root) -> list:
    return [a for a in root.iter("a", "area") if a.get("href") is not None]


def main_text(root):
    """The article body: a copy of .entry-content without the share and related blocks."""
    body = copy.deepcopy(root.cssselect(".entry-content")[0])
    for block in body.cssselect(".sharedaddy, #jp-relatedposts"):
        block.getparent().remove(block)
    return body


def facts(root) -> tuple[int, list, list, float]:
    """(main-text words, internal editorial links, external editorial links, share of words inside links)."""
    body = main_text(root)
    words = len("".join(body.itertext()).split())
    editorial = [a for a in links(body) if a.get("data-editorial") == "true"]
    internal = [a for a in editorial if a.get("href").startswith("/")]
    external = [a for a in editorial if not a.get("href").startswith("/")]
    link_words = sum(len("".join(a.itertext()).split()) for a in editorial)
    return words, internal, external, link_words / words


def test_about_forty_pages_and_the_routes(blog):
    folder, routes = blog
    assert 30 <= len(pages(folder)) <= 45
    assert set(routes) == {GO_HOSE, GO_SEEDS, BY_NUMBER[DELETABLE].path}


def test_every_link_resolves(blog):
    """Internal links to a file, a route or the deleted post; outside links to a path listed in OUTSIDE_PATHS."""
    folder, routes = blog
    for path, root in pages(folder).items():
        for link in links(root):
            href = link.get("href")
            if href.startswith(OUTSIDE):
                assert href.removeprefix(OUTSIDE) in OUTSIDE_PATHS, f"{path}: {href}"
            if not href.startswith("/"):
                continue
            target = urlsplit(href).path
            ok = target in routes or (folder / target.strip("/") / "index.html").is_file()
            assert ok, f"{path}: {href}"


def test_every_link_labelled_and_on_loopback(blog):
    folder, _ = blog
    for path, root in pages(folder).items():
        for link in links(root):
            assert link.get("data-position") in POSITIONS, f"{path}: {link.get('href')}"
            assert link.get("data-editorial") in {"true", "false"}, f"{path}: {link.get('href')}"
            if link.get("data-editorial") == "true":
                assert link.get("data-position") == "content"
        assert not addresses_outside_loopback(root), path


def _get(server: Server, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    connection.close()
    return answer


def test_served_answers(blog):
    folder, routes = blog
    with Server(folder, routes) as server:
        status, headers, _ = _get(server, GO_HOSE)
        assert (status, headers["Location"]) == (302, f"{OUTSIDE}hose")
        status, _, body = _get(server, GO_SEEDS)
        assert status == 200 and f'content="0;url={OUTSIDE}seeds"' in body and "noindex,nofollow" in body
        seeds = links(parse_html(body))
        assert [(a.get("href"), a.get("rel")) for a in seeds] == [(f"{OUTSIDE}seeds", None)]
        status, _, body = _get(server, BY_NUMBER[DELETABLE].path)
        assert status == 404 and "exist" in body
        status, _, body = _get(server, MOVED_FROM)
        assert status == 200 and f'content="0;url={MOVED_TO}"' in body
        status, _, body = _get(server, f"{BY_NUMBER[15].path}?replytocom=150#respond")
        assert status == 200 and "<h1 class=\"entry-title\">" in body
        status, _, body = _get(server, "/")
        assert status == 200 and "Recent Posts" in body


def test_built_to_trip_pages(blog):
    folder, _ = blog
    built = pages(folder)
    normal, roundup, no_internal, thin, glossary = EXPECTED
    words, internal, external, density = facts(built[normal])
    assert 300 <= words <= 500 and 3 <= len(internal) <= 5 and density < 0.10
    assert [a.get("href") for a in external] == [f"{OUTSIDE}rhs/advice"]
    assert facts(built[roundup])[3] >= 0.12 and facts(built[roundup])[0] >= 50
    words, internal, external, density = facts(built[no_internal])
    assert words >= 300 and not internal and len(external) == 1 and density < 0.01
    assert facts(built[thin])[0] == 7
    assert len(links(built[glossary])) > 100 and facts(built[glossary])[3] < 0.10
    assert EXPECTED[normal] == frozenset() and EXPECTED[thin] == {"thin page"}


def test_other_posts_trip_no_page_rule(blog):
    folder, _ = blog
    built = pages(folder)
    for post in POSTS:
        if post.path in EXPECTED or post.number == DELETABLE:
            continue
        words, internal, _, density = facts(built[post.path])
        assert words >= 50 and internal and density < 0.10, post.path
        assert len(links(built[post.path])) <= 100, post.path


def test_deleted_post_one_cause_many_broken_links(blog):
    folder, _ = blog
    built = pages(folder)
    gone = BY_NUMBER[DELETABLE].path
    assert gone not in built
    in_text = [path for path, root in built.items()
               if root.cssselect(".entry-content") and any(a.get("href") == gone for a in links(main_text(root)))]
    assert sorted(in_text) == sorted(BY_NUMBER[n].path for n in LINKS_TO_DELETABLE)
    for path, root in built.items():
        if root.cssselect("#secondary"):
            assert gone in [a.get("href") for a in links(root.cssselect("#secondary")[0])], path


def test_template_blocks_on_every_page(blog):
    folder, _ = blog
    for path, root in pages(folder).items():
        if path == MOVED_FROM:
            continue
        is_post = bool(root.cssselect("article.post.ast-article-single"))
        for name, block in TEMPLATE_BLOCKS.items():
            wanted = {"all": True, "all but home": path != "/", "posts": is_post,
                      "posts with comments": is_post and bool(root.cssselect("#comments"))}[block.pages]
            found = root.cssselect(block.selector)
            assert bool(found) == wanted or block.pages == "posts with comments", (path, name)
            if not found:
                continue
            got = [a for element in found for a in (links(element) if element.tag != "a" else [element])]
            assert got and all(a.get("data-position") == block.position for a in got), (path, name)
            assert all(a.get("data-editorial") == "false" for a in got), (path, name)
            if block.links is not None:
                expected = [(text, path + href if href.startswith("?") else href) for text, href in block.links]
                actual = [(" ".join("".join(a.itertext()).split()) or a.find("img").get("alt"), a.get("href"))
                          for a in got]
                assert actual == expected, (path, name)


def test_affiliate_duplicate_and_recent(blog):
    folder, _ = blog
    built = pages(folder)
    text = links(main_text(built[BY_NUMBER[AFFILIATE].path]))
    assert [(a.get("href"), a.get("rel")) for a in text if a.get("href").startswith("/go/")] == [
        (GO_HOSE, None), (GO_SEEDS, "sponsored"), (GO_SEEDS, None)]
    canonical = built[BY_NUMBER[DUPLICATE].path].cssselect("link[rel=canonical]")[0].get("href")
    assert canonical == BY_NUMBER[ORIGINAL].path
    assert [BY_NUMBER[n].number for n in RECENT] == sorted(RECENT, reverse=True)


def test_extra_link_and_determinism(tmp_path):
    plain, extra, again = tmp_path / "plain", tmp_path / "extra", tmp_path / "again"
    build_blog(plain, OUTSIDE)
    build_blog(extra, OUTSIDE, extra_link=True)
    build_blog(again, OUTSIDE)
    files = sorted(p.relative_to(plain) for p in plain.rglob("*.html"))
    assert all((plain / f).read_bytes() == (again / f).read_bytes() for f in files)
    changed = [f for f in files if (plain / f).read_bytes() != (extra / f).read_bytes()]
    page, href = EXTRA_LINK
    assert changed == [Path(page.strip("/")) / "index.html"]
    before = [a.get("href") for a in links(main_text(parse_html((plain / changed[0]).read_text())))]
    after = [a.get("href") for a in links(main_text(parse_html((extra / changed[0]).read_text())))]
    assert sorted(after) == sorted([*before, href])
