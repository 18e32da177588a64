"""The editors' to-do list: findings grouped by what causes them, one row per thing to fix, most important first.

Every finding (one row of the Issues sheet) belongs to exactly one to-do row:

- a broken, redirecting or unusable **link target** is one row, however many pages link to it ("/post/5/ is gone
  (404): 71 links on 52 pages"), and so are the unmarked links to one affiliate address;
- links the site's **theme** repeats (``template``) are one row for their place in the theme, whatever the pages
  ("the footer link 'Read more' is on 57 pages: … once, in the theme"; a share bar's three links, one row);
- the other link findings of a page are one row per page and problem ("3 links in the text say nothing");
- **page** findings (thin page, no link in the article text, too many links…) are one row each.

Rows are ordered by severity (error 100, warning 10, notice 1) × how important the pages are (1 + log₂(1 + the most
pages linking to one of them)) × how many pages the row touches (1 + log₂ pages: a theme link on 50 pages weighs
about as much as an error on one page of the same importance).
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from linkcrawler.health import counted

SEVERITY_WEIGHT = {"error": 100.0, "warning": 10.0, "notice": 1.0}
TODO_COLUMNS = ["todo", "severity", "issue", "what", "do", "where", "title", "pages", "links", "open", "score"]


def _quote(text: str, most: int = 40) -> str:
    text = " ".join(str(text).split())
    return f"'{text[: most - 1]}…'" if len(text) > most else f"'{text}'"




def _pages(n: int) -> str:
    return counted(n, "page")


def _links(n: int) -> str:
    return counted(n, "link")


def site_relative(text: str, page: str) -> str:
    """``text`` with the addresses of the page's own site shortened to their path (``/post/5/``)."""
    parts = urlsplit(page)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return text.replace(origin + "/", "/") if origin else text


def group_keys(issues: pd.DataFrame, groups: dict[str, str]) -> pd.Series:
    """The to-do row each finding belongs to, as a key (see the module docstring); ``groups`` maps an issue to
    ``target``, ``link`` or ``page``."""
    kind = issues["issue"].map(groups).fillna("page")
    template = issues["template"].fillna(False).astype(bool) if "template" in issues else False
    target = "T\x1f" + issues["issue"] + "\x1f" + issues["url"].fillna("")
    theme = "S\x1f" + issues["issue"] + "\x1f" + issues["position"].fillna("") + "\x1f" + issues["place"].fillna("")
    page = "P\x1f" + issues["issue"] + "\x1f" + issues["page"].fillna("")
    return page.where(kind == "page", target.where(kind == "target", theme.where(template & (kind == "link"), page)))


def in_order(issues: pd.DataFrame, page_facts: pd.DataFrame) -> pd.DataFrame:
    """The findings in an order that does not depend on the order pages were crawled (several workers, another
    week): the most linked-to pages first, then by page, link target, link text and place. A group's first
    finding, which its to-do row shows and opens, is then on its most important page, and rows tied on score
    keep their to-do numbers from run to run."""
    inlinks = issues["page"].map(page_facts["unique_inlinks"]).fillna(0).astype(float)
    columns = [c for c in ("page", "url", "anchor", "link_path") if c in issues]
    order = pd.DataFrame({"_inlinks": -inlinks.to_numpy(),
                          **{c: issues[c].astype("string").fillna("").to_numpy() for c in columns}})
    return issues.iloc[order.sort_values(["_inlinks", *columns], kind="stable").index.to_numpy()]


