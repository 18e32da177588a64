"""Scrapy commands of the project (``scrapy report`` and friends)."""
