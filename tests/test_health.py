"""Site-health runs you can trust from cron, and a command line that explains itself: run status (ok, partial,
failed) and exit status, the baseline of comparisons and pruning, nofollow links checked and not crawled,
canonical duplicates, settings parsing, help and usage errors, the console story and the ``linkcrawler``
command."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from scrapy.settings import Settings

from linkcrawler.config import Config, parse_list, project_folder
from linkcrawler.demo.__main__ import demo_site
from linkcrawler.demo.server import Route, Server
from linkcrawler.extensions import Progress
from linkcrawler.health import PageFact, failure, run_status, settings_differences
from linkcrawler.history import run_line, when
from linkcrawler.runfolder import baseline_run, prune, read_meta, write_meta
from linkcrawler.tables import read_table
from tests.conftest import CRAWL_ENV, ROOT, crawl_command, on_a_terminal, run_crawl

LINKCRAWLER = Path(sys.executable).parent / "linkcrawler"  # the console script `make setup` installs


def html(body: str, canonical: str = "") -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"<html><head><title>t</title>{link}</head><body><main><p>{body}</p></main></body></html>"


def runs(exports: Path) -> list[Path]:
    return sorted(p for p in exports.glob("*/*") if p.is_dir())


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- run status ------------------------------------------------------------------------------------------------

START = "http://localhost/"
FINISHED = {"start_url": START, "finish_reason": "finished", "pages": 20, "failed_pages": 0, "settings": {}}


@pytest.mark.parametrize(("meta", "pages", "expected"), [
    ({}, {START: PageFact(200, content_type="text/html")}, ("ok", "the crawl went through the site: 20 pages")),
    ({}, {START: PageFact(None, "refused")}, ("failed", "the site could not be reached: connection refused")),
    ({}, {START: PageFact(None, "dns")}, ("failed", "the site could not be reached: the host name does not resolve "
                                                    "(DNS)")),
    ({}, {START: PageFact(None, "tls")}, ("failed", "the site could not be reached: TLS/certificate error")),
    ({}, {START: PageFact(404)}, ("failed", "the start URL answered 404")),
    ({}, {START: PageFact(503)}, ("failed", "the start URL answered 503")),
    ({}, {START: PageFact(200, content_type="application/pdf")},
     ("failed", "the start URL is not an HTML page (application/pdf)")),
    ({}, {START: PageFact(301, redirect_target="https://127.0.0.2/")},
     ("failed", "the start URL redirects off the site, to https://127.0.0.2/")),
    ({}, {START: PageFact(301, redirect_target="http://localhost/a"),
          "http://localhost/a": PageFact(302, redirect_target=START)},
     ("failed", f"the start URL redirects in a loop ({START})")),
    ({}, {START: PageFact(301, redirect_target="http://www.localhost/"), "http://www.localhost/": PageFact(200)},
     ("ok", "the crawl went through the site: 20 pages")),
    ({"finish_reason": "start_error", "pages": 0}, {}, ("failed", "the crawl could not start (the log says why)")),
    ({"finish_reason": "shutdown"}, {START: PageFact(200)},
     ("partial", "the crawl was stopped before the end (Ctrl-C or a signal), after 20 pages")),
    ({"finish_reason": "closespider_pagecount"}, {START: PageFact(200)},
     ("partial", "the crawl was cut by CLOSESPIDER_PAGECOUNT after 20 pages")),
    ({"settings": {"LINKCRAWLER_MAX_PAGES": "20"}}, {START: PageFact(200)},
     ("partial", "the crawl stopped at LINKCRAWLER_MAX_PAGES (20 pages)")),
    ({"failed_pages": 3, "failures": {"timeout": 2, "503": 1}}, {START: PageFact(200)},
     ("partial", "3 of 20 pages failed (timeout: 2, 503: 1), more than LINKCRAWLER_MAX_FAILED_SHARE (10%)")),
    ({"failed_pages": 2, "failures": {"timeout": 2}}, {START: PageFact(200)},  # 10% is not more than 10%
     ("ok", "the crawl went through the site: 20 pages")),
    ({"failed_pages": 2, "settings": {"LINKCRAWLER_MAX_FAILED_SHARE": "0.05"}}, {START: PageFact(200)},
     ("partial", "2 of 20 pages failed, more than LINKCRAWLER_MAX_FAILED_SHARE (5%)")),
    ({}, {START: PageFact(301, redirect_target="http://localhost/robots-disallowed")},
     ("failed", "the start URL redirects to http://localhost/robots-disallowed, which was not crawled")),
])
def test_run_status(meta, pages, expected):
    assert run_status({**FINISHED, **meta}, pages) == expected


def test_what_counts_as_a_failed_page():
    assert [failure(None, "timeout"), failure(None, "refused"), failure(503, ""), failure(429, "")] == [
        "timeout", "refused", "503", "429"]
    # answers about the page itself are findings, not failures of the crawl
    assert [failure(500, ""), failure(404, ""), failure(200, "parse error: x"), failure(None, "size limit")] == [
        ""] * 4


def test_summary_first_line():
    pages = pd.DataFrame({"url": [START], "status": pd.array([None], dtype="Int64"), "error": ["timeout"],
                          "redirect_target": [""]})
    recorded = {**FINISHED, "finished_at": "x", "status": "failed", "status_reason": "the site could not be reached"}
    assert run_line(recorded, pages) == "Run failed: the site could not be reached."
    # a run of an older version has no status: it is worked out from the pages
    assert run_line({**FINISHED, "finished_at": "x"}, pages) == (
        "Run failed: the site could not be reached: no answer in time (timeout).")
    assert run_line({"start_url": START}, pages).startswith("Run unfinished: the crawl has not finished")


def test_settings_differences():
    old = {"settings": {"LINKCRAWLER_MAX_LINKS": 100, "LINKCRAWLER_CHECK_EXCLUDE": ["a", "b"],
                        "LINKCRAWLER_EXPORT_DIR": "exports", "LINKCRAWLER_FOLLOW_NOFOLLOW": True}}
    same = {"settings": {"LINKCRAWLER_MAX_LINKS": "100", "LINKCRAWLER_CHECK_EXCLUDE": '["a", "b"]',
                         "LINKCRAWLER_EXPORT_DIR": "/elsewhere", "LINKCRAWLER_FOLLOW_NOFOLLOW": "True"}}
    assert settings_differences(old, same) == []  # compared as parsed; where the runs are stored does not matter
    other = {"settings": {"LINKCRAWLER_MAX_LINKS": "150", "LINKCRAWLER_CHECK_EXCLUDE": "a",
                          "LINKCRAWLER_MAX_CLICK_DEPTH": 5}}
    assert settings_differences(old, other) == [
        "LINKCRAWLER_CHECK_EXCLUDE: [a, b] → [a]",
        "LINKCRAWLER_FOLLOW_NOFOLLOW: True → False",  # not recorded: the default
        "LINKCRAWLER_MAX_CLICK_DEPTH: 3 → 5",
        "LINKCRAWLER_MAX_LINKS: 100 → 150",
    ]


# --- which run is compared with, which runs are pruned ----------------------------------------------------------

def fake_run(site: Path, name: str, **meta: object) -> Path:
    folder = site / name
    folder.mkdir(parents=True)
    write_meta(folder, {"start_url": "http://localhost/", **meta})
    return folder


def test_baseline_is_the_last_good_run(tmp_path):
    site = tmp_path / "s"
    done = {"finished_at": "x", "finish_reason": "finished"}
    ok = fake_run(site, "20260101T000000Z", **done, status="ok")
    partial = fake_run(site, "20260102T000000Z", **done, status="partial")
    fake_run(site, "20260103T000000Z", **done, status="failed")
    fake_run(site, "20260104T000000Z")  # still running, or killed
    fake_run(site, "20260105T000000Z", **done, status="partial", resumable=True)  # stopped with a JOBDIR
    assert baseline_run(site) == ok
    assert baseline_run(site, before="20260101T000000Z") is None
    ok.joinpath("run.json").unlink()
    assert baseline_run(site) == partial  # no ok run: the newest partial one
    legacy = fake_run(site, "20260106T000000Z", **done)  # an older version's run: no status
    assert baseline_run(site) == legacy


def test_pruning_keeps_unfinished_runs_and_the_newest_good_run(tmp_path):
    site = tmp_path / "s"
    done = {"finished_at": "x", "finish_reason": "finished"}
    oldest = fake_run(site, "20260101T000000Z", **done, status="ok")
    good = fake_run(site, "20260102T000000Z", **done, status="ok")
    running = fake_run(site, "20260103T000000Z")
    failed = fake_run(site, "20260104T000000Z", **done, status="failed")
    assert prune(site, 1) == [oldest]
    assert sorted(p.name for p in site.iterdir()) == [good.name, running.name, failed.name]
    assert prune(site, 1) == []


# --- settings --------------------------------------------------------------------------------------------------

def test_list_settings_json_or_commas():
    name = "LINKCRAWLER_CHECK_EXCLUDE"
    assert parse_list(name, r'["amzn\\.to", "gone\\d{1,3}"]') == (r"amzn\.to", r"gone\d{1,3}")
    assert parse_list(name, r'["amzn\.to","amazon\.com"]') == (r"amzn\.to", r"amazon\.com")  # lone backslashes
    assert parse_list(name, r"amzn\.to, amazon\.com") == (r"amzn\.to", r"amazon\.com")  # the old comma form
    assert parse_list("LINKCRAWLER_GENERIC_ANCHORS", "click here,read more") == ("click here", "read more")
    assert parse_list(name, ["a", " b "]) == ("a", "b")
    for value, message in [
        (r"gone\d{1,3}", "has commas and brackets; write it as a JSON list"),
        ('["x"', "not valid JSON"),
        (r'["\bword"]', "holds a control character"),
        ('["(x"]', "is not a regular expression"),
        ('[1, 2]', "expected a JSON list of strings"),
    ]:
        with pytest.raises(ValueError, match=r"^LINKCRAWLER_CHECK_EXCLUDE: .*" + message.replace("(", r"\(")):
            parse_list(name, value)


@pytest.mark.parametrize(("settings", "message"), [
    ({"LINKCRAWLER_MAX_LINK": "5"}, "LINKCRAWLER_MAX_LINK: no such setting (did you mean LINKCRAWLER_MAX_LINKS?)"),
    ({"LINKCRAWLER_MAX_LINKS": "many"}, "LINKCRAWLER_MAX_LINKS: a whole number, not 'many'"),
    ({"LINKCRAWLER_REPORT": "maybe"}, "LINKCRAWLER_REPORT: true or false, not 'maybe'"),
    ({"LINKCRAWLER_MAX_FAILED_SHARE": "2"}, "LINKCRAWLER_MAX_FAILED_SHARE: a share from 0 to 1, not 2.0"),
    ({"LINKCRAWLER_POSITION_RULES": "[1]"}, "LINKCRAWLER_POSITION_RULES: expected a JSON object"),
])
def test_malformed_settings_name_the_setting(settings, message):
    with pytest.raises(ValueError) as raised:
        Config.from_settings(Settings(settings))
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_export_dir_is_resolved_against_the_project_folder(tmp_path):
    assert project_folder() == ROOT
    assert Config.from_settings(Settings({})).export_dir == str(ROOT / "exports")
    assert Config.from_settings(Settings({"LINKCRAWLER_EXPORT_DIR": str(tmp_path)})).export_dir == str(tmp_path)


def test_defaults_are_visible_to_scrapy_settings(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scrapy", "settings", "--get", "LINKCRAWLER_MAX_LINKS"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "100"


# --- usage errors and help -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("arguments", "message"), [
    (["-a", "url=127.0.0.1:8801"],
     "error: the start URL '127.0.0.1:8801' has no scheme: write http://127.0.0.1:8801 or https://127.0.0.1:8801"),
    (["-a", "url=http://127.0.0.1:8801/", "-s", "LINKCRAWLER_MAX_LINK=5"],
     "error: LINKCRAWLER_MAX_LINK: no such setting (did you mean LINKCRAWLER_MAX_LINKS?); the README lists every "
     "LINKCRAWLER_* setting"),
    (["-a", "url=http://127.0.0.1:8801/", "-s", "linkcrawler_max_pages=5"],  # lower case is a typo too
     "error: linkcrawler_max_pages: no such setting (did you mean LINKCRAWLER_MAX_PAGES?); the README lists every "
     "LINKCRAWLER_* setting"),
    (["-a", "url=http://127.0.0.1:8801/", "-s", r"LINKCRAWLER_CHECK_EXCLUDE=gone\d{1,3}"],
     r"error: LINKCRAWLER_CHECK_EXCLUDE: 'gone\\d{1,3}' has commas and brackets; write it as a JSON list: "
     """'["first", "second"]'"""),
])
def test_usage_errors_are_one_line(tmp_path, arguments, message):
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-s", f"LINKCRAWLER_EXPORT_DIR={tmp_path}",
               *arguments]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=CRAWL_ENV)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")
    assert not any(tmp_path.iterdir())  # no run folder: nothing was crawled


@pytest.mark.parametrize(("arguments", "message"), [
    (["crawl", "http://127.0.0.1:8801/", "http://127.0.0.1:8802/"],
     "error: one site at a time ('http://127.0.0.1:8802/' is a second URL): linkcrawler crawl "
     "https://www.example.com/ [-s NAME=VALUE ...]"),
    (["crawl", "ftp://127.0.0.1:8801/"],
     "error: not an http(s) URL with a host: 'ftp://127.0.0.1:8801/' (linkcrawler crawl https://www.example.com/)"),
    (["report", "exports/nowhere/20260101T000000Z"], "error: not a run folder: exports/nowhere/20260101T000000Z"),
    (["compare", "exports/a"], "error: give two run folders: scrapy compare OLD NEW"),
])
def test_linkcrawler_usage_errors_are_one_line(tmp_path, arguments, message):
    result = subprocess.run([str(LINKCRAWLER), *arguments], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env=CRAWL_ENV)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


def test_crawl_help_lists_the_url_and_main_settings():
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "site", "-h"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0
    assert "-a url=URL   the start URL, with its scheme" in result.stdout
    for line in ("LINKCRAWLER_MAX_PAGES=1000000", "LINKCRAWLER_FOLLOW_NOFOLLOW=False", "Exit status: 0 ok or partial"):
        assert line in result.stdout


# --- site down, then up again ----------------------------------------------------------------------------------

def test_site_down_is_a_failed_run_and_never_the_baseline(tmp_path):
    folder, exports = tmp_path / "site", tmp_path / "exports"
    folder.mkdir()
    (folder / "index.html").write_text(html('<a href="/a.html">a</a> <a href="/b.html">b</a>'))
    (folder / "a.html").write_text(html('<a href="/missing.html">broken</a>'))
    (folder / "b.html").write_text(html("b"))
    cron = ("LINKCRAWLER_FAIL_ON_NEW_ERRORS=True", "LINKCRAWLER_KEEP_RUNS=1")
    with Server(folder) as server:
        url, port = server.url, server.port
        first = run_crawl(url, exports, *cron)
    assert first.returncode == 0, first.stderr[-2000:]
    [good] = runs(exports)
    good_started = read_meta(good)["started_at"]

    down = run_crawl(url, exports, *cron)  # nobody listens on the port now
    assert down.returncode == 2, down.stderr[-2000:]
    assert down.stdout.rstrip().endswith(
        "Exit status 2: the run failed: the site could not be reached: connection refused")
    failed = runs(exports)[-1]
    assert read_meta(failed)["status"] == "failed"
    summary = (failed / "summary.md").read_text()
    assert summary.startswith("Run failed: the site could not be reached: connection refused.\n")
    assert "Compared with" not in summary and not (failed / "changes.csv").exists()
    assert good.exists()  # LINKCRAWLER_KEEP_RUNS=1 keeps the newest good run

    # a crawl of the site still running (or killed) meanwhile: neither compared with nor pruned
    running = good.parent / (good.name + "-9")
    running.mkdir()
    write_meta(running, {"start_url": url, "started_at": "2026-01-01T00:00:00"})

    with Server(folder, port=port):
        again = run_crawl(url, exports, *cron)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    latest = runs(exports)[-1]
    summary = (latest / "summary.md").read_text()
    assert summary.startswith("Run ok: the crawl went through the site: 4 pages.\n")
    assert (f"Compared with the run of {when(good_started)}: 0 new findings, 0 fixed, 0 pages added, "
            "0 pages removed, 0 links added, 0 links removed.") in summary
    assert not failed.exists() and running.exists()  # pruned: the failed run and the old good one, not the running
    assert runs(exports) == [running, latest]


# --- nofollow links: checked, not crawled; canonical duplicates --------------------------------------------------

@pytest.fixture(scope="module")
def blog(outside, tmp_path_factory):
    """Three posts with comment reply links (nofollow, to ``?replytocom=N``, which declare the post canonical)
    and a nofollow affiliate redirect under /go/."""
    folder = tmp_path_factory.mktemp("blog")
    with Server(folder, {"/go/x": Route(302, headers={"Location": f"{outside.url}landing"})}) as server:
        posts = [f"post{i}.html" for i in range(3)]
        (folder / "index.html").write_text(html(" ".join(f'<a href="/{p}">{p}</a>' for p in posts)))
        for i, post in enumerate(posts):
            replies = " ".join(f'<a rel="nofollow" class="comment-reply-link" href="/{post}?replytocom={i * 10 + n}">'
                               f"Reply</a>" for n in range(2))
            body = f'<a href="/">home</a> <a href="/go/x" rel="nofollow sponsored">deal</a> {replies}'
            (folder / post).write_text(html(body, canonical=f"{server.url}{post}"))
        yield server


def test_nofollow_links_are_checked_not_crawled(blog, outside, tmp_path):
    result = run_crawl(blog.url, tmp_path, "LINKCRAWLER_SITEMAPS=False")
    assert result.returncode == 0, result.stderr[-2000:]
    [folder] = runs(tmp_path)
    pages = read_table(folder, "pages")
    assert sorted(pages.url) == [blog.url] + [f"{blog.url}post{i}.html" for i in range(3)]  # no reply URLs
    assert (pages.canonical_of == "").all()  # each post is its own canonical
    targets = read_table(folder, "targets").set_index("url")
    go = targets.loc[f"{blog.url}go/x"]
    assert (go.kind, go.status, go.final_url, go.final_status, go.result, go.method, go.unique_inlinks) == (
        "affiliate", 302, f"{outside.url}landing", 200, "redirect", "HEAD", 3)
    reply = targets.loc[f"{blog.url}post1.html?replytocom=11"]
    assert (reply.kind, reply.status, reply.result, reply.method) == ("internal", 200, "ok", "HEAD")
    links = read_table(folder, "links")
    assert set(links[links.url.str.contains("replytocom")].result) == {"ok"}


def test_nofollow_links_crawled_when_asked_and_canonical_duplicates_marked(blog, tmp_path):
    result = run_crawl(blog.url, tmp_path, "LINKCRAWLER_SITEMAPS=False", "LINKCRAWLER_FOLLOW_NOFOLLOW=True")
    assert result.returncode == 0, result.stderr[-2000:]
    [folder] = runs(tmp_path)
    pages = read_table(folder, "pages").set_index("url")
    assert len(pages) == 1 + 3 + 6 + 1  # home, posts, reply URLs, and /go/x as a (redirect) page
    duplicates = pages[pages.canonical_of != ""]
    assert sorted(duplicates.index) == sorted(f"{blog.url}post{i}.html?replytocom={i * 10 + n}"
                                              for i in range(3) for n in range(2))
    assert (duplicates.canonical_of == duplicates.index.str.replace(r"\?.*", "", regex=True)).all()


def test_max_pages_makes_a_partial_run(blog, tmp_path):
    result = run_crawl(blog.url, tmp_path, "LINKCRAWLER_SITEMAPS=False", "LINKCRAWLER_MAX_PAGES=2")
    assert result.returncode == 0, result.stderr[-2000:]
    meta = read_meta(runs(tmp_path)[0])
    assert (meta["status"], meta["status_reason"]) == (
        "partial", "the crawl stopped at LINKCRAWLER_MAX_PAGES (2 pages)")
    assert "Run partial: the crawl stopped at LINKCRAWLER_MAX_PAGES (2 pages)." in result.stdout


def test_json_list_settings_with_a_regex_with_a_comma(outside, tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text(html(" ".join(
        f'<a href="{outside.url}{path}">{path}</a>' for path in ("gone123", "page", "amzn.to/x"))))
    with Server(folder) as server:
        result = run_crawl(server.url, tmp_path / "exports", r'LINKCRAWLER_CHECK_EXCLUDE=["gone\d{1,3}", "amzn\.to"]')
    assert result.returncode == 0, result.stderr[-2000:]
    targets = read_table(runs(tmp_path / "exports")[0], "targets").set_index("url")
    assert targets.loc[f"{outside.url}gone123", "detail"] == r"LINKCRAWLER_CHECK_EXCLUDE: gone\d{1,3}"
    assert targets.loc[f"{outside.url}amzn.to/x", "detail"] == r"LINKCRAWLER_CHECK_EXCLUDE: amzn\.to"
    assert targets.loc[f"{outside.url}page", "result"] == "ok"


# --- the linkcrawler command, comparisons ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_sites_runs(tmp_path_factory):
    """Two runs of one site, one by `scrapy crawl` in the project folder and one by `linkcrawler crawl` from
    another folder, with the same relative LINKCRAWLER_EXPORT_DIR; and a run of another site."""
    base = tmp_path_factory.mktemp("anywhere")
    folder, elsewhere, exports = base / "site", base / "elsewhere", base / "exports"
    for path in (folder, elsewhere):
        path.mkdir()
    (folder / "index.html").write_text(html('<a href="/a.html">a</a>'))
    (folder / "a.html").write_text(html("a"))
    relative = os.path.relpath(exports, ROOT)  # resolved against the project folder, wherever the command runs
    with Server(folder) as server, Server(folder) as other:
        first = subprocess.run(crawl_command(server.url, Path(relative)), cwd=ROOT, capture_output=True, text=True,
                               timeout=300, env=CRAWL_ENV)
        (folder / "a.html").write_text(html('<a href="/gone.html">gone</a>'))
        second = subprocess.run([str(LINKCRAWLER), "crawl", server.url, "-s", f"LINKCRAWLER_EXPORT_DIR={relative}",
                                 "-s", "LINKCRAWLER_MAX_LINKS=0"], cwd=elsewhere, capture_output=True, text=True,
                                timeout=300, env=CRAWL_ENV)
        third = run_crawl(other.url, exports)
    for result in (first, second, third):
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert list(elsewhere.iterdir()) == []
    return SimpleNamespace(exports=exports, elsewhere=elsewhere, second=second, site=server.url,
                           runs=sorted(exports.glob(f"127.0.0.1_{server.port}/*")),
                           other=next(exports.glob(f"127.0.0.1_{other.port}/*")))


def test_linkcrawler_command_from_another_folder_keeps_one_history(two_sites_runs):
    old, new = two_sites_runs.runs
    assert two_sites_runs.second.stdout.startswith(f"Crawling {two_sites_runs.site} into {new}\n")
    summary = (new / "summary.md").read_text()
    assert (f"Compared with the run of {when(read_meta(old)['started_at'])}: 3 new findings, 2 fixed, 1 page added, "
            "0 pages removed, 1 link added, 0 links removed.") in summary
    # the thresholds that differ are said, in the summary and as rows of the changes
    assert "Settings differ from that run: LINKCRAWLER_MAX_LINKS: 100 → 0." in summary
    changes = pd.read_csv(new / "changes.csv", keep_default_na=False)
    assert changes[changes.change == "changed"][["what", "detail"]].values.tolist() == [
        ["setting", "LINKCRAWLER_MAX_LINKS: 100 → 0"]]


def test_compare_takes_the_runs_in_the_order_they_were_made(two_sites_runs):
    old, new = two_sites_runs.runs
    before = (old / "summary.md").read_bytes(), (old / "report.xlsx").read_bytes()
    result = subprocess.run([str(LINKCRAWLER), "compare", str(new), str(old)], cwd=two_sites_runs.elsewhere,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"{old} is the older run: comparing {new} with it\n")
    # rebuilt with the project's thresholds (LINKCRAWLER_MAX_LINKS 100, as the older run's): no "too many links"
    assert f"Compared with the run of {when(read_meta(old)['started_at'])}: 1 new finding, 2 fixed" in result.stdout
    assert "Settings differ" not in result.stdout
    assert ((old / "summary.md").read_bytes(), (old / "report.xlsx").read_bytes()) == before


def test_compare_refuses_runs_of_different_sites(two_sites_runs):
    old, _ = two_sites_runs.runs
    result = subprocess.run([str(LINKCRAWLER), "compare", str(old), str(two_sites_runs.other)],
                            cwd=two_sites_runs.elsewhere, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot compare: ") and "are runs of different sites" in result.stderr
    assert result.stderr.count("\n") == 1  # one line: no usage block, no traceback


def test_report_with_other_thresholds_keeps_what_the_next_crawl_compares_with(two_sites_runs):
    _, new = two_sites_runs.runs
    crawl_issues = (new / "issues.csv").read_bytes()
    # a run folder under the export root, named as the README does (exports/<host>/<run>), from another folder
    relative = os.path.relpath(new, ROOT)
    assert not (two_sites_runs.elsewhere / relative).exists()
    result = subprocess.run([str(LINKCRAWLER), "report", relative, "-s", "LINKCRAWLER_MAX_LINKS=100"],
                            cwd=two_sites_runs.elsewhere, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (new / "issues.csv").read_bytes() == crawl_issues  # the crawl's findings, with LINKCRAWLER_MAX_LINKS=0
    assert "too many links" in crawl_issues.decode()
    assert "too many links" not in (new / "report-issues.csv").read_text()


# --- the console ----------------------------------------------------------------------------------------------

def test_console_story_of_a_default_run_is_short(tmp_path):
    with demo_site(port=0) as site:
        result = subprocess.run([str(LINKCRAWLER), "crawl", site.url, "-s", f"LINKCRAWLER_EXPORT_DIR={tmp_path}",
                                 "--logfile", str(tmp_path / "crawl.log")], cwd=tmp_path, capture_output=True,
                                text=True, timeout=300, env=CRAWL_ENV)
    assert result.returncode == 0, result.stderr[-2000:]
    [folder] = runs(tmp_path)
    output = lines(result.stdout + result.stderr)
    assert len(output) < 30, output
    assert output[0] == f"Crawling {site.url} into {folder}"
    assert output[1] == "Run ok: the crawl went through the site: 10 pages."
    assert output[-2:] == [f"Run folder: {folder}", "Exit status 0: the run is ok"]
    assert result.stderr == ""  # no banner, no stats: those are in the log file
    log = (tmp_path / "crawl.log").read_text()
    assert "Scrapy 2." in log and "Dumping Scrapy stats" in log
    targets = len(read_table(folder, "targets"))
    assert read_meta(folder)["targets"] == targets and f"'linkcrawler/targets': {targets}," in log


def test_progress_line_is_cleared_before_a_log_line():
    stats = SimpleNamespace(get_value=lambda name, default=0: 7)
    stream = io.StringIO()
    progress = Progress(SimpleNamespace(stats=stats, engine=None), stream)
    handler = logging.StreamHandler(stream)
    handler.addFilter(progress.clear)
    log = logging.getLogger("tests.progress")
    log.addHandler(handler)
    log.propagate = False
    try:
        progress.draw()
        log.warning("a warning")
        log.warning("another")
    finally:
        log.removeHandler(handler)
    shown = [line.split("\r")[-1] for line in stream.getvalue().split("\n")]  # what the terminal keeps
    assert shown[:2] == ["\x1b[2Ka warning", "another"]
    assert "pages/s" in stream.getvalue()


def test_progress_line_and_log_lines_on_a_terminal(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    routes = {"/": Route(200, "".join(f'<a href="/p{i}">p{i}</a>' for i in range(30)).encode())}
    routes.update({f"/p{i}": Route(200, b"<title>p</title>", delay=0.1) for i in range(30)})
    with Server(folder, routes) as server:
        text = on_a_terminal(crawl_command(server.url, tmp_path / "exports", "LINKCRAWLER_REPORT=False",
                                           "CONCURRENT_REQUESTS=1", "LOG_LEVEL=DEBUG"))
    assert "pages/s" in text and "DEBUG: Crawled (200)" in text
    # what the terminal shows of each line: the text after its last carriage return (the terminal's own line
    # ends are \r\n)
    shown = [line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n")]
    assert sum("pages/s" in line for line in shown) >= 1
    mixed = [line for line in shown if "pages/s" in line and "DEBUG" in line]
    assert mixed == []
    assert len(shown) > 30  # many log lines went by while the progress line was drawn
