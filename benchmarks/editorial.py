"""Editorial links on real pages: linkcrawler beside trafilatura, readability-lxml and jusText, link by link.

For each page of the real-page corpus (built by ``benchmarks/corpus_build.py`` from public sets whose main text
people marked; not in the repository, see that script) every judged link has a label: part of the marked main
text or not. Each method says which links are in the main text:

- linkcrawler: the ``editorial`` answer of :func:`linkcrawler.extract.extract` (page level, as the spider writes
  it before the crawl-wide template pass), and, as a floor, its ``position == "content"``;
- trafilatura (``extract(..., include_links=True, output_format="xml")``) and readability-lxml (``summary()``):
  a link is in their main text when their output holds a link with the same target and anchor;
- jusText: a link is in its main text when the paragraph holding it is classified good.

Printed side by side: precision and recall over all judged links (after the corpus's hand check of its true
labels, and before it), the share of pages whose main-text word count
is within ±25 % of the marked main text, milliseconds per page, and linkcrawler's errors by failure pattern
(see :func:`pattern`). ``--pages N`` takes a sample, ``--show N`` prints some of linkcrawler's errors.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/corpus_build.py …          # once: builds benchmarks/corpus/
    .venv/bin/python benchmarks/editorial.py
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

from lxml import etree
from w3lib.url import safe_url_string

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkcrawler import maintext  # noqa: E402
from linkcrawler.classify import Classifier  # noqa: E402
from linkcrawler.extract import clean_text, extract, parse_html, resolve, walk  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"
DEFAULT_URL = "http://corpus.invalid/page"
_WORD = re.compile(r"\w+")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    seconds: float = 0.0
    pages: int = 0
    words_ok: int = 0
    words_judged: int = 0
    failures: int = 0  # pages the method raised an exception on
    page_precision: list[float] = field(default_factory=list)  # per page, where it said some link is editorial
    page_recall: list[float] = field(default_factory=list)  # per page, where some judged link is editorial
    patterns: Counter[str] = field(default_factory=Counter)

    def add(self, said: bool, truth: bool) -> None:
        if said and truth:
            self.tp += 1
        elif said:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall) if self.precision + self.recall \
            else 0.0


def pages(folder: Path, limit: int = 0) -> Iterator[dict]:
    """The corpus pages, every set in turn (``limit``: at most that many, spread over the sets)."""
    files = sorted(folder.glob("*.jsonl.xz"))
    if not files:
        raise SystemExit(f"No corpus in {folder}: build it with benchmarks/corpus_build.py (see its docstring)")
    per_file = -(-limit // len(files)) if limit else 0
    for path in files:
        with lzma.open(path, "rt", encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                if per_file and n >= per_file:
                    break
                yield json.loads(line)


def _key(url: str) -> str:
    return safe_url_string(urldefrag(url)[0]) if url else ""


def _matches(links: list[tuple[str, str]], found: list[tuple[str, str]]) -> list[bool]:
    """Which of the page's (url, anchor) links a method's output holds: the same target and anchor first, then
    the same anchor, each output link used once."""
    exact = Counter(found)
    anchors = Counter(a for _, a in found)
    said = []
    for url, anchor in links:
        if exact[(url, anchor)] > 0:
            exact[(url, anchor)] -= 1
            anchors[anchor] -= 1
            said.append(True)
        else:
            said.append(False)
    for i, (_, anchor) in enumerate(links):
        if not said[i] and anchor and anchors[anchor] > 0 and (links[i][0], anchor) not in exact:
            anchors[anchor] -= 1
            said[i] = True
    return said


def link_keys(root: etree._Element, url: str) -> tuple[list[etree._Element], list[tuple[str, str]]]:
    """The page's links in linkcrawler's order, and each one's (target, anchor) for matching a library's output."""
    elements = [el for el in root.iter("a", "area") if el.get("href") is not None]
    return elements, [(_key(resolve(url, (el.get("href") or "").strip())[0]), clean_text("".join(el.itertext())))
                      for el in elements]


def run_library(run: Callable[[str, str, list[tuple[str, str]]], tuple[list[bool], int]], html: str, url: str,
                keys: list[tuple[str, str]]) -> tuple[list[bool], int, bool]:
    """A library's answers and main-text words on one page, and whether it failed there (then nothing is main
    text)."""
    try:
        said, words = run(html, url, keys)
    except Exception:  # noqa: BLE001 - a library failing on a page says nothing is main text there
        return [False] * len(keys), 0, True
    return said, words, False


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0


def run_linkcrawler(html: str, url: str) -> tuple[list[bool], list[bool], int, list, float]:
    """Editorial answers, position content answers, main-text words, the link records and the seconds it took
    (parsing and extracting, as the spider does)."""
    start = time.process_time()
    root = parse_html(html)
    found = extract(root, url, Classifier.for_site(url))
    seconds = time.process_time() - start
    return ([lk.editorial for lk in found.links], [lk.position == "content" for lk in found.links], found.words,
            found.links, seconds)


def reasons(html: str) -> list[str]:
    """Why linkcrawler says each link is not editorial (the walk and analysis extract() runs, done again here)."""
    doc, _, _ = walk(parse_html(html))
    main = maintext.analyse(doc)
    return [main.why(k) for k in range(len(doc.links))]


def run_trafilatura(html: str, url: str, links: list[tuple[str, str]]) -> tuple[list[bool], int]:
    import trafilatura

    xml = trafilatura.extract(html, url=url, include_links=True, output_format="xml", include_comments=False)
    if not xml:
        return [False] * len(links), 0
    tree = etree.fromstring(xml.encode("utf-8"))
    found = [(_key(ref.get("target") or ""), clean_text("".join(ref.itertext()))) for ref in tree.iter("ref")]
    main = tree.find("main")
    return _matches(links, found), _words(" ".join(main.itertext()) if main is not None else "")


def run_readability(html: str, url: str, links: list[tuple[str, str]]) -> tuple[list[bool], int]:
    from readability import Document

    summary = Document(html, url=url).summary(html_partial=True)
    root = parse_html(summary)
    found = [(_key(a.get("href") or ""), clean_text("".join(a.itertext()))) for a in root.iter("a")]
    return _matches(links, found), _words(" ".join(root.itertext()))


_STOPLIST: frozenset[str] | None = None


def run_justext(html: str, url: str, links: list[tuple[str, str]], root: etree._Element) -> tuple[list[bool], int]:
    import justext

    global _STOPLIST
    if _STOPLIST is None:
        _STOPLIST = frozenset().union(*(justext.get_stoplist(lang) for lang in justext.get_stoplists()))
    paragraphs = justext.justext(html.encode("utf-8"), _STOPLIST, encoding="utf-8")
    good = [clean_text(p.text) for p in paragraphs if not p.is_boilerplate]
    text = " \n ".join(good)
    said = []
    for el in root.iter("a", "area"):
        if el.get("href") is None:
            continue
        block = el.getparent()
        while block is not None and block.tag not in ("p", "li", "td", "div", "h1", "h2", "h3", "h4", "dd",
                                                       "blockquote", "section", "article", "body"):
            block = block.getparent()
        context = clean_text("".join(block.itertext())) if block is not None else ""
        anchor = clean_text("".join(el.itertext()))
        said.append(bool(anchor) and anchor in text and (context in text or len(context) > 300))
    return said, _words(text)


def pattern(el: etree._Element, said: bool, root_articles: int) -> str:
    """Which of the issue's failure patterns an error of linkcrawler's looks like, from the link's ancestors:
    1 no landmark or known class above a boilerplate link; 2 a link block inside the article container;
    3 a teaser card marked up as <article>; 4 header/footer/aside inside a page-wide <main>; 5 article text lost
    (a false negative)."""
    ancestors = list(el.iterancestors())
    tags = [a.tag for a in ancestors if isinstance(a.tag, str)]
    if not said:
        return "5 article text lost"
    if "article" in tags and root_articles > 1:
        return "3 teaser card <article>"
    if "main" in tags and any(t in ("header", "footer", "aside") for t in tags[: tags.index("main")]):
        return "4 region inside page-wide <main>"
    container = re.compile(r"content|article|entry|post|story|body|text", re.I)
    if "article" in tags or "main" in tags or any(container.search(a.get("class") or "") for a in ancestors):
        return "2 link block inside the article"
    return "1 no landmark, content by default"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--pages", type=int, default=0, help="a sample of this many pages (0: all)")
    parser.add_argument("--show", type=int, default=0, help="print this many of linkcrawler's errors")
    parser.add_argument("--only", default="", help="comma-separated methods to run (default: all)")
    parser.add_argument("--sets", default="", help="comma-separated corpus sets to read (default: all)")
    args = parser.parse_args(argv)
    methods = ["linkcrawler", "position content", "trafilatura", "readability-lxml", "jusText"]
    wanted = set(args.only.split(",")) if args.only else set(methods)
    if "linkcrawler" in wanted:
        wanted.add("position content")
    tallies = {m: Tally() for m in methods if m in wanted}
    before_check = {m: Tally() for m in tallies}  # against the labels before the hand check (corpus_build)
    by_set: dict[tuple[str, str], Tally] = {}
    errors: list[str] = []
    missed: Counter[str] = Counter()  # linkcrawler's false negatives by its reason
    sets: Counter[str] = Counter()
    clock: Callable[[], float] = time.process_time
    sets_wanted = set(args.sets.split(",")) if args.sets else None
    for page in pages(args.corpus, args.pages):
        if sets_wanted and page["dataset"] not in sets_wanted:
            continue
        html, url = page["html"], page.get("url") or DEFAULT_URL
        judged = [(i, link["editorial"]) for i, link in enumerate(page["links"]) if link["editorial"] is not None]
        marked = [(i, link.get("marked", link["editorial"])) for i, link in enumerate(page["links"])
                  if link.get("marked", link["editorial"]) is not None]
        if not judged:
            continue
        sets[page["dataset"]] += 1
        root = parse_html(html)
        elements, keys = link_keys(root, url)
        gold_words = _words(page.get("main_text"))
        articles = sum(1 for _ in root.iter("article"))
        results: dict[str, tuple[list[bool], int | None, float]] = {}
        if "linkcrawler" in wanted:
            editorial, content, words, records, seconds = run_linkcrawler(html, url)
            why = reasons(html)
            results["linkcrawler"] = (editorial, words, seconds)
            results["position content"] = (content, None, 0.0)
        for name, run in (("trafilatura", run_trafilatura), ("readability-lxml", run_readability),
                          ("jusText", lambda h, u, k, root=root: run_justext(h, u, k, root))):
            if name in wanted:
                start = clock()
                said, words, failed = run_library(run, html, url, keys)
                tallies[name].failures += failed
                results[name] = (said, words, clock() - start)
        for name, (said, words, seconds) in results.items():
            tally = tallies[name]
            tally.pages += 1
            tally.seconds += seconds
            if len(said) != len(elements):
                print(f"  ! {name}: {len(said)} answers for {len(elements)} links on {page['id']}", file=sys.stderr)
                said = (said + [False] * len(elements))[: len(elements)]
            part = by_set.setdefault((name, page["dataset"]), Tally())
            hits = sum(1 for i, truth in judged if said[i] and truth)
            if any(said[i] for i, _ in judged):
                tally.page_precision.append(hits / sum(1 for i, _ in judged if said[i]))
            if any(truth for _, truth in judged):
                tally.page_recall.append(hits / sum(1 for _, truth in judged if truth))
            for i, truth in marked:
                before_check[name].add(said[i], truth)
            for i, truth in judged:
                tally.add(said[i], truth)
                part.add(said[i], truth)
                if said[i] != truth:
                    tally.patterns[pattern(elements[i], said[i], articles)] += 1
                    if name == "linkcrawler" and truth:
                        missed[why[i]] += 1
                    if name == "linkcrawler" and len(errors) < args.show:
                        link = page["links"][i]
                        errors.append(f"{'FP' if said[i] else 'FN'} {page['dataset']}/{page['id']} "
                                      f"[{records[i].position}] {link['anchor'][:50]!r} ← {link.get('why', '')}"
                                      f"{' / ' + why[i] if not said[i] else ''}")
            if words is not None and gold_words:
                tally.words_judged += 1
                tally.words_ok += abs(words - gold_words) <= 0.25 * gold_words
    print(f"Corpus: {sum(sets.values())} pages with judged links ({', '.join(f'{k} {v}' for k, v in sets.items())})")
    print(f"{'method':18} {'precision':>9} {'recall':>7} {'F1':>6} {'judged':>7} {'words ±25%':>11} {'ms/page':>8}")
    for name, t in tallies.items():
        words = f"{t.words_ok / t.words_judged:.0%} of {t.words_judged}" if t.words_judged else "-"
        ms = f"{1000 * t.seconds / t.pages:.1f}" if t.seconds else "-"
        failed = f"  ({t.failures} pages failed)" if t.failures else ""
        print(f"{name:18} {t.precision:9.3f} {t.recall:7.3f} {t.f1:6.3f} {t.tp + t.fp + t.fn + t.tn:7d} {words:>11} "
              f"{ms:>8}{failed}")
    print("\nAgainst the labels before the hand check (benchmarks/corpus_checks.jsonl):")
    for name, t in before_check.items():
        print(f"{name:18} {t.precision:9.3f} {t.recall:7.3f}   ({t.tp + t.fp + t.fn + t.tn} judged)")
    print("\nPer page (the mean of each page's precision and recall, so that link-heavy pages do not dominate):")
    for name, t in tallies.items():
        if t.page_precision and t.page_recall:
            print(f"{name:18} {sum(t.page_precision) / len(t.page_precision):9.3f} "
                  f"{sum(t.page_recall) / len(t.page_recall):7.3f}   ({len(t.page_precision)} / "
                  f"{len(t.page_recall)} pages)")
    print("\nPrecision / recall by set:")
    print(f"{'set':14}" + "".join(f"{n[:16]:>18}" for n in tallies))
    for dataset in sets:
        cells = [by_set.get((n, dataset)) for n in tallies]
        print(f"{dataset:14}" + "".join(f"{c.precision:9.2f} /{c.recall:5.2f}  " if c else f"{'-':>18}" for c in cells))
    print("\nErrors by failure pattern (false positives 1–4, false negatives 5):")
    names = list(tallies)
    print(f"{'pattern':36}" + "".join(f"{n[:16]:>18}" for n in names))
    for key in sorted({k for t in tallies.values() for k in t.patterns}):
        print(f"{key:36}" + "".join(f"{tallies[n].patterns[key]:18d}" for n in names))
    if missed:
        print("\nlinkcrawler's false negatives by reason: " + ", ".join(f"{k} {v}" for k, v in missed.most_common()))
    for line in errors:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
