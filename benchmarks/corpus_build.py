"""Build the real-page link corpus: for each link of a real page, is it editorial (in the page's own main text)?

The corpus itself is not committed (``benchmarks/corpus/`` is git-ignored): this script rebuilds it from local copies
of public sets whose main text was marked by people. Each page becomes one JSON line of
``benchmarks/corpus/<dataset>.jsonl.xz``; read them with :mod:`benchmarks.corpus`.

Sources (get a local copy of each: ``git clone`` the repository, or any checkout/bare git dir of it; a bare git dir
is read with ``git`` at ``PATH@REV``, HEAD when no ``@REV`` is given)
-----------------------------------------------------------------------------------------------------------------
``trafilatura``  github.com/adbar/trafilatura, ``tests/eval/*.html`` + ``tests/evaldata.json`` (human-chosen
    "with"/"without" snippets), commit e90b0ef51ab026fdb905fb6c5b3c84dd3d784fd5. Repository licence Apache-2.0;
    the pages themselves belong to their sites. Snippets only: ``main_text`` is null, pages serve link labels only.
``cleaneval``    CleanEval final test set (Baroni et al. 2008; input pages + hand-cleaned gold text), as mirrored in
    github.com/j-szulc/html-cleaning-dataset-merged ``cleaneval-final/{input,GoldStandard}``, commit
    46e01a04b47051838a228bf23631430b2c9de375 (also in github.com/dalab/web2text ``src/main/resources/cleaneval``).
    No licence stated (neither by CleanEval nor by the mirror, which says all rights stay with the owners).
``dragnet``      Dragnet data (Moz, 2012; raw HTML + hand-corrected "Corrected" text, comments after the
    ``!@#$%^&*() COMMENTS`` marker), as mirrored in github.com/j-szulc/html-cleaning-dataset-merged
    ``dragnet_data/{input,GoldStandard}`` (same commit). The gold texts are byte-identical to
    ``dragnet_Corrected.tar.gz`` of github.com/seomoz/dragnet_data commit 95559bee8812387d8e2cca2e8090004319ab9602,
    whose ``dragnet_HTML.tar.gz`` is not retrievable here. Licence: AGPL-3.0 (seomoz/dragnet_data README + LICENSE).
``l3s-gn1``      L3S-GN1 (Kohlschütter et al., WSDM 2010; 621 Google News articles, original HTML + annotated copy with
    ``span.x-nc-sel0..5`` = not content / headline / full text / supplemental / related content / comments), as
    unpacked in github.com/geodrome/page-signal ``L3S-GN1-20100130203947-00001/{original,annotated,url-mapping.txt}``,
    commit 186d8153b3d111f84865ddc180600a9cbe35ac7f. Licence: L3S grants use "for your research use only"
    (``Readme-L3S-GN1.txt``); the page-signal repository states no licence of its own.
``googletrends`` GoogleTrends-2017 (Leonhardt et al., BoilerNet, WWW 2020; 180 pages whose elements carry a human
    ``__label`` attribute: main, title, subtitle, caption, author, date, comment, image, video, footer), from the
    first commit of mrjleo/boilernet, kept in the fork github.com/sakata-yusuke-75/boilernet_japanese at commit
    31de39a335bfc6c41da78cb502e75670996cb6d1, ``datasets/googletrends/raw_html`` (upstream has since removed the data
    and links a Google Drive copy). Licence: the repository at that commit is GPL-3.0 (upstream is MIT now); no
    separate licence is stated for the data. Non-ASCII characters of these pages were already replaced by "?".
``zyte``         the independent check, never in a sample and never tuned on: the Scrapinghub/Zyte
    article-extraction benchmark (181 article pages of 2019-2020 with their article body as people extracted it,
    ``html/*.html.gz`` + ``ground-truth.json``), github.com/scrapinghub/article-extraction-benchmark commit
    4a3bc979f76c0df73cb95fe272e2fc1b96f9f010, MIT licence. Labelled like the gold-text sets (``articleBody``
    is the main text), built into its own folder: ``--zyte PATH --out benchmarks/zyte`` (all 181 pages).
Not used: anything derived from the Zyte benchmark, AI-generated ground truths, Mozilla Readability's test pages
(expected output made by the program).

Rebuild (from the repository root; ``M`` is wherever the copies are, here the fetched bare git dirs)::

    M=/work/.mirror
    .venv/bin/python benchmarks/corpus_build.py \\
      --trafilatura $M/adbar+trafilatura/repo@e90b0ef51ab026fdb905fb6c5b3c84dd3d784fd5 \\
      --cleaneval $M/j-szulc+html-cleaning-dataset-merged/repo@46e01a04b47051838a228bf23631430b2c9de375 \\
      --dragnet $M/j-szulc+html-cleaning-dataset-merged/repo@46e01a04b47051838a228bf23631430b2c9de375 \\
      --l3s $M/geodrome+page-signal/repo@186d8153b3d111f84865ddc180600a9cbe35ac7f \\
      --googletrends $M/sakata-yusuke-75+boilernet_japanese/repo@31de39a335bfc6c41da78cb502e75670996cb6d1 \\
      --out benchmarks/corpus

(defaults: ``--seed 20240611``, quotas trafilatura 150, cleaneval 120, dragnet 110, l3s-gn1 100, googletrends 100
pages; the run takes about two minutes and writes about 12 MB.)

A second sample of the same sets, for checking rules on pages nobody looked at while writing them: the same
command with ``--out benchmarks/heldout --held-out benchmarks/corpus --quota trafilatura=150 --quota cleaneval=120
--quota dragnet=110 --quota l3s-gn1=100 --quota googletrends=80`` (GoogleTrends-2017 has 180 pages in all), then
``benchmarks/editorial.py --corpus benchmarks/heldout``. Its labels were hand-checked on 2026-12-02, after the
rules of 2026-12-01 had been measured on it (``corpus_spotcheck.md``, second round).

A third sample, for the rules written after that: the same command without ``--googletrends`` (all 180 of its
pages are in the first two), with ``--out benchmarks/fresh --held-out benchmarks/corpus --held-out
benchmarks/heldout --quota trafilatura=150 --quota cleaneval=120 --quota dragnet=110 --quota l3s-gn1=100``
(trafilatura's set runs out at 86 pages). Its labels were hand-checked later on 2026-12-02, after the rules of
that day had been measured on it, totals only (``corpus_spotcheck.md``, third round).

A fourth sample, on which rules were gated, never fitted: the same command without ``--trafilatura`` and
``--googletrends``, with ``--out benchmarks/fourth --held-out benchmarks/corpus --held-out benchmarks/heldout
--held-out benchmarks/fresh --quota cleaneval=120 --quota dragnet=110 --quota l3s-gn1=100``. Its labels were
hand-checked right after the third sample's (``corpus_spotcheck.md``, fourth round); no rule was fitted to one of
its pages.

A sample of sites, for the crawl-wide template pass (``benchmarks/sites.py``): ``--l3s`` alone with ``--out
benchmarks/sites --min-host-pages 5 --quota l3s-gn1=1000``: the L3S-GN1 pages kept (3 judged links or more…) of the
hosts with five such pages or more, 81 pages of 10 sites (it overlaps the other samples; pages outside them have
the labels of the rules alone).

Labels (``editorial``: true / false / null = not judged; ``why`` says which rule decided)
-------------------------------------------------------------------------------------
Links, their order and anchors are exactly linkcrawler's (the same elements as :func:`linkcrawler.extract.extract`
reports, with its anchors).
Texts are compared as word tokens (``\\w+`` after Unicode NFKC and casefolding), so punctuation and whitespace are
ignored. A link's *context* is up to 4 words either side of it inside its nearest block-level ancestor.

* Gold-text sets (cleaneval, dragnet): true when anchor + context occur in the main text (or the anchor with 2-4
  words of one side; a link that is (nearly) its whole block needs 2-3 neighbouring words, across the block edge, in
  the main text); false when the anchor's words occur nowhere in the main text; null for an anchor with no rendered
  words (image links, icons, links in unrendered markup), anchors of 1-2 characters, and an anchor that is in the
  main text while its context is not (a repeated phrase, e.g. a menu item that is also a word of the article).
* trafilatura snippets: true when the link's block (at most 250 words) contains a "with" snippet outside the anchor
  (null when the snippet is only inside the anchor: a headline repeated in a teaser), false when it contains a
  "without" snippet (null when both); for bigger blocks the anchor + context must lie inside a snippet.
* Node-annotated sets use the people's labels of the link's text nodes (the nearest labelled ancestor of each):
  L3S-GN1 headline/full text -> true; not content, related content, comments and unlabelled -> false; supplemental
  -> null (it mixes captions with bylines, datelines, sources and editors' names). GoogleTrends main/title/subtitle/
  caption -> true; author/date/comment/footer and unlabelled -> false; image/video -> null. Text nodes that disagree
  -> null. An image-only link is judged only when a labelled element encloses it. L3S-GN1's annotated copies were
  saved from a browser (hrefs rewritten, some menus missing): links are matched to them by anchor sequence, and a
  link without a match is labelled like the gold-text sets against the annotated headline + full text (null when
  its anchor is in the supplemental text).
* Everywhere, a link that would be true is null when its href is empty, ``#`` or ``javascript:`` (a toggle, a
  pop-up, "show all"), or when it is post furniture that some gold texts keep: an anchor such as "Permalink",
  "Comments (4)", "Read more" or a date/time stamp, or a block starting with "Labels:", "Tags:", "Categories:",
  "Filed under", "Posted in" (found by the spot-check). Such links outside the main text stay false.
Hand check (``benchmarks/corpus_checks.jsonl``, applied unless ``--no-checks``): every link the rules above call true
was looked at by hand in its page (its ancestors, its block, the HTML around it) against the careful reader's
criterion of ``benchmarks/corpus_spotcheck.md``; the file lists those whose true label does not stand, with the
anchor and the reason: ``boilerplate`` -> false (bylines, author boxes, comment threads, navboxes, related and
teaser boxes, site-wide blurbs, sidebars the annotators kept), ``unsure`` -> null (a headline linking to its own
page). Every link the rules call false that stands in a block of running text (25 words or more, under half of
them link words: where a false label is most likely wrong, the article's own endnotes or a paragraph the annotator
skipped) was checked the same way; ``editorial`` -> true. The other false labels (menus, link lists, sidebars)
were not rechecked: a spot-check of 200 found none wrong. Which links were checked does not depend on any method's
answer.
Each link keeps the label before the check in ``marked``; ``benchmarks/editorial.py`` prints the figures against
both. A check whose anchor no longer matches the link it names is not applied, and counted.
The annotation markup is not stored: L3S-GN1 pages are stored from ``original/``, GoogleTrends pages with their
``__label`` attributes removed; CleanEval's ``<text ...>`` wrapper line is removed. Nothing else of the markup is
changed (``--slim`` would empty ``<script>``/``<style>`` bodies). ``main_text`` is the gold text before comments
(cleaneval, dragnet) or the text of the elements labelled editorial (l3s-gn1: headline + full text; googletrends:
main, title, subtitle, caption).

Pages are left out when linkcrawler's own ``extract()`` fails on them, when fewer than 3 links are judged, when the
main text has under 20 words, or when under 70 % of its word trigrams are found in the stored page (wrong pairing or
decoding).

Sampling: per set, candidates are shuffled with ``random.Random(f"{seed}:{dataset}")`` and taken in that order until
the set's quota of pages with at least 3 judged links is reached.
"""

