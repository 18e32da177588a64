"""``linkcrawler``: the project's Scrapy commands from any folder, with the project's settings.

``linkcrawler crawl URL [options]`` is ``scrapy crawl site -a url=URL [options]``; ``linkcrawler report RUN`` and
``linkcrawler compare OLD NEW`` are ``scrapy report``/``scrapy compare``. Scrapy finds the project through
``SCRAPY_SETTINGS_MODULE=linkcrawler.settings`` (set here), wherever it runs; a relative
``LINKCRAWLER_EXPORT_DIR`` is resolved against the project folder (``linkcrawler.config.project_folder``), so
cron, a shell in the project and a shell elsewhere keep one history.
"""

from __future__ import annotations

import os
import sys

from linkcrawler.spiders.site import check_start_url

CRAWL = "linkcrawler crawl https://www.example.com/"

USAGE = """usage: linkcrawler <command> [arguments] [-s NAME=VALUE ...]

  linkcrawler crawl URL         crawl the site at URL (http:// or https://) into a new run folder
  linkcrawler report RUN ...    rebuild the report of run folders (other thresholds: -s LINKCRAWLER_…=…)
  linkcrawler compare OLD NEW   compare two runs of a site: the newer one's report gets a Changes sheet

Options are those of `scrapy crawl`, `scrapy report` and `scrapy compare`: see `linkcrawler <command> -h`.
Exit status: 0 ok or partial, 2 failed run or usage error, 3 new errors (LINKCRAWLER_FAIL_ON_NEW_ERRORS)."""
COMMANDS = ("crawl", "report", "compare")


def scrapy_argv(argv: list[str]) -> list[str]:
    """The ``scrapy`` command line for a ``linkcrawler`` one (``argv`` without the program name); ValueError
    with a one-line message for a command line that cannot be one."""
    if argv[0] not in COMMANDS:
        raise ValueError(f"unknown command {argv[0]!r}: linkcrawler crawl, report or compare (linkcrawler -h)")
    command, rest = argv[0], argv[1:]
    if command != "crawl" or rest[:1] in (["-h"], ["--help"]):
        return ["scrapy", command, *rest]
    url = check_start_url(rest[0] if rest and not rest[0].startswith("-") else None, usage=CRAWL)
    if len(rest) > 1 and not rest[1].startswith("-"):
        raise ValueError(f"one site at a time ({rest[1]!r} is a second URL): {CRAWL} [-s NAME=VALUE ...]")
    return ["scrapy", "crawl", "site", "-a", f"url={url}", *rest[1:]]


def main(argv: list[str] | None = None) -> None:
    """Run a ``linkcrawler`` command line; exits with the command's status (2 for a usage error)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        sys.exit(0 if argv else 2)
    try:
        command = scrapy_argv(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    os.environ["SCRAPY_SETTINGS_MODULE"] = "linkcrawler.settings"
    from scrapy.cmdline import execute

    execute(command)
