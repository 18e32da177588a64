"""Every ``LINKCRAWLER_*`` setting with its default, parsed once into a frozen :class:`Config`.

``DEFAULTS`` is the one place where our defaults live; ``SCRAPY_DEFAULTS`` are the Scrapy settings the
``site`` spider needs (applied at "default" priority, so ``settings.py`` and ``-s`` still win).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from scrapy.settings import BaseSettings

from linkcrawler.addresses import parse_mode, parse_networks

DEFAULTS: dict[str, Any] = {
    # where run folders go: <EXPORT_DIR>/<host>/<UTC timestamp>/
    "LINKCRAWLER_EXPORT_DIR": "exports",
    # table format: csv (rows flushed page by page) or parquet (part files)
    "LINKCRAWLER_FORMAT": "csv",
    # rows per Parquet part file
    "LINKCRAWLER_PARQUET_PART_ROWS": 50_000,
    # count subdomains of the start URL's registered domain as internal
    "LINKCRAWLER_INCLUDE_SUBDOMAINS": False,
    # stop scheduling new pages after this many (0 = no limit)
    "LINKCRAWLER_MAX_PAGES": 1_000_000,
    # pages more clicks than this from the start URL are not fetched (their links to them are still recorded)
    "LINKCRAWLER_MAX_DEPTH": 30,
    # crawl internal links marked nofollow (the link rows still say follow=False)
    "LINKCRAWLER_FOLLOW_NOFOLLOW": True,
    # anchors longer than this are cut and end with "…"
    "LINKCRAWLER_MAX_ANCHOR_CHARS": 500,
    # links recorded per page at most; further links are counted (outlinks, links_over_limit), not recorded
    "LINKCRAWLER_MAX_LINKS_PER_PAGE": 10_000,
    # a link on at least this many pages in the same place is the theme's (template), not the page's own text
    "LINKCRAWLER_TEMPLATE_MIN_PAGES": 5,
    # position rules of your theme, tried before the built-in ones: {"css selector or class/id word": "position"}
    "LINKCRAWLER_POSITION_RULES": {},
    # affiliate rules added to the built-in ones
    "LINKCRAWLER_AFFILIATE_DOMAINS": [],
    "LINKCRAWLER_AFFILIATE_PARAMS": [],
    "LINKCRAWLER_AFFILIATE_PATHS": [],
    "LINKCRAWLER_AFFILIATE_PATTERNS": [],
    # target checks of external and affiliate links
    "LINKCRAWLER_CHECK_EXTERNAL": True,
    "LINKCRAWLER_CHECK_INCLUDE": [],  # regexes: when set, only matching target URLs are checked
    "LINKCRAWLER_CHECK_EXCLUDE": [],  # regexes: matching target URLs are not checked
    "LINKCRAWLER_CHECK_TIMEOUT": 15,  # seconds per request of a check
    "LINKCRAWLER_CHECK_RETRIES": 1,  # retries of a check after a timeout, connection error or 5xx
    "LINKCRAWLER_CHECK_ROBOTS": True,  # obey the target host's robots.txt
    "LINKCRAWLER_MAX_REDIRECTS": 10,  # hops before a chain is "too many redirects"
    "LINKCRAWLER_RETRY_AFTER_MAX": 60,  # longest Retry-After (seconds) waited for on 429/503
    # requests to loopback/private/link-local/shared/multicast/reserved addresses (the site's own host and port
    # aside): auto = allowed only when the start URL's host resolves to such an address; False = never; True = always
    "LINKCRAWLER_ALLOW_PRIVATE_TARGETS": "auto",
    "LINKCRAWLER_ALLOWED_NETWORKS": [],  # networks contacted even when private targets are not: 10.1.2.0/24,…
    # the editors' workbook: report.xlsx written when the crawl ends, and its flags
    "LINKCRAWLER_REPORT": True,
    "LINKCRAWLER_MAX_LINKS": 100,  # more links than this on a page is "too many links"
    "LINKCRAWLER_MAX_EXTERNAL_LINKS": 50,  # more external + affiliate links than this is "too many external links"
    "LINKCRAWLER_MAX_LINK_DENSITY": 0.10,  # share of the content's words inside links
    "LINKCRAWLER_MIN_CONTENT_WORDS": 50,  # fewer words of main text: a thin page, not judged on density/links
    "LINKCRAWLER_MAX_CLICK_DEPTH": 3,  # pages deeper than this many clicks are flagged
    # link rows on the Links sheet (0 = every row); past it, the links to act on first. links.csv has them all
    "LINKCRAWLER_LINKS_SHEET_ROWS": 50_000,
    # history: compare with the site's last finished run ("" = that one, "none" = no comparison, or a run folder)
    "LINKCRAWLER_COMPARE_WITH": "",
    "LINKCRAWLER_FAIL_ON_NEW_ERRORS": False,  # exit status 3 when the run has new error-severity findings
    "LINKCRAWLER_KEEP_RUNS": 0,  # keep only the newest N run folders of the site (0 = keep all)
    "LINKCRAWLER_SITEMAPS": True,  # read robots.txt Sitemap: lines and /sitemap.xml, and crawl their URLs
    "LINKCRAWLER_PROGRESS": True,  # a progress line on a terminal
    # several workers, one crawl: a Redis URL makes this crawl a worker of a shared crawl (scrapy-redis)
    "LINKCRAWLER_REDIS_URL": "",
    "LINKCRAWLER_REDIS_CRAWL": "",  # name of the shared crawl ("" = the start URL's host and port)
    "LINKCRAWLER_REDIS_WORKER_TIMEOUT": 60,  # seconds without a heartbeat before a worker counts as dead
    "LINKCRAWLER_GENERIC_ANCHORS": [
        "click here", "here", "read more", "learn more", "more", "this page", "this", "link", "this link",
        "click", "go", "details", "more info", "continue", "continue reading", "see more", "find out more",
    ],
}

SCRAPY_DEFAULTS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": True,
    # non-2xx pages are pages too
    "HTTPERROR_ALLOW_ALL": True,
    # breadth-first, so that depth is the number of clicks from the start page
    "DEPTH_PRIORITY": 1,
    "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    # pending requests on disk, not in memory, so that memory does not grow with the frontier
    "SCHEDULER": "linkcrawler.scheduler.DiskQueueScheduler",
    "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    # bounds that keep a calendar trap or a huge response from sinking a run (depth: LINKCRAWLER_MAX_DEPTH)
    "URLLENGTH_LIMIT": 2083,
    "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 8 * 1024 * 1024,
    "DOWNLOAD_TIMEOUT": 30,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "USER_AGENT": "linkcrawler/0.1",
    "LOG_LEVEL": "INFO",
    "TELNETCONSOLE_ENABLED": False,
    # Scrapy 2.19's remote control runs Python code sent over HTTP by whoever holds its token: off, like telnet
    "REMOTE_CONTROL_ENABLED": False,
    # pages and checks fetch http(s) only: no file:, ftp:, s3: or data: URL is ever read, whatever a redirect says
    "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
    "ITEM_PIPELINES": {"linkcrawler.pipelines.StorePipeline": 500},
    "DOWNLOADER_MIDDLEWARES": {
        # no request to an address LINKCRAWLER_ALLOW_PRIVATE_TARGETS forbids, before robots.txt is even asked for
        "linkcrawler.middlewares.AddressGuardMiddleware": 60,
        # robots.txt read by RFC 9309 (5xx: disallow all; 4xx: allow all; the first 500 KiB)
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "linkcrawler.middlewares.RobotsTxtMiddleware": 100,
        # honour Retry-After on 429/503 before Scrapy's RetryMiddleware (550) retries at once
        "linkcrawler.middlewares.RetryAfterMiddleware": 560,
    },
    "EXTENSIONS": {"linkcrawler.extensions.Progress": 500},
    # verify TLS certificates like a browser, so that certificate errors are reported, not ignored
    "DOWNLOAD_VERIFY_CERTIFICATES": True,
}

POSITIONS = ("header", "navigation", "breadcrumb", "content", "sidebar", "comments", "footer")


def _dict(settings: BaseSettings, name: str) -> dict[str, str]:
    value = settings.get(name) or {}
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    return {str(k): str(v) for k, v in dict(value).items()}


@dataclass(frozen=True)
class Config:
    export_dir: str = DEFAULTS["LINKCRAWLER_EXPORT_DIR"]
    format: str = DEFAULTS["LINKCRAWLER_FORMAT"]
    parquet_part_rows: int = DEFAULTS["LINKCRAWLER_PARQUET_PART_ROWS"]
    include_subdomains: bool = DEFAULTS["LINKCRAWLER_INCLUDE_SUBDOMAINS"]
    max_pages: int = DEFAULTS["LINKCRAWLER_MAX_PAGES"]
    max_depth: int = DEFAULTS["LINKCRAWLER_MAX_DEPTH"]
    follow_nofollow: bool = DEFAULTS["LINKCRAWLER_FOLLOW_NOFOLLOW"]
    max_anchor_chars: int = DEFAULTS["LINKCRAWLER_MAX_ANCHOR_CHARS"]
    max_links_per_page: int = DEFAULTS["LINKCRAWLER_MAX_LINKS_PER_PAGE"]
    template_min_pages: int = DEFAULTS["LINKCRAWLER_TEMPLATE_MIN_PAGES"]
    position_rules: dict[str, str] = field(default_factory=dict)
    affiliate_domains: tuple[str, ...] = ()
    affiliate_params: tuple[str, ...] = ()
    affiliate_paths: tuple[str, ...] = ()
    affiliate_patterns: tuple[str, ...] = ()
    check_external: bool = DEFAULTS["LINKCRAWLER_CHECK_EXTERNAL"]
    check_include: tuple[str, ...] = ()
    check_exclude: tuple[str, ...] = ()
    check_timeout: float = DEFAULTS["LINKCRAWLER_CHECK_TIMEOUT"]
    check_retries: int = DEFAULTS["LINKCRAWLER_CHECK_RETRIES"]
    check_robots: bool = DEFAULTS["LINKCRAWLER_CHECK_ROBOTS"]
    max_redirects: int = DEFAULTS["LINKCRAWLER_MAX_REDIRECTS"]
    retry_after_max: float = DEFAULTS["LINKCRAWLER_RETRY_AFTER_MAX"]
    allow_private_targets: str = DEFAULTS["LINKCRAWLER_ALLOW_PRIVATE_TARGETS"]
    allowed_networks: tuple[str, ...] = ()
    report: bool = DEFAULTS["LINKCRAWLER_REPORT"]
    max_links: int = DEFAULTS["LINKCRAWLER_MAX_LINKS"]
    max_external_links: int = DEFAULTS["LINKCRAWLER_MAX_EXTERNAL_LINKS"]
    max_link_density: float = DEFAULTS["LINKCRAWLER_MAX_LINK_DENSITY"]
    min_content_words: int = DEFAULTS["LINKCRAWLER_MIN_CONTENT_WORDS"]
    max_click_depth: int = DEFAULTS["LINKCRAWLER_MAX_CLICK_DEPTH"]
    links_sheet_rows: int = DEFAULTS["LINKCRAWLER_LINKS_SHEET_ROWS"]
    generic_anchors: tuple[str, ...] = tuple(DEFAULTS["LINKCRAWLER_GENERIC_ANCHORS"])
    compare_with: str = DEFAULTS["LINKCRAWLER_COMPARE_WITH"]
    fail_on_new_errors: bool = DEFAULTS["LINKCRAWLER_FAIL_ON_NEW_ERRORS"]
    keep_runs: int = DEFAULTS["LINKCRAWLER_KEEP_RUNS"]
    sitemaps: bool = DEFAULTS["LINKCRAWLER_SITEMAPS"]
    progress: bool = DEFAULTS["LINKCRAWLER_PROGRESS"]
    redis_url: str = DEFAULTS["LINKCRAWLER_REDIS_URL"]
    redis_crawl: str = DEFAULTS["LINKCRAWLER_REDIS_CRAWL"]
    redis_worker_timeout: float = DEFAULTS["LINKCRAWLER_REDIS_WORKER_TIMEOUT"]

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Config:
        """Read every LINKCRAWLER_* setting (field ``x`` is ``LINKCRAWLER_X``, typed by its annotation); raise
        ValueError naming the setting when a value is unusable."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f"LINKCRAWLER_{f.name.upper()}"
            default = DEFAULTS[name]
            kind = str(f.type)
            if kind == "bool":
                values[f.name] = settings.getbool(name, default)
            elif kind == "int":
                values[f.name] = settings.getint(name, default)
            elif kind == "float":
                values[f.name] = settings.getfloat(name, default)
            elif kind.startswith("tuple"):
                values[f.name] = tuple(s.strip() for s in settings.getlist(name, default) if s.strip())
            elif kind.startswith("dict"):
                values[f.name] = _dict(settings, name)
            else:
                value = settings.get(name, default)
                values[f.name] = default if value is None else str(value)
        values["format"] = values["format"].lower()
        if values["format"] not in ("csv", "parquet"):
            raise ValueError(f"LINKCRAWLER_FORMAT must be csv or parquet, not {values['format']!r}")
        bad = {k: v for k, v in values["position_rules"].items() if v not in POSITIONS}
        if bad:
            raise ValueError(f"LINKCRAWLER_POSITION_RULES: unknown positions {bad}; use one of {POSITIONS}")
        values["generic_anchors"] = tuple(a.lower() for a in values["generic_anchors"])
        try:
            values["allow_private_targets"] = parse_mode(values["allow_private_targets"])
        except ValueError:
            raise ValueError(f"LINKCRAWLER_ALLOW_PRIVATE_TARGETS must be auto, False or True, not "
                             f"{values['allow_private_targets']!r}") from None
        try:
            parse_networks(values["allowed_networks"])
        except ValueError as exc:
            raise ValueError(f"LINKCRAWLER_ALLOWED_NETWORKS: {exc}") from None
        return cls(**values)
