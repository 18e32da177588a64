"""Run folders: ``<export root>/<host>/<UTC timestamp>/`` holding a run's tables and ``run.json``."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STAMP = "%Y%m%dT%H%M%SZ"
JOB_MARKER = "linkcrawler.json"  # in JOBDIR: the run folder a resumed crawl writes into
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
logger = logging.getLogger(__name__)


def site_dirname(url: str) -> str:
    """Folder name of a site: its host, with ``_port`` when the URL names a port. Always one plain folder name
    (letters, digits, ``.``, ``-``, ``_``; no leading dot), so that no start URL (``http://../``) puts its run
    folder outside the export root."""
    parts = urlsplit(url)
    host = _UNSAFE.sub("_", parts.hostname or "").lstrip(".") or "site"  # ":" of IPv6 literals becomes "_"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}_{port}" if port else host


def new_run_folder(export_dir: str | Path, start_url: str, now: datetime | None = None) -> Path:
    """Create and return a fresh run folder for a crawl of ``start_url`` started at ``now`` (UTC)."""
    now = now or datetime.now(UTC)
    site = Path(export_dir) / site_dirname(start_url)
    stamp = now.strftime(STAMP)
    site.mkdir(parents=True, exist_ok=True)
    folder, n = site / stamp, 1
    while True:
        try:
            folder.mkdir()  # atomic: two runs (or two workers) in the same second get a folder each
            return folder
        except FileExistsError:
            n += 1
            folder = site / f"{stamp}-{n}"


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``run.json`` atomically."""
    tmp = folder / ".run.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, folder / "run.json")


def read_meta(folder: Path | str) -> dict[str, Any]:
    path = Path(folder) / "run.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def run_folders(site_folder: Path) -> list[Path]:
    """Run folders of one site (those with a run.json), oldest first."""
    if not site_folder.is_dir():
        return []
    return sorted(p for p in site_folder.iterdir() if p.is_dir() and (p / "run.json").exists())


def run_state(meta: dict[str, Any]) -> str:
    """``ok``, ``partial`` or ``failed`` (run.json's ``status``), or ``unfinished``: still running, killed, or
    stopped with a JOBDIR to resume it. A run of an older version without a status is ``ok`` when it finished,
    else ``partial``."""
    if not meta.get("finished_at") or meta.get("resumable"):
        return "unfinished"
    return meta.get("status") or ("ok" if meta.get("finish_reason") == "finished" else "partial")


def baseline_run(site_folder: Path, before: str | None = None) -> Path | None:
    """The run a new run of the site compares with: the newest ok run (started before ``before``, a run folder
    name); when the site has no ok run, the newest partial one. Never a failed or unfinished run."""
    states = {"ok": None, "partial": None}
    for folder in run_folders(site_folder):
        if before is not None and folder.name >= before:
            continue
        state = run_state(read_meta(folder))
        if state in states:
            states[state] = folder
    return states["ok"] or states["partial"]


def prune(site_folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest finished run folders of a site; return what was deleted. Unfinished
    runs (running, killed, resumable) and the newest good run (what the next run compares with) are kept."""
    if keep <= 0:
        return []
    finished = [p for p in run_folders(site_folder) if run_state(read_meta(p)) != "unfinished"]
    spared = baseline_run(site_folder)
    doomed = [p for p in finished[:-keep] if p != spared]
    for folder in doomed:
        shutil.rmtree(folder)
        logger.info("Removed old run folder %s (LINKCRAWLER_KEEP_RUNS=%d)", folder, keep)
    return doomed


def read_job(jobdir: str | Path | None) -> dict[str, Any]:
    """What a crawl noted in its JOBDIR: ``run_folder``, and ``running``: true until the crawl closed with every
    request in Scrapy's queue; still true when it was killed (or stopped before its start requests were all
    queued), so that Scrapy's queue there is not the whole frontier. Empty without JOBDIR or a note."""
    path = Path(jobdir) / JOB_MARKER if jobdir else None
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write_job(jobdir: str | Path, run_folder: Path, running: bool) -> None:
    path = Path(jobdir) / JOB_MARKER
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"run_folder": str(run_folder.resolve()), "running": running}), encoding="utf-8")
    os.replace(tmp, path)