from __future__ import annotations

import argparse
import bisect
import codecs
import difflib
import gzip
import json
import lzma
import random
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from linkcrawler.extract import clean_text, cut, parse_html  # noqa: E402

MAX_ANCHOR_CHARS = 500  # linkcrawler's default cut of Link.anchor
CONTEXT_WORDS = 4
MAX_SNIPPET_BLOCK_WORDS = 250
MIN_COVERAGE = 0.7  # pages whose main text is mostly not in the stored page are skipped
DEFAULT_QUOTAS = {"trafilatura": 150, "cleaneval": 120, "dragnet": 110, "l3s-gn1": 100, "googletrends": 100,
                  "zyte": 181}
DATASETS = tuple(DEFAULT_QUOTAS)

NO_TEXT = {"script", "style", "template", "noscript", "title", "head", "textarea", "select", "option"}
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "html", "iframe", "legend", "li", "main", "menu", "nav", "noframes", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
BREAK_TAGS = {"br", "hr", "img", "input", "button"}
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W+")


# --------------------------------------------------------------------------------------------- text and tokens


def words(text: str) -> list[str]:
    """Normalised word tokens of ``text``: NFKC, casefolded, punctuation and whitespace dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def phrase(tokens: Iterable[str]) -> str:
    """Tokens as a space-padded string, so that ``phrase(a) in phrase(b)`` means a word sequence inside another."""
    return " " + " ".join(tokens) + " "


@dataclass
class Rendered:
    """The rendered text of a document as tokens, with each element's token range."""

    tokens: list[str]
    spans: dict  # element -> (first token, end token)
    main_text: str  # text of the elements whose label is editorial (when a label function was given)

    def range_of(self, el: etree._Element) -> tuple[int, int]:
        return self.spans.get(el, (0, 0))


