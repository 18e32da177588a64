"""Target checks: every distinct link target gets a status, with a second loopback server as the outside world."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest

from linkcrawler.demo.server import Route, Server
from linkcrawler.tables import read_table
from linkcrawler.targets import PageAnswer, Target, resolve_internal, result_of, retry_after_seconds
from tests.conftest import only_run_folder, run_crawl


def self_signed_context(folder: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.3")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def once_then(first: Route, then: Route):
    answers = [first]

    def respond(method: str) -> Route:
        return answers.pop() if answers else then

    return respond


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /private\n")
    routes = {
        "/ok": Route(200, b"<title>ok</title>"),
        "/gone404": Route(404),
        "/gone410": Route(410),
        "/error500": Route(500),
        "/chain1": Route(301, headers={"Location": "/chain2"}),
        "/chain2": Route(302, headers={"Location": "/final"}),
        "/final": Route(200),
        "/loop-a": Route(301, headers={"Location": "/loop-b"}),
        "/loop-b": Route(301, headers={"Location": "/loop-a"}),
        "/nohead": lambda method: Route(405) if method == "HEAD" else Route(200),
        "/busy": once_then(Route(429, headers={"Retry-After": "1"}), Route(200)),
        "/busy-long": Route(429, headers={"Retry-After": "3600"}),
        "/slow": Route(200, delay=3),
        "/bot": Route(403, headers={"Server": "cloudflare", "cf-mitigated": "challenge"}),
        "/linkedin": Route(999),
        "/private/page": Route(200),
    }
    with Server(folder, routes, host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="module")
def tls_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    with Server(folder, {"/secure": Route(200)}, host="127.0.0.3", ssl_context=self_signed_context(folder)) as server:
        yield server


@pytest.fixture(scope="module")
def closed_port():
    with Server(Path(".")) as server:
        port = server.port
    return port


TARGETS = ["ok", "gone404", "gone410", "error500", "chain1", "loop-a", "nohead", "busy", "busy-long", "slow", "bot",
           "linkedin", "private/page", "ok?aff_id=3"]


@pytest.fixture(scope="module")
def checked(world, tls_world, closed_port, tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    outside = "".join(f'<a href="{world.url}{t}">{t}</a>\n' for t in TARGETS)
    (folder / "index.html").write_text(
        f"""<html><body>{outside}
        <a href="{tls_world.url}secure">tls</a> <a href="http://127.0.0.1:{closed_port}/">closed</a>
        <a href="/go/partner">cloaked</a> <a href="/deal">deal</a> <a href="/int-a">internal chain</a>
        <a href="/loop-x">internal loop</a> <a href="/missing">missing</a> <a href="/ok.html">fine</a>
        <a href="mailto:x@example.com">mail</a> <a href="{world.url}ok">ok again</a></body></html>""")
    (folder / "ok.html").write_text(f'<html><body><a href="{world.url}ok">ok from page 2</a></body></html>')
    routes = {
        "/go/partner": Route(302, headers={"Location": f"{world.url}chain1"}),
        "/deal": Route(302, headers={"Location": f"{world.url}ok?aff_id=9"}),
        "/int-a": Route(301, headers={"Location": "/int-b"}),
        "/int-b": Route(302, headers={"Location": "/ok.html"}),
        "/loop-x": Route(301, headers={"Location": "/loop-y"}),
        "/loop-y": Route(301, headers={"Location": "/loop-x"}),
    }
    exports = tmp_path_factory.mktemp("exports")
    with Server(folder, routes) as site:
        result = run_crawl(site.url, exports, "LINKCRAWLER_CHECK_TIMEOUT=1", "LINKCRAWLER_CHECK_RETRIES=0",
                           "RETRY_TIMES=1")
        assert result.returncode == 0, result.stderr[-3000:]
        run = only_run_folder(exports)
        targets = read_table(run, "targets").set_index("url")
        links = read_table(run, "links")
        return site, targets, links


def row(checked, url: str):
    _, targets, _ = checked
    return targets.loc[url]


def test_one_row_per_distinct_target(checked, world):
    _, targets, links = checked
    assert targets.index.is_unique
    web = links[links.kind.isin(["internal", "external", "affiliate"])]
    assert set(web.url) == set(targets.index) - {f"{world.url}chain2", f"{world.url}final"} or set(web.url) <= set(
        targets.index)
    assert "mailto:x@example.com" not in targets.index


@pytest.mark.parametrize(
    ("path", "status", "final_status", "result", "error"),
    [
        ("ok", 200, 200, "ok", ""),
        ("gone404", 404, 404, "broken", ""),
        ("gone410", 410, 410, "broken", ""),
        ("error500", 500, 500, "broken", ""),
        ("chain1", 301, 200, "redirect", ""),
        ("loop-a", 301, None, "broken", "redirect loop"),
        ("nohead", 200, 200, "ok", ""),
        ("busy", 200, 200, "ok", ""),
        ("busy-long", 429, 429, "unverified", ""),
        ("slow", None, None, "error", "timeout"),
        ("bot", 403, 403, "unverified", ""),
        ("linkedin", 999, 999, "unverified", ""),
        ("private/page", None, None, "blocked", "robots"),
    ],
)
def test_external_target_rows(checked, world, path, status, final_status, result, error):
    target = row(checked, f"{world.url}{path}")
    assert (value(target.status), value(target.final_status), target.result, target.error) == (
        status, final_status, result, error)
    assert target.kind in ("external", "affiliate")


def na(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def value(cell):
    return None if na(cell) else cell


def test_redirect_chain_lists_each_hop(checked, world):
    chain = row(checked, f"{world.url}chain1")
    assert chain.redirect_chain == f"301 {world.url}chain1 → 302 {world.url}chain2 → 200 {world.url}final"
    assert (chain.final_url, chain.redirects) == (f"{world.url}final", 2)


def test_head_refused_falls_back_to_get(checked, world):
    target = row(checked, f"{world.url}nohead")
    assert target.method == "GET" and "HEAD answered 405" in target.detail
    methods = [m for _, m, p in world.log if p == "/nohead"]
    assert methods == ["HEAD", "GET"]


def test_retry_after_is_honoured(checked, world):
    times = [t for t, _, p in world.log if p == "/busy"]
    assert len(times) == 2 and times[1] - times[0] >= 0.9
    long = row(checked, f"{world.url}busy-long")
    assert "Retry-After 3600s" in long.detail
    assert len([p for _, _, p in world.log if p == "/busy-long"]) == 1  # not hammered


def test_bot_protection_is_unverified_not_broken(checked, world):
    assert "cloudflare" in row(checked, f"{world.url}bot").detail


def test_tls_and_closed_port(checked, tls_world, closed_port):
    tls = row(checked, f"{tls_world.url}secure")
    assert (tls.result, tls.error) == ("error", "tls")
    closed = row(checked, f"http://127.0.0.1:{closed_port}/")
    assert (closed.result, closed.error) == ("broken", "refused")


def test_checked_once_and_counted(checked, world):
    ok = row(checked, f"{world.url}ok")
    assert (ok.inlinks, ok.unique_inlinks) == (3, 2)
    assert len([p for _, m, p in world.log if p == "/ok"]) == 1


def test_internal_targets_come_from_the_crawl(checked):
    site, _, _ = checked
    chain = row(checked, f"{site.url}int-a")
    assert (chain.status, chain.final_status, chain.result, chain.method) == (301, 200, "redirect", "crawl")
    assert chain.redirect_chain == f"301 {site.url}int-a → 302 {site.url}int-b → 200 {site.url}ok.html"
    loop = row(checked, f"{site.url}loop-x")
    assert (loop.result, loop.error) == ("broken", "redirect loop")
    missing = row(checked, f"{site.url}missing")
    assert (missing.status, missing.result) == (404, "broken")


def test_cloaked_links_are_affiliate_with_their_final_url(checked, world):
    site, _, links = checked
    links = links.set_index("anchor")
    cloaked = links.loc["cloaked"]
    assert (cloaked.kind, cloaked.affiliate_rule) == ("affiliate", "path:/go/")
    assert (cloaked.status, cloaked.final_url, cloaked.final_status, cloaked.result) == (
        302, f"{world.url}final", 200, "redirect")
    deal = links.loc["deal"]  # no /go/ prefix: recognised by where it lands
    assert (deal.kind, deal.affiliate_rule, deal.final_url) == ("affiliate", "redirect:param:aff_id",
                                                                f"{world.url}ok?aff_id=9")
    assert links.loc["gone404", "result"] == "broken"
    assert links.loc["internal chain", "result"] == "redirect"
    assert na(links.loc["mail", "status"]) and links.loc["mail", "result"] == ""


def test_check_settings_switch_checks_off(world, tmp_path):
    (tmp_path / "index.html").write_text(f'<a href="{world.url}ok">a</a><a href="{world.url}gone404">b</a>')
    with Server(tmp_path) as site:
        before = len(world.log)
        result = run_crawl(site.url, tmp_path / "off", "LINKCRAWLER_CHECK_EXTERNAL=False")
        assert result.returncode == 0, result.stderr[-2000:]
        assert len(world.log) == before
        targets = read_table(only_run_folder(tmp_path / "off"), "targets").set_index("url")
        assert targets.loc[f"{world.url}ok", "result"] == "skipped"
        result = run_crawl(site.url, tmp_path / "ex", "LINKCRAWLER_CHECK_EXCLUDE=gone\\d+")
        targets = read_table(only_run_folder(tmp_path / "ex"), "targets").set_index("url")
        assert targets.loc[f"{world.url}ok", "result"] == "ok"
        assert targets.loc[f"{world.url}gone404", "result"] == "skipped"
        assert "LINKCRAWLER_CHECK_EXCLUDE" in targets.loc[f"{world.url}gone404", "detail"]


def test_result_rules():
    assert result_of(200, "", external=True, redirects=0) == "ok"
    assert result_of(200, "", external=True, redirects=2) == "redirect"
    assert result_of(403, "", external=True, redirects=0) == "unverified"
    assert result_of(403, "", external=False, redirects=0) == "broken"
    assert result_of(None, "dns", external=True, redirects=0) == "broken"
    assert result_of(None, "timeout", external=True, redirects=0) == "error"
    assert result_of(None, "robots", external=True, redirects=0) == "blocked"


def test_retry_after_values():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 00:01:00 GMT", now=now) == 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_resolve_internal_through_an_external_check():
    pages = {"http://localhost/go": PageAnswer(302, "http://127.0.0.2/a", "", 1.0)}
    checks = {"http://127.0.0.2/a": Target(url="http://127.0.0.2/a", final_url="http://127.0.0.2/b",
                                           final_status=200, hops=[(301, "http://127.0.0.2/a")])}
    target = resolve_internal("http://localhost/go", pages, checks, max_redirects=10)
    assert (target.final_url, target.final_status, target.redirects, target.result) == ("http://127.0.0.2/b", 200, 2,
                                                                                       "redirect")
