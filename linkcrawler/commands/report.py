"""``scrapy report RUN_FOLDER``: rebuild a run's report.xlsx from its tables, with the current settings."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from linkcrawler.history import refusal
from linkcrawler.todo import counted
from linkcrawler.usage import ProjectCommand, run_folder
from linkcrawler.workbook import write_report


class Command(ProjectCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "RUN_FOLDER [RUN_FOLDER ...]"

    def short_desc(self) -> str:
        return "Rebuild report.xlsx of run folders from their tables (thresholds from -s LINKCRAWLER_* settings)"

    def long_desc(self) -> str:
        return (f"{self.short_desc()}. The crawl's issues.csv, which later runs compare with, stays as the crawl "
                "wrote it: the rebuilt report's findings go to report-issues.csv.")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--compare", metavar="RUN_FOLDER",
                            help="compare with this earlier run of the site (default: its last good run before)")

    def act(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give the run folder(s): scrapy report exports/<host>/<timestamp>", print_help=False)
        config = self.config()
        previous = run_folder(opts.compare) if opts.compare else "auto"
        for arg in args:
            folder = run_folder(arg)
            if not (folder / "run.json").exists() and not any(folder.glob("pages.*")):
                raise UsageError(f"not a run folder: {folder}", print_help=False)
            if previous != "auto" and (refused := refusal(previous, folder)):
                raise UsageError(f"cannot compare: {refused}", print_help=False)
            report = write_report(folder, config, previous=previous)
            print(folder / "report.xlsx")
            if report.previous is not None:
                print(f"compared with {report.previous}: {counted(len(report.changes), 'change')}")