def _node_tokens(text: str, offset: int, out_starts: list[int], out_ends: list[int], out_tokens: list[str]) -> None:
    for m in _WORD.finditer(text):
        for tok in _NON_WORD.split(unicodedata.normalize("NFKC", m.group()).casefold()):
            if tok:
                out_starts.append(offset + m.start())
                out_ends.append(offset + m.end())
                out_tokens.append(tok)


def text_lines(text: str) -> str:
    """``text`` with each line's white space folded and its empty lines dropped."""
    return "\n".join(line for line in (clean_text(x) for x in text.splitlines()) if line)


def render(root: etree._Element, label_of: Callable[[etree._Element], str | None] | None = None,
           editorial: frozenset[str] = frozenset()) -> Rendered:
    """Walk ``root`` in document order as a browser renders text: skipped tags, blocks as line breaks.

    ``label_of(el)`` gives an element's own annotation label (inherited by its descendants); the text under a label
    in ``editorial`` is collected as ``main_text``.
    """
    pieces: list[str] = []
    main: list[str] = []
    length = 0
    char_spans: dict = {}
    # items: (kind, payload, skip, label); kind "open" (element), "close" (element), "text" (string)
    stack: list[tuple[str, object, bool, str | None]] = [("open", root, False, None)]
    while stack:
        kind, obj, skip, label = stack.pop()
        if kind == "text":
            if not skip and obj:
                pieces.append(obj)
                length += len(obj)
                if label in editorial:
                    main.append(obj)
            continue
        el = obj
        tag = el.tag if isinstance(el.tag, str) else None
        if kind == "close":
            if tag in BLOCK_TAGS or tag in BREAK_TAGS:
                pieces.append("\n")
                length += 1
                main.append("\n")
            char_spans[el] = (char_spans[el][0], length)
            continue
        if tag is None:  # comment or processing instruction: its text is not rendered, its tail is
            continue
        own = label_of(el) if label_of else None
        label = own if own is not None else label
        skip = skip or tag in NO_TEXT
        if tag in BLOCK_TAGS or tag in BREAK_TAGS:
            pieces.append("\n")
            length += 1
            main.append("\n")
        char_spans[el] = (length, length)
        stack.append(("close", el, skip, label))
        for child in reversed(el):
            stack.append(("text", child.tail, skip, label))
            if isinstance(child.tag, str):
                stack.append(("open", child, skip, label))
        stack.append(("text", el.text, skip, label))
    text = "".join(pieces)
    starts: list[int] = []
    ends: list[int] = []
    tokens: list[str] = []
    _node_tokens(text, 0, starts, ends, tokens)
    spans = {}
    for el, (a, b) in char_spans.items():
        i0 = bisect.bisect_right(ends, a)  # first token ending after the element starts
        i1 = bisect.bisect_left(starts, b)  # tokens starting before the element ends
        spans[el] = (i0, max(i0, i1))
    main_text = "\n".join(line for line in (clean_text(x) for x in "".join(main).split("\n")) if line)
    return Rendered(tokens, spans, main_text)


def block_of(el: etree._Element) -> etree._Element:
    """The nearest block-level ancestor of ``el``."""
    node = el.getparent()
    while node is not None and node.tag not in BLOCK_TAGS:
        node = node.getparent()
    return node if node is not None else el


# ------------------------------------------------------------------------------------------------------ links


def anchor_of(el: etree._Element) -> str:
    """linkcrawler's anchor of an ``<a>``/``<area>`` (``linkcrawler.extract._link``), cut as ``Link.anchor`` is."""
    if el.tag == "a":
        text = clean_text("".join(el.itertext()))
        imgs = el.findall(".//img")
        if not text and imgs:
            text = clean_text(" ".join(i.get("alt") or "" for i in imgs))
    else:
        text = clean_text(el.get("alt") or "")
    if not text:
        text = clean_text(el.get("title") or "")
    if not text:
        text = clean_text(el.get("aria-label") or "")
    return cut(text, MAX_ANCHOR_CHARS)