def build(issues: pd.DataFrame, groups: dict[str, str], do: dict[str, str],
          page_facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``(to-do rows, to-do number of each finding)``. ``issues`` holds the findings with ``issue``,
    ``severity``, ``page``, ``url``, ``anchor``, ``position``, ``place``, ``template``, ``detail``, ``open``;
    ``do`` maps an issue to what to do; ``page_facts`` is indexed by page URL with ``title`` and
    ``unique_inlinks``."""
    if not len(issues):
        return pd.DataFrame(columns=TODO_COLUMNS), pd.Series(dtype="Int64")
    keys = group_keys(issues, groups)
    titles = page_facts["title"].fillna("").to_dict()
    frame = in_order(issues.assign(_key=keys.to_numpy()), page_facts)
    frame = frame.assign(_inlinks=frame["page"].map(page_facts["unique_inlinks"]).fillna(0).astype(float).to_numpy())
    grouped = frame.groupby("_key", sort=False)
    firsts = frame.drop_duplicates("_key").set_index("_key")  # each group's first finding, in order
    counts = pd.DataFrame({"pages": grouped["page"].nunique(), "links": grouped.size(),
                           "inlinks": grouped["_inlinks"].max()}).reindex(firsts.index)
    texts = frame.drop_duplicates(["_key", "anchor"]).groupby("_key", sort=False)["anchor"].agg(
        lambda a: [str(x) if pd.notna(x) else "" for x in a])
    rows = []
    for key, first, (pages, links, most) in zip(firsts.index, firsts.to_dict("records"),
                                                counts.itertuples(index=False), strict=True):
        problem, severity = first["issue"], first["severity"]
        importance = 1 + math.log2(1 + most)
        score = SEVERITY_WEIGHT.get(severity, 1.0) * importance * (1 + math.log2(pages))
        what, where, title = _what(key[0], first, int(links), int(pages), texts[key], titles)
        todo = do.get(problem, "")
        if key[0] == "S":
            todo = f"{todo}, once, in the theme" if todo else "fix it once, in the theme"
        per_link = key[0] != "P" or first["url"]
        rows.append({"severity": severity, "issue": problem, "what": what, "do": todo, "where": where,
                     "title": title, "pages": int(pages), "links": int(links) if per_link else None,
                     "open": first.get("open") or first["page"], "score": round(score, 1), "_key": key})
    todo = pd.DataFrame(rows).astype({"links": "Int64"})
    todo = todo.sort_values(["score", "pages"], ascending=False, kind="stable").reset_index(drop=True)
    todo.insert(0, "todo", np.arange(1, len(todo) + 1))
    numbers = keys.map(dict(zip(todo["_key"], todo["todo"], strict=True)))
    return todo[TODO_COLUMNS], numbers.astype("Int64")


def _what(kind: str, first: dict, links: int, pages: int, anchors: list[str],
          titles: dict[str, str]) -> tuple[str, str, str]:
    """``(what is wrong, where, page title)`` of one to-do row, in words: ``first`` is its first finding,
    ``anchors`` the link texts of its findings."""
    url, detail = first["url"] or "", first["detail"] or ""
    if kind == "T":
        what = site_relative(f"{url}{f' ({detail})' if detail else ''}: {_links(links)} on {_pages(pages)}",
                             first["page"])
        if pages == 1:
            return what, first["page"], titles.get(first["page"], "")
        return what, _pages(pages), ""
    if kind == "S":
        named = [_quote(a, 25) if a else "a link without text" for a in anchors]
        listed = ", ".join(named[:4]) + (f" and {len(named) - 4} more" if len(named) > 4 else "")
        noun, verb = ("link", "is") if len(named) == 1 else ("links", "are")
        return (f"the {first['position']} {noun} {listed} {verb} on {_pages(pages)}",
                f"{_pages(pages)} ({first['position']})", "")
    page = first["page"]
    title = titles.get(page, "")
    if url and links > 1:
        named = ", ".join(_quote(a, 25) for a in anchors[:4] if a)
        return f"{_links(links)} on this page{': ' + named if named else ''}", page, title
    if url:
        anchor = _quote(first["anchor"]) if first["anchor"] else "a link without text"
        return f"{anchor} → {url}" + (f" ({detail})" if detail else ""), page, title
    return detail or first["issue"], page, title
