"""``scrapy report RUN_FOLDER``: rebuild a run's report.xlsx from its tables, with the current settings."""

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
        return "RUN_FOLDER [RUN_FOLDER ...]"

    def short_desc(self) -> str:
        return "Rebuild report.xlsx of run folders from their tables (thresholds from -s LINKCRAWLER_* settings)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--compare", metavar="RUN_FOLDER",
                            help="compare with this run (default: the site's previous finished run)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give the run folder(s): scrapy report exports/<host>/<timestamp>")
        assert self.settings is not None
        config = Config.from_settings(self.settings)
        for arg in args:
            folder = Path(arg)
            if not (folder / "run.json").exists() and not any(folder.glob("pages.*")):
                raise UsageError(f"not a run folder: {folder}")
            report = write_report(folder, config, previous=opts.compare or "auto")
            print(folder / "report.xlsx")
            if report.previous is not None:
                print(f"compared with {report.previous}: {len(report.changes)} changes")