def links_of(root: etree._Element) -> list[etree._Element]:
    """The link elements linkcrawler reports, in its order."""
    return [el for el in root.iter("a", "area") if el.get("href") is not None]


Label = tuple[bool | None, str]


@dataclass
class LinkContext:
    anchor: list[str]  # rendered anchor words
    left: list[str]  # up to CONTEXT_WORDS words before, inside the block
    right: list[str]
    block: list[str]  # all words of the nearest block-level ancestor
    near_left: list[str]  # up to CONTEXT_WORDS words before, across blocks
    near_right: list[str]


def link_context(rendered: Rendered, el: etree._Element) -> LinkContext:
    toks = rendered.tokens
    s, e = rendered.range_of(el)
    bs, be = rendered.range_of(block_of(el))
    bs, be = min(bs, s), max(be, e)
    return LinkContext(
        anchor=toks[s:e],
        left=toks[max(bs, s - CONTEXT_WORDS):s],
        right=toks[e:min(be, e + CONTEXT_WORDS)],
        block=toks[bs:be],
        near_left=toks[max(0, s - CONTEXT_WORDS):s],
        near_right=toks[e:e + CONTEXT_WORDS],
    )


def label_by_text(ctx: LinkContext, main: str) -> Label:
    """Label one link against a gold main text given as ``phrase(words(main_text))``."""
    a = ctx.anchor
    if not a:
        return None, "no rendered anchor words (image/icon link or unrendered markup)"
    if len("".join(a)) <= 2:
        return None, "anchor of 1-2 characters"
    if phrase(a) not in main:
        return False, "anchor not in main text"
    if phrase(ctx.left + a + ctx.right) in main and (ctx.left or ctx.right):
        return True, "anchor and its context in main text"
    if len(ctx.left) + len(ctx.right) <= 1:  # the link is (nearly) its whole block: look at the neighbouring text
        near_left, near_right = ctx.near_left[-3:], ctx.near_right[:3]
        if (len(near_left) >= 2 and phrase(near_left + a) in main) or (
            len(near_right) >= 2 and phrase(a + near_right) in main
        ):
            return True, "short block; anchor and neighbouring words in main text"
        return None, "short block; anchor in main text but its neighbours not"
    if (len(ctx.left) >= 2 and phrase(ctx.left + a) in main) or (len(ctx.right) >= 2 and phrase(a + ctx.right) in main):
        return True, "anchor and one side of its context in main text"
    return None, "anchor in main text, its context not"


def is_ui_control(href: str | None) -> bool:
    """A link to no page: an empty href, ``#`` alone or ``javascript:`` (toggles, pop-ups, "show all")."""
    href = (href or "").strip().lower()
    return href in ("", "#") or href.startswith("javascript:")


_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
}
_DATE_WORD = re.compile(r"\d+(?:st|nd|rd|th|am|pm)?|at|am|pm|on|posted")
_META_ANCHORS = re.compile(
    r"(?:permalink|permanent link|link|trackbacks?|comments?|no comments|leave a comment|add comment|post a comment"
    r"|\d+ (?:comments?|responses?|replies|trackbacks?)|comments? \d+|reply|share|tweet|email|e mail|print"
    r"|read more|more|continue reading|top|back to top)"
)
_META_BLOCK_START = {"labels", "label", "tags", "tag", "tagged", "categories", "category", "filed", "posted", "topics"}


def is_post_metadata(el: etree._Element) -> bool:
    """A permalink, comment count, date stamp or tag/category link: the furniture around a post, which some gold
    texts keep (CleanEval and Dragnet annotators copied e.g. "11:36 AM | Permalink | Comments (1)")."""
    anchor = words(anchor_of(el))
    if not anchor:
        return False
    if _META_ANCHORS.fullmatch(" ".join(anchor)):
        return True
    if all(_MONTHS.__contains__(w) or _DATE_WORD.fullmatch(w) for w in anchor) and any(
        w in _MONTHS or w.endswith(("am", "pm")) for w in anchor
    ):
        return True
    block = block_of(el)
    start = words(" ".join(block.itertext())[:80]) if block is not None else []
    return bool(start) and start[0] in _META_BLOCK_START


def ui_control_rule(el: etree._Element, label: Label) -> Label:
    """Links labelled true that a careful reader would not call editorial are left unjudged: UI controls inside the
    main text, and post furniture (permalinks, comment counts, dates, tags) that a gold text happens to contain."""
    if label[0] is True and is_ui_control(el.get("href")):
        return None, "UI control in main text (href '#', 'javascript:' or empty)"
    if label[0] is True and is_post_metadata(el):
        return None, "post metadata (permalink, comment count, date, tags) in the gold text"
    return label


def label_by_snippets(ctx: LinkContext, with_: list[str], without: list[str]) -> Label:
    """Label one link from trafilatura's snippets, each given as ``phrase(words(snippet))``."""
    if not ctx.anchor:
        return None, "no rendered anchor words (image/icon link or unrendered markup)"
    if len(ctx.block) <= MAX_SNIPPET_BLOCK_WORDS:
        block = phrase(ctx.block)
        found_with = [s for s in with_ if s in block]
        has_without = any(s in block for s in without)
        if found_with and has_without:
            return None, "block contains both a 'with' and a 'without' snippet"
        if found_with and all(s in phrase(ctx.anchor) for s in found_with):
            return None, "'with' snippet only inside the anchor (a headline repeated in a teaser?)"
        if found_with:
            return True, "block contains a 'with' snippet"
        if has_without:
            return False, "block contains a 'without' snippet"
        return None, "no snippet in block"
    local = phrase(ctx.left + ctx.anchor + ctx.right)
    if len("".join(ctx.anchor)) > 2:
        if any(local in s for s in with_):
            return True, "anchor and context inside a 'with' snippet"
        if any(local in s for s in without):
            return False, "anchor and context inside a 'without' snippet"
    return None, "big block, anchor not inside a snippet"


