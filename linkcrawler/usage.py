"""What the project's Scrapy commands share: one-line misuse, run folders named from any folder. (Not in
``linkcrawler.commands``: Scrapy takes every command class there for a command.)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from linkcrawler.config import Config, project_folder


class ProjectCommand(ScrapyCommand):
    """A command whose misuse is one line on stderr and exit status 2 (Scrapy prints its usage block first)."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self.act(args, opts)
        except UsageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2

    def act(self, args: list[str], opts: argparse.Namespace) -> None:
        raise NotImplementedError

    def config(self) -> Config:
        """The LINKCRAWLER_* settings; a value that cannot be used is a usage error naming the setting."""
        assert self.settings is not None
        try:
            return Config.from_settings(self.settings)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None


def run_folder(arg: str) -> Path:
    """A run folder named on the command line: as given, or, for a relative path that is no folder here, the same
    path under the project folder, where the export root lives (``exports/<host>/<run>`` works from any folder)."""
    path = Path(arg).expanduser()
    if path.exists() or path.is_absolute():
        return path
    there = project_folder() / path
    return there if there.exists() else path
