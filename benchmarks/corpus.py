"""Load the real-page link corpus built by ``benchmarks/corpus_build.py`` (not committed; see that script).

    from benchmarks.corpus import load
    for page in load():
        for link in page.judged:
            ...  # link.editorial is True or False; link.i is its index among linkcrawler's links of page.html

Each page's ``links`` are linkcrawler's links of ``page.html`` in its order (``parse_html(html)``, then every
``<a href>``/``<area href>`` in document order), with linkcrawler's anchor. ``editorial`` is None where the corpus
does not judge the link. ``main_text`` is the human-marked main text (None for the trafilatura set, which only has
"with"/"without" snippets).
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Link:
    i: int  # 0-based index among the page's links, in linkcrawler's order
    anchor: str
    href: str
    editorial: bool | None  # None: not judged
    why: str  # the labelling rule that decided
    marked: bool | None = None  # the label of the rules before the hand check (see corpus_build)


@dataclass
class Page:
    id: str
    dataset: str
    source: str  # file in the source set
    url: str | None
    html: str
    main_text: str | None
    links: list[Link]
    with_: list[str] = field(default_factory=list)  # trafilatura snippets that belong to the main text
    without: list[str] = field(default_factory=list)  # ... and that do not

    @property
    def judged(self) -> list[Link]:
        return [link for link in self.links if link.editorial is not None]


def page_from_json(record: dict) -> Page:
    return Page(
        id=record["id"],
        dataset=record["dataset"],
        source=record["source"],
        url=record.get("url"),
        html=record["html"],
        main_text=record.get("main_text"),
        links=[Link(**link) for link in record["links"]],
        with_=record.get("with", []),
        without=record.get("without", []),
    )


def load(folder: str | Path = DEFAULT_FOLDER, datasets: Iterable[str] | None = None) -> Iterator[Page]:
    """Pages of ``folder/<dataset>.jsonl.xz``, every set in name order unless ``datasets`` names some."""
    folder = Path(folder)
    names = sorted(datasets) if datasets is not None else sorted(
        p.name.removesuffix(".jsonl.xz") for p in folder.glob("*.jsonl.xz"))
    if not names:
        raise FileNotFoundError(f"no corpus in {folder}: build it with benchmarks/corpus_build.py")
    for name in names:
        with lzma.open(folder / f"{name}.jsonl.xz", "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield page_from_json(json.loads(line))
