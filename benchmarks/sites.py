"""Editorial links after the crawl-wide template pass, on real pages of the same sites: each site a small crawl.

``benchmarks/editorial.py`` judges the page-level answer (what the spider writes before the crawl ends). A crawl
also counts how many pages carry each link in its place (:mod:`linkcrawler.template`): a link on
``LINKCRAWLER_TEMPLATE_MIN_PAGES`` pages or more, or a non-editorial one in a place that is, is the theme's, never
editorial. This script measures that second answer on real pages: the pages of one site (URL host) in a corpus
folder are taken as that site's crawl, the links are keyed and counted as the crawl's close does, and each judged
link is scored before and after, beside trafilatura and readability-lxml (page by page, they have no crawl-wide
answer) on the same links.

Build the folder from L3S-GN1, whose 621 Google News articles were fetched on one day (the same theme on every page
of a site): its pages with three judged links or more, of the 10 hosts with five such pages (see
``benchmarks/corpus_build.py``)::

    L3S=$M/geodrome+page-signal/repo@186d8153b3d111f84865ddc180600a9cbe35ac7f
    .venv/bin/python benchmarks/corpus_build.py --l3s $L3S \\
      --out benchmarks/sites --min-host-pages 5 --quota l3s-gn1=1000
    .venv/bin/python benchmarks/sites.py --corpus benchmarks/sites
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from editorial import Tally, link_keys, pages, run_library, run_readability, run_trafilatura  # noqa: E402

from linkcrawler.classify import Classifier  # noqa: E402
from linkcrawler.extract import extract, parse_html  # noqa: E402
from linkcrawler.template import PageCounts, decide, link_key, page_key, place_key  # noqa: E402

HERE = Path(__file__).resolve().parent


def crawl_answers(group: list[dict], min_pages: int) -> list[tuple[list[bool], list[bool]]]:
    """Per page of one site: linkcrawler's page-level editorial answers and those after the template pass, keyed
    and counted as the crawl's close does (``linkcrawler.pipelines`` ``_count_repeats``/``_fill_links``): a page
    counts once per main text, places count only for non-editorial links, the site's size is its pages."""
    links, places = PageCounts(), PageCounts()
    found_pages = []
    for page in group:
        url = page["url"]
        found = extract(parse_html(page["html"]), url, Classifier.for_site(url))
        keys = [link_key(url, lk.url or "", lk.href or "", lk.anchor or "", lk.position or "", lk.link_path or "",
                         lk.text_before or "", lk.text_after or "") for lk in found.links]
        wheres = [place_key(lk.position or "", lk.link_path or "") for lk in found.links]
        identity = page_key(url, found.text_hash)
        links.add(keys, identity)
        places.add([w for w, lk in zip(wheres, found.links, strict=True) if not lk.editorial], identity)
        found_pages.append(([lk.editorial for lk in found.links], keys, wheres))
    key_pages, place_pages = links.finish(), places.finish()
    return [(said, [decide(was, key_pages.get(key, 1), place_pages.get(where, 1), min_pages, len(group))[1]
                    for was, key, where in zip(said, keys, wheres, strict=True)])
            for said, keys, wheres in found_pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=HERE / "sites")
    parser.add_argument("--min-pages", type=int, default=5, help="LINKCRAWLER_TEMPLATE_MIN_PAGES (default 5)")
    parser.add_argument("--only", default=None, help="comma-separated libraries to run beside linkcrawler "
                        "(trafilatura, readability-lxml; empty: none; default: both)")
    args = parser.parse_args(argv)
    others = {"trafilatura": run_trafilatura, "readability-lxml": run_readability}
    if args.only is not None:
        wanted = {name for name in args.only.split(",") if name}
        if wanted - set(others):
            parser.error(f"unknown libraries: {', '.join(sorted(wanted - set(others)))}")
        others = {k: v for k, v in others.items() if k in wanted}
    sites: dict[str, list[dict]] = defaultdict(list)
    for page in pages(args.corpus):
        host = urlsplit(page.get("url") or "").hostname
        if host:
            sites[host].append(page)
    names = ["linkcrawler, page level", "linkcrawler, after the crawl", *others]
    tallies = {name: Tally() for name in names}
    per_site = []
    for host, group in sorted(sites.items()):
        if len(group) < args.min_pages:
            continue
        site = Counter()
        for page, (said, after) in zip(group, crawl_answers(group, args.min_pages), strict=True):
            judged = [(i, link["editorial"]) for i, link in enumerate(page["links"]) if link["editorial"] is not None]
            answers = {"linkcrawler, page level": said, "linkcrawler, after the crawl": after}
            if others:
                _, keys = link_keys(parse_html(page["html"]), page["url"])
                for name, run in others.items():
                    answers[name] = run_library(run, page["html"], page["url"], keys)[0]
            for name, answer in answers.items():
                for i, truth in judged:
                    tallies[name].add(i < len(answer) and answer[i], truth)
            for i, truth in judged:
                before, now = i < len(said) and said[i], i < len(after) and after[i]
                site["judged"] += 1
                site["true"] += truth
                site["fp before"] += before and not truth
                site["fp after"] += now and not truth
                site["tp lost"] += before and truth and not now
        per_site.append((host, len(group), site))
    print(f"{len(per_site)} sites, {sum(n for _, n, _ in per_site)} pages, template threshold {args.min_pages} pages")
    print(f"{'method':30} {'precision':>9} {'recall':>7} {'F1':>6} {'TP':>5} {'FP':>5} {'FN':>5}")
    for name, t in tallies.items():
        print(f"{name:30} {t.precision:9.3f} {t.recall:7.3f} {t.f1:6.3f} {t.tp:5d} {t.fp:5d} {t.fn:5d}")
    print(f"\n{'site':28} {'pages':>5} {'judged':>6} {'true':>5} {'FP page level':>14} {'FP after':>9} "
          f"{'TP lost':>8}")
    for host, n, site in per_site:
        print(f"{host:28} {n:5d} {site['judged']:6d} {site['true']:5d} {site['fp before']:14d} {site['fp after']:9d} "
              f"{site['tp lost']:8d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
