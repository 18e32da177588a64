"""Extraction on HTML strings: one record per link occurrence, with kind, rel, follow, anchor, position, path."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkcrawler.classify import Classifier
from linkcrawler.extract import clean_text, extract, parse_html, robots_directives
from linkcrawler.position import UserRules

PAGE = "http://127.0.0.1:8080/dir/page.html"
SITE = Classifier.for_site(PAGE)


def links_of(html: str, **kwargs):
    root = parse_html(html)
    return extract(root, PAGE, SITE, **kwargs), root


def positions(html: str, **kwargs) -> dict[str, str]:
    found, _ = links_of(html, **kwargs)
    return {link.anchor: link.position for link in found.links}


def test_semantic_landmarks_and_precedence():
    html = """<body><header><a href="/">logo</a><nav><a href="/a">menu</a></nav>
      <nav aria-label="breadcrumb"><a href="/">crumb</a></nav></header>
      <main><article><p><a href="/b">body</a></p><header><a href="/c">article header</a></header>
        <footer><a href="/t">article footer</a></footer><aside><a href="/r">pull quote</a></aside>
        <nav class="toc"><a href="#x">toc</a></nav>
        <section id="comments"><article><a href="/u">commenter</a></article></section></article></main>
      <aside><nav><a href="/s">sidebar menu</a></nav></aside>
      <footer><nav><a href="/p">footer nav</a></nav></footer></body>"""
    assert positions(html) == {
        "logo": "header",
        "menu": "navigation",  # the site's menu is its navigation, inside the header too
        "crumb": "breadcrumb",  # a breadcrumb wins over the header it sits in
        "body": "content",
        "article header": "content",  # an article's own header/footer belong to the article
        "article footer": "content",
        "pull quote": "content",  # an aside inside an article is not the page sidebar
        "toc": "navigation",
        "commenter": "comments",
        "sidebar menu": "sidebar",  # a menu widget in the sidebar is sidebar
        "footer nav": "footer",  # a nav inside the footer is footer
    }


def test_wordpress_div_theme():
    html = """<body class="single has-sidebar right-sidebar"><div id="page">
      <div id="masthead" class="site-header"><div class="site-branding"><a href="/">site</a></div>
        <div id="site-navigation" class="main-navigation">
          <ul class="menu"><li><a href="/a">menu</a></li></ul></div></div>
      <div id="content" class="site-content"><div id="primary" class="content-area">
      <main id="main" class="site-main">
        <div class="entry-header"><a href="/e">entry header</a></div>
        <div class="entry-content"><p><a href="/b">body</a></p></div>
        <div class="entry-footer"><a href="/t">entry footer</a></div>
        <nav class="navigation post-navigation"><div class="nav-links"><a href="/n">next post</a></div></nav>
        <div id="comments" class="comments-area">
          <ol class="comment-list"><li><a href="/u">commenter</a></li></ol></div>
      </main></div>
      <div id="secondary" class="widget-area"><section class="widget"><a href="/w">widget</a></section></div></div>
      <div id="colophon" class="site-footer"><div class="footer-widgets"><a href="/f">footer widget</a></div></div>
    </div></body>"""
    assert positions(html) == {
        "site": "header",
        "menu": "navigation",
        "entry header": "content",
        "body": "content",
        "entry footer": "content",
        "next post": "navigation",
        "commenter": "comments",
        "widget": "sidebar",  # body class "has-sidebar" does not make the whole page sidebar
        "footer widget": "footer",
    }


def test_aria_roles():
    html = """<body><div role="banner"><a href="/">banner</a></div><div role="navigation"><a href="/a">nav</a></div>
      <div role="main"><a href="/b">main</a>
      <div itemtype="https://schema.org/BreadcrumbList"><a href="/">crumb</a></div>
      </div><div role="complementary"><a href="/s">side</a></div><div role="contentinfo"><a href="/f">info</a></div>
      </body>"""
    assert positions(html) == {
        "banner": "header", "nav": "navigation", "main": "content", "crumb": "breadcrumb", "side": "sidebar",
        "info": "footer",
    }


def test_user_rules_override_and_extend():
    html = """<body><div class="top-strip"><a href="/">strip</a></div>
      <div class="promo-box"><a href="/p">promo</a></div>
      <header><div id="cta"><a href="/c">cta</a></div></header><p><a href="/x">text</a></p></body>"""
    rules = UserRules.compile({"top-strip": "header", "promo": "sidebar", "header #cta": "content"})
    assert positions(html) == {"strip": "content", "promo": "content", "cta": "header", "text": "content"}
    assert positions(html, rules=rules) == {"strip": "header", "promo": "sidebar", "cta": "content", "text": "content"}


def test_kinds_rel_follow_target():
    html = """<a href="/in">in</a><a href="https://other.example/x" target=" _blank " rel="noopener">out</a>
      <a href="https://amzn.to/x" rel="Sponsored,NoFollow">aff</a><a href="/go/deal" rel="ugc">cloak</a>
      <a href="mailto:a@b.example">mail</a><a href="tel:+1">tel</a><a href="javascript:alert(1)">js</a>
      <a href="ftp://files.example/x">ftp</a><a href="http://[bad-ipv6/">bad</a>"""
    found, _ = links_of(html)
    rows = {lk.anchor: (lk.kind, lk.rel, lk.follow, lk.target) for lk in found.links}
    assert rows == {
        "in": ("internal", "", True, ""),
        "out": ("external", "noopener", True, "_blank"),
        "aff": ("affiliate", "sponsored nofollow", False, ""),
        "cloak": ("affiliate", "ugc", False, ""),
        "mail": ("mailto", "", True, ""),
        "tel": ("tel", "", True, ""),
        "js": ("javascript", "", True, ""),
        "ftp": ("other", "", True, ""),
        "bad": ("invalid", "", True, ""),
    }
    bad = found.links[-1]
    assert bad.url == "" and bad.error.startswith("invalid URL")


def test_page_nofollow_from_meta_or_header():
    found, _ = links_of('<head><meta name="robots" content="noindex,nofollow"></head><a href="/a">a</a>')
    assert found.nofollow and found.noindex and found.links[0].follow is False
    found, _ = links_of('<a href="/a">a</a>', header_directives=["googlebot: nofollow"])
    assert found.nofollow and not found.noindex
    found, _ = links_of('<a href="/a">a</a>', header_directives=["otherbot: noindex, nofollow"])
    assert not found.nofollow and found.links[0].follow
    assert robots_directives(["none"]) == {"noindex", "nofollow"}


def test_resolution_base_fragment_and_empty_href():
    html = """<head><base href="/base/"></head><a href="x.html#sec">rel</a><a href="#top">frag</a>
      <a href="">empty</a><a href=" /sp ace\n">spaced</a><a>placeholder</a><a href="//cdn.example/a">proto</a>"""
    found, _ = links_of(html)
    rows = [(lk.anchor, lk.url, lk.fragment, lk.error) for lk in found.links]
    assert rows == [
        ("rel", "http://127.0.0.1:8080/base/x.html", "sec", ""),
        ("frag", "http://127.0.0.1:8080/base/", "top", ""),
        ("empty", "http://127.0.0.1:8080/base/", "", "empty href"),
        ("spaced", "http://127.0.0.1:8080/sp%20ace", "", ""),
        ("proto", "http://cdn.example/a", "", ""),
    ]  # <a> without href is a placeholder, not a link


def test_anchor_sources():
    html = """<a href="/1">  Two\n  words </a><a href="/2"><img src="i.png" alt="Alt text"></a>
      <a href="/3" title="Title text"><img src="i.png"></a><a href="/4" aria-label="Label"></a><a href="/5"></a>
      <map><area href="/6" alt="Area alt"></map><a href="/7"><span>nested <b>text</b></span></a>"""
    found, _ = links_of(html)
    assert [(lk.anchor, lk.anchor_source, lk.image) for lk in found.links] == [
        ("Two words", "text", False),
        ("Alt text", "alt", True),
        ("Title text", "title", True),
        ("Label", "aria-label", False),
        ("", "none", False),
        ("Area alt", "alt", False),
        ("nested text", "text", False),
    ]


def test_anchor_keeps_the_white_space_between_its_elements():
    # a headline set in two spans on two lines reads "Husband Plea", as a browser shows it; letters of one word in
    # two elements stay one word
    html = """<a href="/1"><span>Husband</span>
      <span>Plea</span></a> <a href="/2">Bold<b>er</b> text</a>
      <a href="/3"><span>a</span> <span>b</span>\t<i>c</i></a>"""
    found, _ = links_of(html)
    assert [lk.anchor for lk in found.links] == ["Husband Plea", "Bolder text", "a b c"]


def test_control_characters_and_long_anchors():
    html = '<a href="/a\x01b">ctl\x07 text\x1b</a><a href="/l">' + "word " * 500 + "</a>"
    found, _ = links_of(html, max_anchor_chars=100)
    first, long = found.links
    assert first.anchor == "ctl text" and "control characters in href" in first.error
    assert "\x01" not in first.href
    assert len(long.anchor) == 100 and long.anchor.endswith("…")


def test_link_path_finds_the_element_again():
    html = """<body><div><p>x</p><p><a href="/1">one</a><a href="/2">two</a></p></div>
      <div id="side"><ul><li><a href="/3">three</a></li><li><a href="/4">four</a></li></ul></div></body>"""
    found, root = links_of(html)
    paths = [lk.link_path for lk in found.links]
    assert paths == ["/html/body/div[1]/p[2]/a[1]", "/html/body/div[1]/p[2]/a[2]",
                     '//*[@id="side"]/ul[1]/li[1]/a[1]', '//*[@id="side"]/ul[1]/li[2]/a[1]']
    for link in found.links:
        (el,) = root.xpath(link.link_path)
        assert el.get("href") == link.href


def test_content_words_and_link_words():
    html = """<body><header><a href="/">Logo words here</a></header>
      <main><p>One two three <a href="/a">four five</a> six<!-- note --> seven</p><script>var x = 1;</script></main>
      <footer>Footer words</footer></body>"""
    found, _ = links_of(html)
    assert found.words == 7
    assert found.editorial_link_words == 2


def test_head_facts():
    html = """<head><title> A\n title </title><link rel="Canonical" href="/canon"><meta name="robots" content="noindex">
      <meta http-equiv="Refresh" content="3; URL='/next'"></head><body></body>"""
    found, _ = links_of(html)
    assert (found.title, found.canonical, found.meta_robots, found.refresh) == (
        "A title", "http://127.0.0.1:8080/canon", "noindex", "http://127.0.0.1:8080/next")
    assert found.noindex and not found.nofollow


def test_clean_text():
    assert clean_text(" a\x00b\tc\n\n d ") == "a b c d"


HREFS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["http://[::1", "http://x:99999", "//", "#", "?q", "mailto:", "http://", "javascript:", "\x00"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hrefs=st.lists(HREFS, max_size=8), noise=st.text(max_size=200))
def test_any_markup_yields_one_record_per_link(hrefs, noise):
    from html import escape

    body = "".join(f'<a href="{escape(h, quote=True)}">{escape(noise[:10])}</a><div>{noise}' for h in hrefs)
    root = parse_html(f"<html><body>{body}</body></html>")
    found = extract(root, PAGE, SITE)
    expected = len(root.xpath("//a[@href] | //area[@href]"))
    assert len(found.links) == expected
    for link in found.links:
        assert link.kind in {"internal", "external", "affiliate", "mailto", "tel", "javascript", "other", "invalid"}
        assert (link.kind == "invalid") == (link.url == "")
        assert not any(ord(c) < 32 for c in link.anchor + link.href)


@pytest.mark.parametrize("href", ["HTTPS:", "http://", "HTTP://", "//", "///", "https:///"])
def test_http_urls_without_a_host_are_invalid_not_the_page_itself(href):
    # urljoin reads "http://" and "//" as the base URL; a browser refuses them (WHATWG: empty host)
    found, _ = links_of(f'<a href="{href}">x</a>')
    (link,) = found.links
    assert (link.kind, link.url) == ("invalid", "")
    assert link.error.startswith("no host in URL")


@pytest.mark.parametrize("body", ["", "\x00\x00", "<a href='/x'", "<<<>>>", "<html><a href=/a>unclosed"])
def test_degenerate_documents(body):
    root = parse_html(body)
    found = extract(root, PAGE, SITE)
    assert all(link.url.startswith("http://127.0.0.1:8080/") for link in found.links)


def test_content_after_closing_html_tag_is_kept_as_browsers_do():
    from linkcrawler.extract import parse_html

    root = parse_html("<html><body><a href='/a'>a</a></body></html>\n<a href='/b'>b</a>")
    assert [link.anchor for link in extract(root, PAGE, SITE).links] == ["a", "b"]
    root = parse_html("<html><body><a href='/a'>a</a></body></HTML>  \n")
    assert [link.anchor for link in extract(root, PAGE, SITE).links] == ["a"]