def label_by_nodes(el: etree._Element, label_of: Callable[[etree._Element], str | None],
                   classes: dict[str, bool | None], name: str) -> Label:
    """Label one link from node annotations: ``label_of(el)`` is an element's own label, ``classes`` maps a label
    (``""`` = unlabelled) to true/false/null. Every text node of the link counts with its nearest label."""

    def nearest(node: etree._Element | None) -> str:
        while node is not None:
            if isinstance(node.tag, str):
                own = label_of(node)
                if own is not None:
                    return own
            node = node.getparent()
        return ""

    found: set[str] = set()
    if (el.text or "").strip():
        found.add(nearest(el))
    for node in el.iterdescendants():
        if not isinstance(node.tag, str) or node.tag in NO_TEXT:
            continue
        if (node.text or "").strip():
            found.add(nearest(node))
        if (node.tail or "").strip() and node.getparent() is not None:
            found.add(nearest(node.getparent()))
    if not found:
        own = nearest(el)
        if not own:
            return None, f"no anchor text, no {name} label around it"
        found = {own}
    verdicts = {classes.get(x) for x in found}
    names = "/".join(sorted(x or "unlabelled" for x in found))
    if len(verdicts) > 1:
        return None, f"{name} labels disagree: {names}"
    verdict = verdicts.pop()
    return verdict, f"{name}: {names}"


# ---------------------------------------------------------------------------------------------------- sources


class Source:
    """Files of a set: a directory, or a git dir read at a revision (``PATH@REV``)."""

    def __init__(self, spec: str):
        path, _, rev = spec.partition("@")
        self.path = Path(path)
        self.rev = rev or "HEAD"
        self.git = (self.path / "objects").is_dir() or (self.path / ".git").exists() and bool(rev)
        if self.git:
            self.commit = self._git("rev-parse", self.rev + "^{commit}").decode().strip()
        else:
            self.commit = ""
        self._batch: subprocess.Popen | None = None

    def _git(self, *args: str) -> bytes:
        return subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True).stdout

    def list(self, folder: str) -> list[str]:
        """Paths of the files directly in ``folder``, sorted."""
        folder = folder.rstrip("/")
        if self.git:
            out = self._git("ls-tree", "-z", "--name-only", f"{self.commit}:{folder}")
            return sorted(f"{folder}/{n}" for n in out.decode("utf-8", "surrogateescape").split("\0") if n)
        return sorted(str(p.relative_to(self.path)) for p in (self.path / folder).iterdir() if p.is_file())

    def exists(self, path: str) -> bool:
        if self.git:
            return subprocess.run(["git", "-C", str(self.path), "cat-file", "-e", f"{self.commit}:{path}"],
                                  capture_output=True).returncode == 0
        return (self.path / path).is_file()

    def read(self, path: str) -> bytes:
        if not self.git:
            return (self.path / path).read_bytes()
        if self._batch is None:
            self._batch = subprocess.Popen(["git", "-C", str(self.path), "cat-file", "--batch"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._batch.stdin and self._batch.stdout
        self._batch.stdin.write(f"{self.commit}:{path}\n".encode("utf-8", "surrogateescape"))
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) < 3:
            raise FileNotFoundError(path)
        data = self._batch.stdout.read(int(header[2]))
        self._batch.stdout.read(1)
        return data

    def describe(self) -> str:
        return f"{self.path}@{self.commit}" if self.git else str(self.path)


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CODEC_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "iso-8859-1": "cp1252", "latin1": "cp1252",
                  "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "x-sjis": "shift_jis"}


def decode(data: bytes) -> str:
    """Page bytes as text: BOM, then the meta charset, then UTF-8, then windows-1252."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace").lstrip("\ufeff")
    declared = []
    m = _CHARSET.search(data[:8192])
    if m:
        name = m.group(1).decode("ascii", "ignore").lower()
        declared.append(_CODEC_ALIASES.get(name, name))
    for codec in [*declared, "utf-8"]:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace")


_SCRIPT_BODY = re.compile(r"(<script\b[^>]*>)(.*?)(</script\s*>)", re.IGNORECASE | re.DOTALL)
_STYLE_BODY = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)


def slim(html: str) -> str:
    """``html`` with the bodies of ``<script>`` and ``<style>`` emptied (the elements stay)."""
    html = _SCRIPT_BODY.sub(r"\1\3", html)
    return _STYLE_BODY.sub(r"\1\3", html)


# ------------------------------------------------------------------------------------------------------ pages


@dataclass
class Candidate:
    dataset: str
    source: str  # path in the set
    url: str | None
    html: str  # as stored
    labeller: Callable[[etree._Element, list[etree._Element]], tuple[list[Label], str | None]]
    extra: dict = field(default_factory=dict)


def gold_labeller(main_text: str):
    main = phrase(words(main_text))

    def run(root: etree._Element, links: list[etree._Element]) -> tuple[list[Label], str | None]:
        rendered = render(root)
        return [label_by_text(link_context(rendered, el), main) for el in links], main_text

    return run


def snippet_labeller(with_: list[str], without: list[str]):
    w = [phrase(words(s)) for s in with_ if words(s)]
    wo = [phrase(words(s)) for s in without if words(s)]

    def run(root: etree._Element, links: list[etree._Element]) -> tuple[list[Label], str | None]:
        rendered = render(root)
        return [label_by_snippets(link_context(rendered, el), w, wo) for el in links], None

    return run


GT_CLASSES: dict[str, bool | None] = {
    "main": True, "title": True, "subtitle": True, "caption": True,
    "author": False, "date": False, "comment": False, "footer": False, "head": False, "": False,
    "image": None, "video": None,
}
_GT_FIX = {"commen": "comment", "substitle": "subtitle", "titlequot": "title"}


def gt_label(el: etree._Element) -> str | None:
    value = el.get("__label")
    if value is None:
        return None
    key = re.sub(r"[^a-z]", "", value.lower())
    return _GT_FIX.get(key, key)


def googletrends_labeller():
    editorial = frozenset(k for k, v in GT_CLASSES.items() if v)

    def run(root: etree._Element, links: list[etree._Element]) -> tuple[list[Label], str | None]:
        rendered = render(root, gt_label, editorial)
        labels = [label_by_nodes(el, gt_label, GT_CLASSES, "GT") for el in links]
        return labels, rendered.main_text

    return run


_GT_ATTR = re.compile(r"""\s__label\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""")

L3S_CLASSES: dict[str, bool | None] = {
    "headline": True, "full text": True, "supplemental": None,
    "related content": False, "comments": False, "not content": False, "": False,
}
_L3S_NAMES = {"0": "not content", "1": "headline", "2": "full text", "3": "supplemental", "4": "related content",
              "5": "comments"}
_L3S_CLASS = re.compile(r"\bx-nc-sel(\d)\b")


def l3s_label(el: etree._Element) -> str | None:
    m = _L3S_CLASS.search(el.get("class") or "")
    return _L3S_NAMES.get(m.group(1)) if m else None


def _key(anchor: str) -> str:
    return "".join(words(anchor))


def match_links(orig_keys: list[str], ann_keys: list[str]) -> dict[int, int]:
    """Original link index -> annotated link index, for links whose anchors line up in both copies: runs of 2+
    equal anchors, or a single non-empty anchor that occurs once in each copy."""
    once_a = {k for k, n in Counter(orig_keys).items() if n == 1}
    once_b = {k for k, n in Counter(ann_keys).items() if n == 1}
    matched: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, orig_keys, ann_keys, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            key = orig_keys[block.a + k]
            if block.size >= 2 or (key and key in once_a and key in once_b):
                matched[block.a + k] = block.b + k
    return matched


def l3s_labeller(annotated_html: str):
    def run(root: etree._Element, links: list[etree._Element]) -> tuple[list[Label], str | None]:
        ann_root = parse_html(annotated_html)
        ann_links = links_of(ann_root)
        main_text = render(ann_root, l3s_label, frozenset({"headline", "full text"})).main_text
        supplemental = phrase(words(render(ann_root, l3s_label, frozenset({"supplemental"})).main_text))
        main = phrase(words(main_text))
        matched = match_links([_key(anchor_of(el)) for el in links], [_key(anchor_of(el)) for el in ann_links])
        rendered = render(root)
        labels: list[Label] = []
        for i, el in enumerate(links):
            j = matched.get(i)
            if j is not None:
                labels.append(label_by_nodes(ann_links[j], l3s_label, L3S_CLASSES, "L3S"))
                continue
            # not in the annotated copy (its DOM was saved from a browser): compare with its annotated text instead
            ctx = link_context(rendered, el)
            verdict, why = label_by_text(ctx, main)
            if verdict is False and phrase(ctx.anchor) in supplemental:
                verdict, why = None, "anchor in supplemental text"
            labels.append((verdict, "not in annotated copy; " + why))
        return labels, main_text

    return run


# ---------------------------------------------------------------------------------------------- set readers


def trafilatura_candidates(src: Source) -> Iterable[Callable[[], Candidate]]:
    data = json.loads(src.read("tests/evaldata.json"))
    present = set(src.list("tests/eval"))
    for url, entry in sorted(data.items()):
        path = f"tests/eval/{entry.get('file', '')}"
        if path not in present:
            continue
        with_ = [s for s in entry.get("with", []) if s and s.strip()]
        without = [s for s in entry.get("without", []) if s and s.strip()]
        if not with_ or not without:
            continue

        def make(path=path, url=url, with_=with_, without=without) -> Candidate:
            return Candidate("trafilatura", path, url, decode(src.read(path)), snippet_labeller(with_, without),
                             {"with": with_, "without": without})

        yield make


_CLEANEVAL_WRAPPER = re.compile(r"""\A\s*<text\s+id="([^"]*)"[^>]*>\s*?\n?""", re.IGNORECASE)
_CLEANEVAL_MARKS = re.compile(r"<[phl]>", re.IGNORECASE)


