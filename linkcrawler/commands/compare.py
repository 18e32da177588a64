"""``scrapy compare OLD_RUN NEW_RUN``: what changed between two run folders of a site."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from linkcrawler.config import Config
from linkcrawler.workbook import write_report


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "OLD_RUN_FOLDER NEW_RUN_FOLDER"

    def short_desc(self) -> str:
        return "Compare two run folders: rebuild the newer one's report with a Changes sheet and print its summary"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 2:
            raise UsageError("give two run folders: scrapy compare OLD NEW")
        old, new = map(Path, args)
        for folder in (old, new):
            if not (folder / "run.json").exists():
                raise UsageError(f"not a run folder: {folder}")
        assert self.settings is not None
        write_report(new, Config.from_settings(self.settings), previous=old)
        print((new / "summary.md").read_text(encoding="utf-8"))
