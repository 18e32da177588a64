from urllib.parse import urlsplit

import pytest

from linkcrawler.classify import Classifier
from linkcrawler.config import Config


def kind(classifier: Classifier, url: str) -> tuple[str, str]:
    return classifier.kind(url, urlsplit(url))


SITE = Classifier.for_site("http://127.0.0.1:8080/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/a", "internal"),
        ("https://127.0.0.1:8080/a", "internal"),  # scheme does not change the site
        ("http://127.0.0.1:8081/a", "external"),  # the port does
        ("http://127.0.0.1/a", "external"),
        ("http://localhost:8080/a", "external"),
        ("mailto:a@example.com", "mailto"),
        ("tel:+1555", "tel"),
        ("javascript:void(0)", "javascript"),
        ("ftp://127.0.0.1:8080/file", "other"),
        ("data:text/plain,hi", "other"),
    ],
)
def test_kind_by_scope_and_scheme(url, expected):
    assert kind(SITE, url)[0] == expected


def test_default_ports_are_the_same_site():
    site = Classifier.for_site("https://example.com/")
    assert kind(site, "https://example.com:443/x")[0] == "internal"
    assert kind(site, "http://example.com/x")[0] == "internal"
    assert kind(site, "https://www.example.com/x")[0] == "external"
    assert kind(site, "https://EXAMPLE.com/x")[0] == "internal"


def test_subdomains_widen_the_site_to_the_registered_domain():
    site = Classifier.for_site("https://www.example.co.uk/", Config(include_subdomains=True))
    assert kind(site, "https://blog.example.co.uk/x")[0] == "internal"
    assert kind(site, "https://example.co.uk/x")[0] == "internal"
    assert kind(site, "https://other.co.uk/x")[0] == "external"


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://amzn.to/3xYz", "domain:amzn.to"),
        ("https://www.awin1.com/cread.php?awinmid=1", "domain:awin1.com"),
        ("https://click.linksynergy.com/deeplink?id=x", "domain:linksynergy.com"),
        ("https://www.anrdoezrs.net/click-1-2", "domain:anrdoezrs.net"),
        ("https://go.skimresources.com/?id=1", "domain:skimresources.com"),
        ("https://prf.hn/click/camref:1", "domain:prf.hn"),
        ("https://vendor.hop.clickbank.net/", "domain:hop.clickbank.net"),
        ("https://shareasale.com/r.cfm?b=1", "domain:shareasale.com"),
        ("https://www.amazon.co.uk/dp/B01?tag=site-21", "param:tag"),
        ("https://shop.example.net/p?AFF_ID=9", "param:aff_id"),
        ("https://shop.example.net/p?irclickid=abc", "param:irclickid"),
        ("https://shop.example.net/p?utm_medium=Affiliate", "param:utm_medium=affiliate"),
        ("http://127.0.0.1:8080/go/vendor", "path:/go/"),
        ("http://127.0.0.1:8080/recommends/vendor", "path:/recommends/"),
        ("http://127.0.0.1:8080/GO/vendor", "path:/go/"),
    ],
)
def test_affiliate_rules(url, rule):
    assert kind(SITE, url) == ("affiliate", rule)


def test_tag_parameter_counts_only_on_amazon():
    assert kind(SITE, "https://blog.example.net/post?tag=python") == ("external", "")
    # a path that merely starts like a cloak prefix is not one
    assert kind(SITE, "http://127.0.0.1:8080/goodies")[0] == "internal"
    assert kind(SITE, "http://127.0.0.1:8080/outdoors/")[0] == "internal"


def test_user_affiliate_rules_extend_the_defaults():
    config = Config(
        affiliate_domains=("partner.example",),
        affiliate_params=("ref_code",),
        affiliate_paths=("/deal/",),
        affiliate_patterns=(r"/track/\d+",),
    )
    site = Classifier.for_site("https://mysite.example/", config)
    assert kind(site, "https://go.partner.example/x") == ("affiliate", "domain:partner.example")
    assert kind(site, "https://shop.example/x?ref_code=1") == ("affiliate", "param:ref_code")
    assert kind(site, "https://mysite.example/deal/tv") == ("affiliate", "path:/deal/")
    assert kind(site, "https://cdn.example/track/123") == ("affiliate", r"pattern:/track/\d+")
    assert kind(site, "https://amzn.to/x") == ("affiliate", "domain:amzn.to")  # defaults still apply


def test_start_url_redirect_adds_the_landing_host():
    site = Classifier.for_site("https://example.com/").with_host("https://www.example.com/")
    assert kind(site, "https://www.example.com/a")[0] == "internal"
    assert kind(site, "https://example.com/a")[0] == "internal"