def cleaneval_candidates(src: Source, folder: str = "cleaneval-final") -> Iterable[Callable[[], Candidate]]:
    golds = {Path(p).stem: p for p in src.list(f"{folder}/GoldStandard") if p.endswith(".txt")}
    for path in src.list(f"{folder}/input"):
        stem = Path(path).stem
        if not path.endswith(".html") or stem not in golds:
            continue

        def make(path=path, stem=stem) -> Candidate:
            html = decode(src.read(path))
            url = None
            m = _CLEANEVAL_WRAPPER.match(html)
            if m:
                url = m.group(1) or None
                html = html[m.end():]
                html = re.sub(r"</text>\s*\Z", "", html, flags=re.IGNORECASE)
            gold = decode(src.read(golds[stem]))
            lines = gold.splitlines()
            if lines and lines[0].startswith("URL:"):
                url = url or lines[0][4:].strip() or None
                lines = lines[1:]
            main = "\n".join(clean_text(_CLEANEVAL_MARKS.sub(" ", line)) for line in lines)
            main = "\n".join(line for line in main.split("\n") if line)
            return Candidate("cleaneval", path, url, html, gold_labeller(main))

        yield make


DRAGNET_COMMENTS = re.compile(r"!@#\$%\^&\*\(\)\s*COMMENTS")


