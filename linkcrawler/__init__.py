"""linkcrawler: crawl a website with Scrapy and map every link on it."""

__version__ = "0.1.0"
