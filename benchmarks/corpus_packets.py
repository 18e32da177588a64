"""Packets for the hand check of a corpus's labels (``benchmarks/corpus_checks.jsonl``; see corpus_spotcheck.md).

Which links go into the packets depends on their labels and their blocks only, never on any method's answer:
every link labelled ``true``, and every link labelled ``false`` that stands in a block of running text (the
nearest block-level ancestor holds ``RUNNING_WORDS`` words or more, under half of them inside links). Links are
grouped by that block, a page's groups stay in one packet, and packets are balanced by their number of groups.

    .venv/bin/python benchmarks/corpus_packets.py --corpus benchmarks/heldout --out /tmp/review \
        --packets 8 --false-packets 2

writes ``/tmp/review/packet-N.md`` (``true`` labels first, then ``false`` ones; each packet holds one kind) and
``/tmp/review/pages/<id>.html`` (the page as stored). To look at one link in its page::

    .venv/bin/python benchmarks/corpus_packets.py --corpus benchmarks/heldout --show cleaneval:123 36

prints its ancestors (tag, id, class), its block's text with the links in [[ ]], and the HTML around it.
``--lists`` writes ``lists-N.md`` instead: every group of ``LIST_LINKS`` or more links labelled ``false`` (a
check that a link directory, filmography or roster that is the page's content was not labelled as a menu; the
main text the annotators marked often keeps only such a list's headings).
A reviewer writes one JSON line per group (or per part of a group) in the format of corpus_checks.jsonl:
``{"page", "links": [indices], "anchors": [anchors], "was": label, "verdict": "boilerplate"|"unsure"|"editorial",
"reason"}``; only verdicts that overrule the label need a line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import Page, load  # noqa: E402
from benchmarks.corpus_build import anchor_of, block_of, links_of, words  # noqa: E402
from linkcrawler.extract import parse_html  # noqa: E402

RUNNING_WORDS = 25
BLOCK_TEXT_CHARS = 900
HTML_AROUND = 1500
LIST_LINKS = 10


def _text(el: etree._Element, links: set) -> str:
    """The text of ``el`` with the links of ``links`` in [[ ]]."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str) or node.tag in ("script", "style"):
            if node.tail and node is not el:
                out.append(node.tail)
            return
        mark = node in links
        if mark:
            out.append("[[")
        if node.text:
            out.append(node.text)
        for child in node:
            walk(child)
        if mark:
            out.append("]]")
        if node.tail and node is not el:
            out.append(node.tail)

    walk(el)
    return " ".join("".join(out).split())


def _path(el: etree._Element) -> str:
    parts = []
    for node in [el, *el.iterancestors()]:
        if not isinstance(node.tag, str) or node.tag in ("html",):
            continue
        part = node.tag
        if node.get("id"):
            part += "#" + node.get("id")
        if node.get("class"):
            part += "." + ".".join(node.get("class").split())
        if node.get("role"):
            part += f"[role={node.get('role')}]"
        parts.append(part)
    return " < ".join(parts)


def _running(block: etree._Element) -> bool:
    """Whether ``block`` is running text: ``RUNNING_WORDS`` words or more, under half of them inside links."""
    total = len(words(" ".join(block.itertext())))
    if total < RUNNING_WORDS:
        return False
    in_links = sum(len(words(" ".join(a.itertext()))) for a in block.iter("a") if a.get("href") is not None)
    return in_links * 2 < total


def groups_of(page: Page, lists: bool = False) -> list[dict]:
    """The page's groups to check: labelled links as the module docstring says, or with ``lists`` the groups of
    ``LIST_LINKS`` or more links labelled ``false`` (is the list what the page is about?)."""
    root = parse_html(page.html)
    els = links_of(root)
    by_block: dict = {}
    running: dict = {}  # block -> whether it is running text, worked out once per block
    for link in page.links:
        if link.editorial is None:
            continue
        el = els[link.i]
        block = block_of(el)
        if lists and link.editorial is not False:
            continue
        if link.editorial is False and not lists:
            if block not in running:
                running[block] = _running(block)
            if not running[block]:
                continue
        key = (link.editorial, _path(block))  # the items of one list, the cells of one table column: one group
        by_block.setdefault(key, []).append((link, block))
    out = []
    for (label, path), members in by_block.items():
        if lists and len(members) < LIST_LINKS:
            continue
        links = [lk for lk, _ in members]
        blocks = list(dict.fromkeys(b for _, b in members))
        text = " / ".join(_text(b, {els[lk.i] for lk in links}) for b in blocks)
        out.append({
            "page": page.id, "label": label, "url": page.url, "links": [lk.i for lk in links],
            "anchors": [lk.anchor for lk in links], "why": sorted({lk.why for lk in links}),
            "path": path, "blocks": len(blocks), "text": text[:BLOCK_TEXT_CHARS],
        })
    return out