def dragnet_candidates(src: Source, folder: str = "dragnet_data") -> Iterable[Callable[[], Candidate]]:
    golds = {Path(p).stem: p for p in src.list(f"{folder}/GoldStandard") if p.endswith(".txt")}
    for path in src.list(f"{folder}/input"):
        stem = Path(path).stem
        if not path.endswith(".html") or stem not in golds:
            continue

        def make(path=path, stem=stem) -> Candidate:
            gold = DRAGNET_COMMENTS.split(decode(src.read(golds[stem])))[0]
            main = text_lines(gold)
            return Candidate("dragnet", path, None, decode(src.read(path)), gold_labeller(main))

        yield make


L3S_FOLDER = "L3S-GN1-20100130203947-00001"


def l3s_candidates(src: Source) -> Iterable[Callable[[], Candidate]]:
    urls = {}
    for line in src.read(f"{L3S_FOLDER}/url-mapping.txt").decode("utf-8", "replace").splitlines():
        key, _, url = line.partition("\t")
        urls[key.strip("<>").removeprefix("urn:uuid:")] = url.strip() or None
    annotated = set(src.list(f"{L3S_FOLDER}/annotated"))
    for path in src.list(f"{L3S_FOLDER}/original"):
        name = Path(path).name
        ann = f"{L3S_FOLDER}/annotated/{name}"
        if ann not in annotated:
            continue

        def make(path=path, ann=ann, name=name) -> Candidate:
            return Candidate("l3s-gn1", path, urls.get(Path(name).stem), decode(src.read(path)),
                             l3s_labeller(decode(src.read(ann))))

        yield make


def googletrends_candidates(src: Source, folder: str = "datasets/googletrends/raw_html",
                            ) -> Iterable[Callable[[], Candidate]]:
    for path in src.list(folder):
        if not path.endswith(".html"):
            continue

        def make(path=path) -> Candidate:
            raw = decode(src.read(path))
            cand = Candidate("googletrends", path, None, _GT_ATTR.sub("", raw), googletrends_labeller())
            cand.extra["_annotated"] = raw
            return cand

        yield make


# ---------------------------------------------------------------------------------------------------- build


class SkipPage(Exception):
    """A page left out of the corpus; the message says why."""


def check_parity(root: etree._Element, links: list[etree._Element], url: str | None) -> list[str]:
    """Our links must be linkcrawler's links, in its order (the same elements of the same tree). Returns
    linkcrawler's anchors of them, which the record keeps (the labels read the rendered text themselves)."""
    from linkcrawler.classify import Classifier
    from linkcrawler.extract import extract

    page = url if url and url.startswith(("http://", "https://")) else "http://corpus.invalid/"
    try:
        try:
            found = extract(root, page, Classifier.for_site(page)).links
        except ValueError:
            page = "http://corpus.invalid/"
            found = extract(root, page, Classifier.for_site(page)).links
    except Exception as exc:  # noqa: BLE001 - a page linkcrawler cannot read is left out, and counted
        raise SkipPage(f"linkcrawler extract() raised {type(exc).__name__}") from exc
    if [el.tag for el in links] != [link.tag for link in found]:
        raise SkipPage("links differ from linkcrawler's")
    return [link.anchor for link in found]


def coverage(root: etree._Element, main_text: str) -> float:
    """Share of the main text's word trigrams found in the page's rendered text (a decoding/pairing check)."""
    page = phrase(render(root).tokens)
    gold = words(main_text)
    grams = [gold[i:i + 3] for i in range(0, max(1, len(gold) - 2), 3)]
    return sum(phrase(g) in page for g in grams) / len(grams) if gold else 0.0


def build_page(cand: Candidate, *, slim_html: bool) -> dict:
    html = slim(cand.html) if slim_html else cand.html
    root = parse_html(html)
    links = links_of(root)
    anchors = check_parity(root, links, cand.url)
    if cand.dataset == "googletrends":  # labels are read on the annotated copy, whose links are the same ones
        ann_root = parse_html(slim(cand.extra["_annotated"]) if slim_html else cand.extra["_annotated"])
        ann_links = links_of(ann_root)
        if [anchor_of(el) for el in ann_links] != [anchor_of(el) for el in links]:
            raise SkipPage("removing __label changed the links")
        labels, main_text = cand.labeller(ann_root, ann_links)
    else:
        labels, main_text = cand.labeller(root, links)
    if main_text is not None and coverage(root, main_text) < MIN_COVERAGE:
        raise SkipPage(f"main text not found in the page (coverage < {MIN_COVERAGE})")
    stem = Path(cand.source).stem.removesuffix(".html")  # (x.html.gz)
    record: dict = {
        "id": f"{cand.dataset}:{stem}",
        "dataset": cand.dataset,
        "source": cand.source,
        "url": cand.url,
        "html": html,
        "main_text": main_text,
    }
    for key in ("with", "without"):
        if key in cand.extra:
            record[key] = cand.extra[key]
    record["links"] = [
        {"i": i, "anchor": anchor, "href": el.get("href"), "editorial": verdict, "why": why, "marked": verdict}
        for i, (el, anchor, (verdict, why)) in enumerate(
            zip(links, anchors, map(ui_control_rule, links, labels), strict=True))
    ]
    return record


CHECKS = ROOT / "benchmarks" / "corpus_checks.jsonl"
CHECKED = {"boilerplate": False, "unsure": None, "editorial": True}
Check = tuple[str, bool, str, str]  # anchor, the label it overrules, verdict, reason


def read_checks(path: Path) -> dict[tuple[str, int], Check]:
    """The hand check's verdicts: ``(page id, link index) -> (anchor, label overruled, verdict, reason)``."""
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                for i, anchor in zip(row["links"], row["anchors"], strict=True):
                    out[(row["page"], i)] = (anchor, row["was"], row["verdict"], row["reason"])
    return out


