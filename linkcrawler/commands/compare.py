"""``scrapy compare OLD_RUN NEW_RUN``: what changed between two run folders of a site."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from linkcrawler.history import oldest_first, refusal
from linkcrawler.usage import ProjectCommand, run_folder
from linkcrawler.workbook import write_report


class Command(ProjectCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "OLD_RUN_FOLDER NEW_RUN_FOLDER"

    def short_desc(self) -> str:
        return "Compare two run folders: rebuild the newer one's report with a Changes sheet and print its summary"

    def long_desc(self) -> str:
        return (f"{self.short_desc()}. The runs are taken in the order they were made, whatever the order given; "
                "runs of different sites (host and port), failed and unfinished runs are refused. The crawl's "
                "issues.csv stays: the rebuilt report's findings go to report-issues.csv.")

    def act(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 2:
            raise UsageError("give two run folders: scrapy compare OLD NEW", print_help=False)
        folders = [run_folder(arg) for arg in args]
        for folder in folders:
            if not (folder / "run.json").exists():
                raise UsageError(f"not a run folder: {folder}", print_help=False)
        old, new = oldest_first(*folders)
        refused = refusal(old, new)
        if refused:
            raise UsageError(f"cannot compare: {refused}", print_help=False)
        if old != folders[0]:
            print(f"{old} is the older run: comparing {new} with it")
        write_report(new, self.config(), previous=old)
        print((new / "summary.md").read_text(encoding="utf-8"))
