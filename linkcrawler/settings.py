"""Scrapy settings of the linkcrawler project.

Every ``LINKCRAWLER_*`` default is loaded here from ``linkcrawler.config.DEFAULTS`` (their one home), so that
``scrapy settings --get LINKCRAWLER_MAX_LINKS`` shows it; set your own values below. The ``site`` spider brings
the Scrapy settings it needs (``linkcrawler.config.SCRAPY_DEFAULTS``); what is set here or with ``-s`` wins over
them. Every ``LINKCRAWLER_*`` setting is listed in the README.

``LOG_LEVEL`` is left to the commands: ``scrapy crawl`` tells its own short story on the console and logs
warnings there, and logs at INFO into ``--logfile`` (see ``linkcrawler/commands/crawl.py``).
"""

from linkcrawler import config as _config

globals().update(_config.DEFAULTS)

BOT_NAME = "linkcrawler"

SPIDER_MODULES = ["linkcrawler.spiders"]
NEWSPIDER_MODULE = "linkcrawler.spiders"
COMMANDS_MODULE = "linkcrawler.commands"

# Scrapy 2.13+ default; set explicitly so that every run uses the asyncio reactor
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