def apply_checks(record: dict, checks: dict[tuple[str, int], Check], stat: Counter) -> None:
    """Overrule the labels of ``record`` that the hand check found wrong (see the module docstring)."""
    for link in record["links"]:
        check = checks.get((record["id"], link["i"]))
        if check is None or link["editorial"] is not check[1]:
            continue
        anchor, was, verdict, reason = check
        if anchor != link["anchor"][: len(anchor)]:
            stat["hand check: anchor differs, not applied"] += 1
            continue
        link["editorial"] = CHECKED[verdict]
        link["why"] = f"hand check: {reason}"
        stat[f"hand check: {json.dumps(was)} -> {json.dumps(CHECKED[verdict])}"] += 1


def zyte_candidates(src: Source) -> Iterable[Callable[[], Candidate]]:
    """The Scrapinghub/Zyte article-extraction benchmark (the independent check: module docstring)."""
    truth = json.loads(src.read("ground-truth.json"))
    for path in src.list("html"):
        key = Path(path).name.removesuffix(".html.gz")
        if not path.endswith(".html.gz") or key not in truth:
            continue

        def make(path=path, key=key) -> Candidate:
            return Candidate("zyte", path, truth[key].get("url") or None, decode(gzip.decompress(src.read(path))),
                             gold_labeller(text_lines(truth[key].get("articleBody") or "")))

        yield make


READERS = {
    "trafilatura": trafilatura_candidates,
    "cleaneval": cleaneval_candidates,
    "dragnet": dragnet_candidates,
    "l3s-gn1": l3s_candidates,
    "googletrends": googletrends_candidates,
    "zyte": zyte_candidates,
}


def build(sources: dict[str, Source], out: Path, seed: int, quotas: dict[str, int], *, slim_html: bool,
          min_judged: int = 3, min_main_words: int = 20, log=print,
          checks: dict[tuple[str, int], Check] | None = None, skip: frozenset[str] = frozenset(),
          min_host_pages: int = 0) -> dict[str, Counter]:
    out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, Counter] = {}
    for dataset, src in sources.items():
        makers = list(READERS[dataset](src))
        random.Random(f"{seed}:{dataset}").shuffle(makers)
        stat: Counter = Counter()
        kept: list[dict] = []
        for make in makers:
            if stat["pages"] >= quotas[dataset]:
                break
            stat["tried"] += 1
            try:
                record = build_page(make(), slim_html=slim_html)
            except SkipPage as exc:
                stat[f"skipped: {exc}"] += 1
                continue
            if record["id"] in skip:
                stat["skipped: in the other corpus"] += 1
                continue
            judged = [link for link in record["links"] if link["editorial"] is not None]
            if record["main_text"] is not None and len(words(record["main_text"])) < min_main_words:
                stat["skipped: main text < 20 words"] += 1
                continue
            if len(judged) < min_judged:
                stat["skipped: < 3 judged links"] += 1
                continue
            kept.append(record)
            stat["pages"] += 1
        if min_host_pages:  # only the pages of sites with this many pages kept (a small crawl of each)
            hosts = Counter(urlsplit(record["url"] or "").hostname for record in kept)
            sites = {h for h, n in hosts.items() if h and n >= min_host_pages}
            stat["skipped: fewer pages of its site"] = len(kept) - sum(hosts[h] for h in sites)
            kept = [record for record in kept if urlsplit(record["url"] or "").hostname in sites]
            stat["pages"], stat["sites"] = len(kept), len(sites)
        target = out / f"{dataset}.jsonl.xz"
        tmp = target.with_suffix(".xz.part")
        with lzma.open(tmp, "wt", encoding="utf-8", preset=9 | lzma.PRESET_EXTREME) as fh:
            for record in kept:
                if checks:
                    apply_checks(record, checks, stat)
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                for link in record["links"]:
                    stat["links"] += 1
                    stat[f"editorial={json.dumps(link['editorial'])}"] += 1
        tmp.replace(target)
        stat["bytes"] = target.stat().st_size
        stats[dataset] = stat
        log(f"{dataset}: {dict(stat)} from {src.describe()}")
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    for name in DATASETS:
        ap.add_argument(f"--{name.split('-')[0]}", dest=name.replace("-", "_"), metavar="PATH[@REV]",
                        help=f"local copy of the {name} source (see the module docstring)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "corpus")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--quota", action="append", default=[], metavar="DATASET=N", help="pages per set")
    ap.add_argument("--slim", action="store_true", help="empty <script>/<style> bodies (smaller files)")
    ap.add_argument("--checks", type=Path, default=CHECKS, help="the hand check's verdicts (module docstring)")
    ap.add_argument("--no-checks", action="store_true", help="keep the labels of the rules alone")
    ap.add_argument("--held-out", type=Path, metavar="CORPUS", action="append", default=[],
                    help="leave out the pages of this corpus folder (a second sample of the same sets, e.g. --out "
                         "benchmarks/heldout --held-out benchmarks/corpus); may be given more than once")
    ap.add_argument("--min-host-pages", type=int, default=0, metavar="N",
                    help="keep only pages of sites (URL hosts) with at least N pages kept, for benchmarks/sites.py "
                         "(the crawl-wide template pass on each site's pages); give a quota above the set's size")
    args = ap.parse_args(argv)
    quotas = dict(DEFAULT_QUOTAS)
    for q in args.quota:
        name, _, n = q.partition("=")
        quotas[name] = int(n)
    sources = {name: Source(getattr(args, name.replace("-", "_"))) for name in DATASETS
               if getattr(args, name.replace("-", "_"))}
    if not sources:
        ap.error("give at least one source")
    skip = frozenset()
    if args.held_out:
        from corpus import load  # benchmarks/corpus.py, beside this script

        skip = frozenset(page.id for folder in args.held_out for page in load(folder))
    build(sources, args.out, args.seed, quotas, slim_html=args.slim,
          checks=None if args.no_checks else read_checks(args.checks), skip=skip, min_host_pages=args.min_host_pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
