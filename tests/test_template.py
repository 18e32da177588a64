"""Links the theme repeats across a site: template, sitewide_pages and editorial on a crawled blog, and the page
rules that follow the article text (tests/blogsite.py: a WordPress/Astra-like blog with Jetpack and Yoast)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from linkcrawler.extract import parse_html
from linkcrawler.tables import read_table
from linkcrawler.template import PageCounts, decide, link_key, page_key, place, place_key
from tests.blogsite import BY_NUMBER, EXPECTED, MENU, NORMAL, RECENT, TEMPLATE_BLOCKS

PAGE_RULES = {"too many links", "too many links to other sites", "too much of the text is links",
              "no link to the site in the article text", "thin page", "page with no links"}


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture(scope="module")
def links(blog_run: Path) -> pd.DataFrame:
    frame = read_table(blog_run, "links")
    frame["on"] = frame["page"].map(path_of)
    return frame


def test_each_link_row_says_what_the_page_says_about_it(blog_site, links):
    """Every link of every fetched page, against the truth written in the served file: the same position, and
    editorial exactly where the link is part of the post's own text (the theme's links never are)."""
    folder, _, _ = blog_site
    wrong = []
    for page, rows in links.groupby("page", sort=False):
        file = folder / path_of(page).strip("/") / "index.html"
        labelled = [el for el in parse_html(file.read_text(encoding="utf-8")).iter("a", "area")
                    if el.get("href") is not None]
        assert len(labelled) == len(rows), page
        for el, row in zip(labelled, rows.sort_values("index").itertuples(), strict=True):
            if (row.position, str(bool(row.editorial)).lower()) != (el.get("data-position"), el.get("data-editorial")):
                wrong.append(f"{path_of(page)} {row.anchor!r}: {row.position}/{row.editorial}, expected "
                             f"{el.get('data-position')}/{el.get('data-editorial')}")
    assert not wrong, "\n".join(wrong[:30])


@pytest.mark.parametrize("block", ["skip", "logo", "menu", "sidebar", "footer", "share", "related", "author_box",
                                   "entry_meta", "breadcrumb", "tags", "post_navigation"])
def test_the_theme_blocks_are_template(blog_site, links, block):
    """Each block the theme prints (menu, sidebar, footer, share buttons, related posts…): its links, found in the
    served file by the block's selector, are template and not editorial on every page."""
    folder, _, _ = blog_site
    selector = TEMPLATE_BLOCKS[block].selector
    checked = 0
    for page, rows in links.groupby("page", sort=False):
        root = parse_html((folder / path_of(page).strip("/") / "index.html").read_text(encoding="utf-8"))
        inside = {a for el in root.cssselect(selector) for a in el.iter("a") if a.get("href") is not None}
        order = [el for el in root.iter("a", "area") if el.get("href") is not None]
        rows = rows.sort_values("index")
        for el, row in zip(order, rows.itertuples(), strict=True):
            if el in inside:
                checked += 1
                assert row.template and not row.editorial, (path_of(page), row.anchor, block)
    assert checked > 30, block


def test_sitewide_pages_counts_distinct_pages(blog_run, links):
    """The menu is on every page; duplicates of a post (tracking parameters of Jetpack's related posts) count
    once, so a menu link is on as many pages as there are distinct texts, fewer than the fetched URLs."""
    pages = read_table(blog_run, "pages")
    html = pages[pages["words"].notna() & pages["redirect_target"].fillna("").eq("")]  # meta refreshes are redirects
    distinct = html["text_hash"].replace("", pd.NA).fillna(html["url"]).nunique()
    home = links[(links["anchor"] == MENU[0][0]) & (links["position"] == "navigation")]
    assert home["sitewide_pages"].nunique() == 1
    assert home["sitewide_pages"].iat[0] == distinct < len(html)
    recent = links[(links["position"] == "sidebar") & (links["anchor"] == BY_NUMBER[RECENT[0]].title)]
    assert recent["sitewide_pages"].eq(distinct).all()
    in_text = links[links["editorial"]]
    assert len(in_text) and in_text["sitewide_pages"].max() < 5


def test_page_figures_follow_the_article_text(blog_run, links):
    pages = read_table(blog_run, "pages")
    pages["path"] = pages["url"].map(path_of)
    normal = pages[pages["url"].str.endswith(BY_NUMBER[NORMAL].path)].iloc[0]
    own = links[(links["page"] == normal["url"]) & links["editorial"]]
    assert normal["editorial_links"] == len(own) > 0
    assert normal["internal_editorial_links"] == int((own["kind"] == "internal").sum()) > 0
    assert normal["template_links"] == int(links[links["page"] == normal["url"]]["template"].sum()) > 20
    assert 250 < normal["words"] < 500  # the post's own words, not the theme's


