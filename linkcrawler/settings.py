"""Scrapy settings of the linkcrawler project.

The ``site`` spider brings its own defaults (``linkcrawler.config.SCRAPY_DEFAULTS`` and ``DEFAULTS``); what is
set here or with ``-s`` on the command line wins over them. Every ``LINKCRAWLER_*`` setting is listed in the
README.
"""

BOT_NAME = "linkcrawler"

SPIDER_MODULES = ["linkcrawler.spiders"]
NEWSPIDER_MODULE = "linkcrawler.spiders"
COMMANDS_MODULE = "linkcrawler.commands"

# Scrapy 2.13+ default; set explicitly so that every run uses the asyncio reactor
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