def write_packets(corpus: Path, out: Path, n: int, n_false: int | None = None, lists: bool = False) -> None:
    (out / "pages").mkdir(parents=True, exist_ok=True)
    by_label: dict[bool, dict[str, list[dict]]] = {True: {}, False: {}}
    for page in load(corpus):
        (out / "pages" / f"{page.id.replace(':', '_')}.html").write_text(page.html, encoding="utf-8")
        for g in groups_of(page, lists):
            by_label[g["label"]].setdefault(g["page"], []).append(g)
    total = {lab: sum(len(v) for v in pages.values()) for lab, pages in by_label.items()}
    by_share = max(1, round(n * total[True] / max(1, total[True] + total[False])))
    n_true = 0 if lists else n - n_false if n_false else by_share
    counts = {True: n_true, False: max(1, n - n_true)}
    prefix = "lists-" if lists else "packet-"
    k = 0
    for label in (True, False):
        if not counts[label]:
            continue
        bins: list[list[dict]] = [[] for _ in range(counts[label])]
        for _, groups in sorted(by_label[label].items(), key=lambda kv: -len(kv[1])):
            min(bins, key=len).extend(groups)
        for groups in bins:
            k += 1
            lines = [f"# Packet {k}: links labelled {json.dumps(label)} ({len(groups)} groups, "
                     f"{sum(len(g['links']) for g in groups)} links)", ""]
            for g in sorted(groups, key=lambda g: (g["page"], g["links"][0])):
                anchors = g["anchors"][:30] + ([f"... {len(g['anchors']) - 30} more"] if len(g["anchors"]) > 30 else [])
                shown = str(g["links"]) if len(g["links"]) <= 40 else str(g["links"][:40])[:-1] + ", ...]"
                blocks = f" ({g['blocks']} blocks of this path)" if g["blocks"] > 1 else ""
                lines += [f"## {g['page']} links {shown}",
                          f"url: {g['url']}", f"label: {json.dumps(label)} (rule: {'; '.join(g['why'])})",
                          f"block: {g['path']}{blocks}", f"anchors: {json.dumps(anchors, ensure_ascii=False)}",
                          f"text: {g['text']}", ""]
            (out / f"{prefix}{k}.md").write_text("\n".join(lines), encoding="utf-8")
            print(f"{prefix}{k}.md: label {label}, {len(groups)} groups, {sum(len(g['links']) for g in groups)} links")


def show(corpus: Path, page_id: str, i: int) -> None:
    page = next(p for p in load(corpus, [page_id.split(":")[0]]) if p.id == page_id)
    els = links_of(parse_html(page.html))
    el = els[i]
    link = page.links[i]
    print(f"link {i}: anchor {anchor_of(el)!r} href {el.get('href')!r} label {link.editorial} ({link.why})")
    print("ancestors:", _path(el))
    block = block_of(el)
    print("block text:", _text(block, {el})[:3000])
    html = etree.tostring(block, encoding="unicode", method="html")
    mark = etree.tostring(el, encoding="unicode", method="html", with_tail=False)
    at = html.find(mark[:80])
    print("html around:", html[max(0, at - HTML_AROUND): at + len(mark) + HTML_AROUND] if at >= 0 else html[:3000])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "corpus")
    ap.add_argument("--out", type=Path, help="folder for the packets and pages")
    ap.add_argument("--packets", type=int, default=8)
    ap.add_argument("--false-packets", type=int, help="how many of them for the false labels (default: by groups)")
    ap.add_argument("--lists", action="store_true",
                    help=f"packets of the groups of {LIST_LINKS}+ links labelled false (lists-N.md) instead")
    ap.add_argument("--show", nargs=2, metavar=("PAGE", "LINK"), help="print one link in its page")
    args = ap.parse_args()
    if args.show:
        show(args.corpus, args.show[0], int(args.show[1]))
    elif args.out:
        write_packets(args.corpus, args.out, args.packets, args.false_packets, args.lists)
    else:
        ap.error("give --out or --show")


if __name__ == "__main__":
    main()
