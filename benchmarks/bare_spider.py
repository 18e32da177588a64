"""The baseline: a bare Scrapy spider that follows every same-site link with LinkExtractor and records nothing.

    scrapy runspider benchmarks/bare_spider.py -a url=http://127.0.0.1:8080/
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = url
        # LinkExtractor compares allow_domains with the netloc, port included
        self.extractor = LinkExtractor(allow_domains=[urlsplit(url).netloc])
        self.netloc = urlsplit(url).netloc

    async def start(self):
        yield scrapy.Request(self.start_url)

    def parse(self, response):
        if not hasattr(response, "text"):
            return
        for link in self.extractor.extract_links(response):
            if urlsplit(link.url).netloc == self.netloc:
                yield scrapy.Request(link.url)
