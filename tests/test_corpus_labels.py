"""The corpus builder's labelling rules, on small hand-written pages (CI has no corpus)."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks import corpus
from benchmarks.corpus_build import (
    Source,
    anchor_of,
    build,
    decode,
    gold_labeller,
    googletrends_labeller,
    l3s_labeller,
    links_of,
    render,
    snippet_labeller,
    ui_control_rule,
    words,
)
from linkcrawler.classify import Classifier
from linkcrawler.extract import extract, parse_html

ARTICLE = """<html><head><title>T</title><script>var a = "<a href='/js'>js</a>";</script></head><body>
<ul id="menu"><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul>
<div id="main"><h1>Rivers are rising</h1>
<p>The <a href="/river">river Elbe</a> rose by two metres overnight, the news agency said on Monday.</p>
<p>Read the <a href="/report">full flood report</a> of the county.</p>
<ul><li><a href="/a">Sandbags for residents</a></li><li><a href="/b">Road closures this week</a></li></ul>
<p>Photo: <a href="/img"><img src="x.jpg" alt="The river at night"></a> <a href="/n">1</a></p>
</div>
<div id="side"><h3>Recent</h3>
<ul><li><a href="/rivers">Rivers are rising</a></li><li><a href="/c">Cats</a></li></ul></div>
<p id="foot"><a href="/imprint">Imprint</a> | <a href="#" onclick="x()">Close</a></p>
</body></html>"""

MAIN = """Rivers are rising
The river Elbe rose by two metres overnight, the news agency said on Monday.
Read the full flood report of the county.
Sandbags for residents
Road closures this week
Photo:"""


def labels_for(html: str, labeller) -> dict[str, tuple[bool | None, str]]:
    root = parse_html(html)
    links = links_of(root)
    labels, _ = labeller(root, links)
    return {el.get("href"): ui_control_rule(el, label) for el, label in zip(links, labels, strict=True)}


def test_links_and_anchors_are_linkcrawlers():
    html = ('<p><a href="/a"> two\n words </a><a href="/i"><img alt="Logo"><img alt="Mark"></a>'
            '<a href="/t" title="By title"></a><a href="/l" aria-label="By aria"><img src="x"></a><a>no href</a>'
            '<map><area href="/m" alt="Area alt"></map><a href="">empty</a></p>')
    root = parse_html(html)
    links = links_of(root)
    assert [anchor_of(el) for el in links] == ["two words", "Logo Mark", "By title", "By aria", "Area alt", "empty"]
    page = "http://127.0.0.1/"
    assert [link.anchor for link in extract(root, page, Classifier.for_site(page)).links] == [
        anchor_of(el) for el in links]


def test_render_joins_inline_text_and_skips_scripts_and_comments():
    root = parse_html("<div>foo<b>bar</b> <!-- hidden --> baz<script>no</script><p>Zwei&nbsp;Wörter</p></div>")
    assert render(root).tokens == ["foobar", "baz", "zwei", "wörter"]
    assert words("Ｆｕｌｌ-width, CAFÉ’s") == ["full", "width", "café", "s"]


def test_gold_text_rule():
    got = labels_for(ARTICLE, gold_labeller(MAIN))
    assert got["/river"][0] is True  # anchor and its context are in the main text
    assert got["/report"][0] is True
    assert got["/a"][0] is True and got["/b"][0] is True  # list items: their neighbouring words are in it
    assert got["/"][0] is False  # "Home" is nowhere in the main text
    assert got["/sport"][0] is False
    assert got["/news"] == (None, "short block; anchor in main text but its neighbours not")  # "news" is a word of it
    assert got["/rivers"][0] is None  # the headline repeated in a sidebar is not judged true
    assert got["/img"][0] is None  # no rendered anchor words
    assert got["/n"] == (None, "anchor of 1-2 characters")
    assert got["/imprint"][0] is False
    assert "/js" not in got  # script text is no markup


def test_gold_text_rule_needs_the_context_not_just_the_anchor():
    html = "<p>Weather: <a href='/w'>river Elbe</a> levels for anglers and boats today</p>"
    assert labels_for(html, gold_labeller(MAIN))["/w"] == (None, "anchor in main text, its context not")


def test_ui_control_in_the_main_text_is_not_judged():
    html = "<p>The river Elbe rose by <a href='#'>two metres</a> overnight, the news agency said.</p>"
    assert labels_for(html, gold_labeller(MAIN))["#"] == (
        None, "UI control in main text (href '#', 'javascript:' or empty)")
    assert labels_for(ARTICLE, gold_labeller(MAIN))["#"][0] is False  # outside the main text it stays false


def test_post_furniture_in_a_gold_text_is_not_judged():
    html = ("<div><p>The river Elbe rose by two metres overnight, the news agency said.</p>"
            "<p>11:36 AM | <a href='/p'>Permalink</a> | <a href='/c'>Comments (1)</a></p>"
            "<p>Labels: <a href='/t'>floods</a></p><p><a href='/d'>June 4th, 2004 at 2:32 pm</a></p></div>")
    main = "The river Elbe rose by two metres overnight, the news agency said.\n11:36 AM | Permalink | Comments (1)\n" \
           "Labels: floods\nJune 4th, 2004 at 2:32 pm"
    got = labels_for(html, gold_labeller(main))
    for href in ("/p", "/c", "/t", "/d"):
        assert got[href] == (None, "post metadata (permalink, comment count, date, tags) in the gold text"), href


def test_snippet_rule():
    html = ("<p>Die <a href='/e'>Elbe</a> stieg über Nacht um zwei Meter.</p>"
            "<p><a href='/i'>Impressum</a> | <a href='/d'>Datenschutz</a></p>"
            "<p>Mixed: stieg über Nacht and <a href='/m'>Impressum</a></p><p><a href='/x'>Anderes</a></p>")
    got = labels_for(html, snippet_labeller(["stieg über Nacht"], ["Impressum"]))
    assert got["/e"] == (True, "block contains a 'with' snippet")
    assert got["/i"][0] is False and got["/d"][0] is False
    assert got["/m"][0] is None and got["/x"][0] is None
    teaser = "<div><a href='/t'>Die Elbe stieg über Nacht</a></div>"  # the page's own headline in a teaser
    assert labels_for(teaser, snippet_labeller(["stieg über Nacht"], ["Impressum"]))["/t"][0] is None


def test_googletrends_labels_and_main_text():
    html = ("<body><nav><a href='/n'>Nav</a></nav><h1 __label='title'>Big news</h1>"
            "<span __label='author'>by <a href='/au'>Ann</a></span>"
            "<p __label='main '>Text with <a href='/in'>a link</a> inside.</p>"
            "<div __label='image'><a href='/pic'>Picture</a></div><p __label='main'><a href='/ph'><img></a></p>"
            "<p><a href='/mix'><b __label='main'>half</b> and half</a></p>"
            "<div __label='commen'><a href='/c'>c</a></div>"
            "</body>")
    root = parse_html(html)
    links = links_of(root)
    labels, main_text = googletrends_labeller()(root, links)
    got = dict(zip([el.get("href") for el in links], labels, strict=True))
    assert got["/in"] == (True, "GT: main")
    assert got["/n"] == (False, "GT: unlabelled")
    assert got["/au"][0] is False and got["/c"][0] is False
    assert got["/pic"][0] is None  # image/video labels are not judged
    assert got["/ph"] == (True, "GT: main")  # an image-only link inside a labelled element takes its label
    assert got["/mix"][0] is None  # its text nodes disagree
    assert main_text == "Big news\nText with a link inside.\nhalf"  # only labelled text


def test_l3s_labels_come_from_the_annotated_copy():
    original = ("<body><a href='/home'>Home</a><a href='/more'>More</a><p>Storm hits coast. Read "
                "<a href='/w'>the warning</a> now.</p><p>Photo: <a href='/ap'>AP</a> Reporter</p>"
                "<ul><li><a href='/r1'>Other story</a></li></ul><a href='/gone'>Only in the original</a></body>")
    annotated = ("<body><a href='javascript:void(0)'>Home</a><a href='javascript:void(0)'>More</a>"
                 "<span class='x-nc-sel1'>Headline</span><p><span class='x-nc-sel2'>Storm hits coast. Read "
                 "<a href='javascript:void(0)'>the warning</a> now.</span></p><p><span class='x-nc-sel3'>Photo: "
                 "<a href='javascript:void(0)'>AP</a> Reporter</span></p><ul><li><span class='x-nc-sel4'>"
                 "<a href='javascript:void(0)'>Other story</a></span></li></ul></body>")
    got = labels_for(original, l3s_labeller(annotated))
    assert got["/w"] == (True, "L3S: full text")
    assert got["/home"] == (False, "L3S: unlabelled")
    assert got["/ap"] == (None, "L3S: supplemental")
    assert got["/r1"] == (False, "L3S: related content")
    assert got["/gone"] == (False, "not in annotated copy; anchor not in main text")


def test_decode_follows_the_meta_charset():
    assert decode('<meta charset="iso-8859-1"><p>Gr\xfc\xdfe</p>'.encode("latin-1")).endswith("Grüße</p>")
    assert decode("<p>Grüße</p>".encode()) == "<p>Grüße</p>"


def test_build_and_load_round_trip(tmp_path: Path):
    gt = tmp_path / "gt" / "datasets" / "googletrends" / "raw_html"
    gt.mkdir(parents=True)
    page = ("<html><body><ul><li><a href='/a'>A menu</a></li><li><a href='/b'>B menu</a></li></ul>"
            "<p __label='main'>Main text with <a href='/x'>one link</a> and some more words to make it long "
            "enough for the corpus to keep this page as one of its pages.</p></body></html>")
    (gt / "001.html").write_text(page, encoding="utf-8")
    stats = build({"googletrends": Source(str(tmp_path / "gt"))}, tmp_path / "out", 1, {"googletrends": 5},
                  slim_html=False, log=lambda *a: None)
    assert stats["googletrends"]["pages"] == 1
    (got,) = corpus.load(tmp_path / "out")
    assert got.id == "googletrends:001" and got.url is None and "__label" not in got.html
    assert [(link.anchor, link.editorial) for link in got.links] == [
        ("A menu", False), ("B menu", False), ("one link", True)]
    assert [link.i for link in got.judged] == [0, 1, 2]
    assert got.main_text.startswith("Main text with one link")


def _l3s_site_page(n: int, flood_map: bool) -> tuple[str, str]:
    """An original and an annotated copy of article ``n`` of a news site: its own story and link, a line of the
    text that every article repeats word for word (the harbour master's notice), a line on some articles only (the
    flood map), and a promotion the theme repeats in the story's container, in running text (page level,
    editorial)."""
    story = (f"Storm number {n} hit the coast on Monday, and the harbour master closed the port for the "
             f"night while <a href='/warning-{n}'>the warning for storm {n}</a> stayed in force until noon.")
    notice = ("Ferries will stay in port, as <a href='/harbour-notice'>the harbour master's notice</a> says, until "
              "the wind drops below force eight on the whole coast.")
    flood = ("Readers can check <a href='/flood-map'>the county flood map</a> before they travel to the coast this "
             "week, as roads may close.") if flood_map else ""
    promo = ("Our print edition comes every morning, with the weather, the tides and the ferry times of the "
             "whole region: <a href='/subscribe-print'>get the paper delivered</a> from only two pounds a week.")
    def blank(html: str) -> str:
        return re.sub(r"href='[^']*'", "href='javascript:void(0)'", html)

    menu = "<ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li><li><a href='/sport'>Sport</a></li></ul>"
    text = f"<p>{story}</p><p>{notice}</p>" + (f"<p>{flood}</p>" if flood else "")
    original = f"<html><body>{menu}<div><h1>Storm {n}</h1>{text}<p>{promo}</p></div></body></html>"
    marked = "".join(f"<p><span class='x-nc-sel2'>{part}</span></p>" for part in re.findall(r"<p>(.*?)</p>", text))
    annotated = blank(f"<html><body>{menu}<div><h1><span class='x-nc-sel1'>Storm {n}</span></h1>{marked}"
                      f"<p>{promo}</p></div></body></html>")
    return original, annotated


def test_sites_sample_and_the_template_pass_on_it(tmp_path: Path, capsys):
    from benchmarks import sites
    from benchmarks.corpus_build import L3S_FOLDER

    folder = tmp_path / "l3s" / L3S_FOLDER
    (folder / "original").mkdir(parents=True)
    (folder / "annotated").mkdir()
    mapping = []
    # site one: five articles and a copy of the first at another URL (one main text: one page for the counts);
    # site two: four articles, one short of a crawl
    pages = [("http://127.0.0.1/news/", n, f"storm-{n}.html", n != 4) for n in range(5)]
    pages += [("http://127.0.0.1/news/", 0, "storm-0.html?from=home", True)]
    pages += [("http://127.0.0.2/news/", n, f"gale-{n}.html", True) for n in range(4)]
    for number, (site, n, path, flood_map) in enumerate(pages):
        original, annotated = _l3s_site_page(n, flood_map)
        name = f"00000000-0000-0000-0000-0000000000{number:02d}"
        (folder / "original" / f"{name}.html").write_text(original, encoding="utf-8")
        (folder / "annotated" / f"{name}.html").write_text(annotated, encoding="utf-8")
        mapping.append(f"<urn:uuid:{name}>\t{site}{path}")
    (folder / "url-mapping.txt").write_text("\n".join(mapping) + "\n", encoding="utf-8")
    stats = build({"l3s-gn1": Source(str(tmp_path / "l3s"))}, tmp_path / "sites", 1, {"l3s-gn1": 100},
                  slim_html=False, log=lambda *a: None, min_host_pages=5)
    assert stats["l3s-gn1"]["sites"] == 1 and stats["l3s-gn1"]["pages"] == 6
    assert {page.url.split("/")[2] for page in corpus.load(tmp_path / "sites")} == {"127.0.0.1"}

    assert sites.main(["--corpus", str(tmp_path / "sites"), "--only", ""]) == 0
    rows = {line[:30].strip(): line[30:].split() for line in capsys.readouterr().out.splitlines()}
    # page level, every line of the text is editorial and so is the promotion: 17 true links (each story's own,
    # the notice on all six pages, the flood map on five) and 6 false positives. The crawl counts five pages
    # (the copy is the same text): the promotion and the notice are on all five, in the same place, so they are
    # the theme's (the notice's 6 true links are lost); the flood map is on four and stays editorial
    assert rows["linkcrawler, page level"][3:6] == ["17", "6", "0"]
    assert rows["linkcrawler, after the crawl"][3:6] == ["11", "0", "6"]
    assert rows["127.0.0.1"] == ["6", "41", "17", "6", "0", "6"]


def test_zyte_benchmark_is_read_as_its_own_set(tmp_path: Path):
    import gzip
    import json

    src = tmp_path / "zyte"
    (src / "html").mkdir(parents=True)
    body = ("The river Elbe rose by two metres overnight, the news agency said on Monday.\n\n"
            "Read the full flood report of the county, with the road closures of the week.")
    (src / "ground-truth.json").write_text(json.dumps({"abc123": {"articleBody": body,
                                                                  "url": "http://127.0.0.1/flood"}}))
    page = ("<html><body><ul><li><a href='/'>Home</a></li><li><a href='/sport'>Sport</a></li></ul><div>"
            "<p>The <a href='/river'>river Elbe</a> rose by two metres overnight, the news agency said on Monday.</p>"
            "<p>Read the <a href='/report'>full flood report</a> of the county, with the road closures of the "
            "week.</p></div></body></html>")
    (src / "html" / "abc123.html.gz").write_bytes(gzip.compress(page.encode()))
    (src / "html" / "unlabelled.html.gz").write_bytes(gzip.compress(page.encode()))  # not in the ground truth
    stats = build({"zyte": Source(str(src))}, tmp_path / "out", 1, {"zyte": 181}, slim_html=False,
                  log=lambda *a: None)
    assert stats["zyte"]["pages"] == 1
    (got,) = corpus.load(tmp_path / "out")
    assert got.id == "zyte:abc123" and got.url == "http://127.0.0.1/flood"
    assert [(link.anchor, link.editorial) for link in got.links] == [
        ("Home", False), ("Sport", False), ("river Elbe", True), ("full flood report", True)]