def test_page_rules_fire_on_the_pages_built_for_them(blog_run):
    issues = pd.read_csv(blog_run / "issues.csv", dtype="string", keep_default_na=False)
    issues["path"] = issues["page"].map(path_of)
    for path, expected in EXPECTED.items():
        got = set(issues[(issues["path"] == path) & issues["issue"].isin(PAGE_RULES)]["issue"])
        assert got == set(expected), (path, got)


# --- the plain module ----------------------------------------------------------------------------------------


def test_a_link_to_the_page_itself_or_a_share_link_is_the_same_link_on_every_page():
    home, a, b = "http://localhost/", "http://localhost/post/1/", "http://localhost/post/2/"
    share = "http://127.0.0.2/sharer.php?u={}"
    from urllib.parse import quote

    assert link_key(a, a, "#content", "Skip", "navigation", "/html/body/a[1]", "", "") == link_key(
        b, b, "#content", "Skip", "navigation", "/html/body/a[1]", "", "")
    assert link_key(home, home, "/", "Home", "navigation", "/nav[1]/a[1]", "", "") == link_key(
        a, home, "/", "Home", "navigation", "/nav[1]/a[1]", "", "")  # the menu's Home on the home page too
    shared_a, shared_b = share.format(quote(a, safe="")), share.format(quote(b, safe=""))
    assert link_key(a, shared_a, shared_a, "Share", "content", "//*[@id='s']/a[1]", "", "") == link_key(
        b, shared_b, shared_b, "Share", "content", "//*[@id='s']/a[1]", "", "")
    assert link_key(a, a + "?share=x", "?share=x", "X", "content", "/ul[1]/li[1]/a[1]", "", "") == link_key(
        b, b + "?share=x", "?share=x", "X", "content", "/ul[1]/li[1]/a[1]", "", "")
    assert link_key(home, a, "/post/1/", "P", "sidebar", "/ul[1]/li[1]/a[1]", "", "") == \
        link_key(b, a, "/post/1/", "P", "sidebar", "/ul[1]/li[1]/a[1]", "", "")
    assert link_key(a, "http://localhost/x", "/x", "x", "content", "/p[1]/a[1]", "we", "said") != link_key(
        b, "http://localhost/x", "/x", "x", "content", "/p[1]/a[1]", "they", "said")
    assert place('//*[@id="post-123"]/div[2]/p[4]/a[1]') == '//*[@id="post-"]/div/p/a'
    assert place_key("content", '//*[@id="post-1"]/p[1]/a[1]') == place_key("content", '//*[@id="post-2"]/p[3]/a[2]')


def test_page_counts_are_exact_across_partitions_and_count_duplicates_once():
    counts = PageCounts(partitions=4)
    for page in range(300):
        keys = [7, 2**63 + page % 3, page * 2**54 + 1]  # 7 everywhere, three keys on 100 pages each, one per page
        counts.add(keys + keys, page_key(f"http://localhost/{page}", ""))
    counts.add([7], page_key("http://localhost/0", ""))  # page 0 again: no new page
    counts.add([7], page_key("http://localhost/dup", "00000000000000ff"))
    counts.add([7], page_key("http://localhost/dup?utm=1", "00000000000000ff"))  # the same text at another URL
    found = counts.finish()
    assert found[7] == 301
    assert [found[2**63 + i] for i in range(3)] == [100, 100, 100]
    assert not any(page * 2**54 + 1 in found for page in range(300))  # keys on one page are not kept


@pytest.mark.parametrize(("editorial", "key_pages", "place_pages", "site", "expected"), [
    (True, 1, 40, 50, (False, True)),  # an article's own link: its place repeats, the link does not
    (True, 6, 40, 50, (True, False)),  # the same sentence and link on six pages: the theme's (a disclaimer)
    (False, 1, 40, 50, (True, False)),  # related posts: different links in a place that repeats
    (False, 1, 2, 50, (False, False)),  # a page's own block of links, not repeated
    (True, 4, 4, 4, (False, True)),  # a site too small to judge: the page's answer stands
])
def test_template_rule(editorial, key_pages, place_pages, site, expected):
    assert decide(editorial, key_pages, place_pages, 5, site) == expected
