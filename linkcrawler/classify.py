"""Which site a URL belongs to, and what kind of link points at it.

Rules: http(s) URLs on the crawled site (same host, port included; with subdomains on, the same registered
domain) are ``internal``, other http(s) URLs ``external``; either is ``affiliate`` when an affiliate rule
matches (network domain, affiliate query parameter, cloaked path on the own site, or a user pattern).
``mailto``, ``tel`` and ``javascript`` keep their scheme as kind; any other scheme is ``other``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlsplit

import tldextract

from linkcrawler.config import Config

DEFAULT_PORTS = {"http": 80, "https": 443}

# Affiliate networks, their redirect domains and affiliate shorteners (a subdomain of one counts too).
AFFILIATE_DOMAINS = (
    "amzn.to", "amzn.eu", "amzn.asia", "a.co",  # Amazon Associates short links
    "awin1.com", "awin.com",  # Awin
    "shareasale.com", "shareasale-analytics.com",  # ShareASale
    "linksynergy.com",  # Rakuten Advertising (click.linksynergy.com)
    "anrdoezrs.net", "dpbolvw.net", "jdoqocy.com", "kqzyfj.com", "tkqlhce.com", "qksrv.net", "emjcd.com",  # CJ
    "impactradius-go.com", "sjv.io", "pxf.io", "7eer.net", "ojrq.net", "evyy.net",  # Impact
    "skimresources.com", "redirectingat.com", "skimlinks.com",  # Skimlinks
    "prf.hn",  # Partnerize
    "hop.clickbank.net",  # ClickBank
    "avantlink.com",  # AvantLink
    "pntrs.com", "pjtra.com", "pjatr.com", "gopjn.com", "pntra.com", "pntrac.com",  # Pepperjam / Ascend
    "rstyle.me", "shopstyle.it", "shop-links.co", "howl.me", "go.magik.ly", "geni.us", "tidd.ly",
    "rover.ebay.com",  # eBay Partner Network
    "tradedoubler.com", "webgains.com", "zanox.com", "ad.zanox.com", "partners.hotwire.com",
)

# Query parameters that mark an affiliate link on any host.
AFFILIATE_PARAMS = (
    "aff", "aff_id", "affid", "affiliate", "affiliate_id", "affiliateid", "aff_sub", "affsub",
    "irclickid", "irgwc", "clickref", "awc", "sscid", "cjevent", "ranmid", "raneaid", "ransiteid",
    "ascsubtag", "partnerid", "partner_id",
)

# Parameters that mark an affiliate link only on some hosts, by a regular expression over the host.
HOST_PARAMS = (
    (re.compile(r"(^|\.)amazon\.[a-z.]+$"), "tag"),
    (re.compile(r"(^|\.)ebay\.[a-z.]+$"), "campid"),
)

# Cloaked redirect paths on the own site (WordPress plugins such as ThirstyAffiliates and Pretty Links).
AFFILIATE_PATHS = ("/go/", "/recommends/", "/out/", "/visit/", "/refer/")

_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """The registrable domain of a host name (``blog.example.co.uk`` → ``example.co.uk``); the host itself for IPs."""
    parts = _extract(host)
    return parts.top_domain_under_public_suffix or host


def origin(parts: SplitResult) -> tuple[str, int | None]:
    """Host (lower case) and the port when it is not the scheme's default."""
    port = parts.port
    if port is not None and port == DEFAULT_PORTS.get(parts.scheme):
        port = None
    return (parts.hostname or "", port)


def _host_in(host: str, domains: frozenset[str]) -> str | None:
    """The entry of ``domains`` that is ``host`` or one of its parent domains."""
    labels = host.split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        if candidate in domains:
            return candidate
    return None


@dataclass(frozen=True)
class Classifier:
    """Classifies absolute URLs relative to the crawled site; build it with :meth:`for_site`."""

    origins: frozenset[tuple[str, int | None]]
    domains: frozenset[str]
    include_subdomains: bool
    affiliate_domains: frozenset[str]
    affiliate_params: frozenset[str]
    affiliate_paths: tuple[str, ...]
    affiliate_patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def for_site(cls, start_url: str, config: Config | None = None) -> Classifier:
        config = config or Config()
        parts = urlsplit(start_url)
        return cls(
            origins=frozenset([origin(parts)]),
            domains=frozenset([registered_domain(parts.hostname or "")]),
            include_subdomains=config.include_subdomains,
            affiliate_domains=frozenset(d.lower().lstrip(".") for d in AFFILIATE_DOMAINS + config.affiliate_domains),
            affiliate_params=frozenset(p.lower() for p in AFFILIATE_PARAMS + config.affiliate_params),
            affiliate_paths=tuple(p.lower() for p in AFFILIATE_PATHS + config.affiliate_paths),
            affiliate_patterns=tuple(re.compile(p) for p in config.affiliate_patterns),
        )

    def with_host(self, url: str) -> Classifier:
        """The same classifier with the host of ``url`` counted as the site too (the start URL redirected there)."""
        parts = urlsplit(url)
        return Classifier(
            origins=self.origins | {origin(parts)},
            domains=self.domains | {registered_domain(parts.hostname or "")},
            include_subdomains=self.include_subdomains,
            affiliate_domains=self.affiliate_domains,
            affiliate_params=self.affiliate_params,
            affiliate_paths=self.affiliate_paths,
            affiliate_patterns=self.affiliate_patterns,
        )

    def is_internal(self, parts: SplitResult) -> bool:
        if origin(parts) in self.origins:
            return True
        return self.include_subdomains and registered_domain(parts.hostname or "") in self.domains

    def kind(self, url: str, parts: SplitResult) -> tuple[str, str]:
        """``(kind, affiliate_rule)`` of an absolute URL; the rule says why a link is affiliate, else ''."""
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            if scheme in ("mailto", "tel", "javascript"):
                return scheme, ""
            return "other", ""
        internal = self.is_internal(parts)
        if internal:
            path = parts.path.lower()
            for prefix in self.affiliate_paths:
                if path.startswith(prefix) or path == prefix.rstrip("/"):
                    return "affiliate", f"path:{prefix}"
        else:
            host = parts.hostname or ""
            domain = _host_in(host, self.affiliate_domains)
            if domain:
                return "affiliate", f"domain:{domain}"
            if parts.query:
                rule = self._param_rule(host, parts.query)
                if rule:
                    return "affiliate", rule
        for pattern in self.affiliate_patterns:
            if pattern.search(url):
                return "affiliate", f"pattern:{pattern.pattern}"
        return ("internal" if internal else "external"), ""

    def _param_rule(self, host: str, query: str) -> str:
        names = {name.lower(): value for name, value in parse_qsl(query, keep_blank_values=True)}
        for name in names:
            if name in self.affiliate_params:
                return f"param:{name}"
        for host_re, name in HOST_PARAMS:
            if name in names and host_re.search(host):
                return f"param:{name}"
        if names.get("utm_medium", "").lower() == "affiliate":
            return "param:utm_medium=affiliate"
        return ""
