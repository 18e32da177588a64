"""linkcrawler against bare Scrapy, side by side, on a generated site served by nginx on loopback.

    .venv/bin/python benchmarks/run.py                       # 3,000 pages: time ratio and peak RSS
    .venv/bin/python benchmarks/run.py --memory 5000 50000   # peak RSS of the crawl as the site grows
    .venv/bin/python benchmarks/run.py --report-rows 1000000 # the report step on a run of 1M link rows
    .venv/bin/python benchmarks/run.py --workers 2           # a shared crawl (Redis) of 2 workers vs 1 process
    .venv/bin/python benchmarks/run.py --quick               # small and fast, for CI: shows it still works

Each crawl runs as its own process, the two back to back at the same concurrency; peak RSS comes from
wait4(), nginx's CPU from /proc. Needs Debian's nginx (nginx-light); without it the site is served by
Python's http.server, which is then the bottleneck (the script says so).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from sitegen import generate  # noqa: E402


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]

NGINX_CONF = """
worker_processes 1;
user root;
daemon off;
error_log {tmp}/nginx-error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ text/html html; text/plain txt; }}
    default_type text/html;
    server {{ listen 127.0.0.1:{site_port}; root {site}; }}
    server {{ listen 127.0.0.2:{world_port}; root {world}; }}
}}
"""
CRAWL_SETTINGS = ["CONCURRENT_REQUESTS=16", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "LOG_LEVEL=INFO",
                  "TELNETCONSOLE_ENABLED=False", "AUTOTHROTTLE_ENABLED=False"]


@dataclass
class Run:
    name: str
    seconds: float
    peak_mb: float
    pages: int = 0
    links: int = 0
    server_cpu: float = 0.0
    crawl_peak_mb: float = 0.0  # the crawl process alone (the report runs in a child process)

    def line(self) -> str:
        rate = f"{self.pages / self.seconds:8.1f} pages/s" if self.pages else " " * 16
        links = f"{self.links / self.seconds:9.0f} links/s" if self.links else " " * 17
        crawl = f" (crawl process {self.crawl_peak_mb:.0f} MB)" if self.crawl_peak_mb else ""
        return (f"{self.name:<34} {self.seconds:8.1f} s {rate} {links} peak RSS {self.peak_mb:7.0f} MB{crawl}"
                f"   server CPU {self.server_cpu:5.1f} s")


class Sites:
    """The generated site and the outside world, served by nginx (or http.server without it)."""

    def __init__(self, tmp: Path, pages: int) -> None:
        self.tmp = tmp
        site_port, world_port = free_port("127.0.0.1"), free_port("127.0.0.2")
        self.total = generate(tmp, pages, f"http://127.0.0.2:{world_port}/")
        self.url = f"http://127.0.0.1:{site_port}/"
        self.procs: list[subprocess.Popen] = []
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if os.environ.get("BENCH_SERVER") == "python":  # force the fallback, to check it
            nginx = None
        if nginx:
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(tmp=tmp, site=tmp / "site", world=tmp / "world", site_port=site_port,
                                              world_port=world_port))
            self.procs.append(subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)]))
            self.server = "nginx"
        else:
            print("! nginx not found: serving with Python's http.server, which will be the bottleneck")
            for host, port, folder in (("127.0.0.1", site_port, "site"), ("127.0.0.2", world_port, "world")):
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "http.server", str(port), "-b", host, "-d", str(tmp / folder)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.server = "http.server"
        time.sleep(1.0)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server processes and their children so far."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for proc in self.procs:
            pids = [proc.pid] + _children(proc.pid)
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def close(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def measure(name: str, command: list[str], sites: Sites | None = None) -> Run:
    cpu = sites.cpu_seconds() if sites else 0.0
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed:\n{stderr[-3000:]}")
    run = Run(name, seconds, usage.ru_maxrss / 1024)
    found = re.search(r"'response_received_count': (\d+)", stderr)
    run.pages = int(found.group(1)) if found else 0
    if sites:
        run.server_cpu = sites.cpu_seconds() - cpu
    return run


def site_command(sites: Sites, exports: Path, *extra: str) -> list[str]:
    """``scrapy crawl site`` of the generated site at the benchmark's settings, plus ``extra`` settings."""
    settings = [arg for s in (*CRAWL_SETTINGS, *extra) for arg in ("-s", s)]
    return [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={sites.url}", "-s",
            f"LINKCRAWLER_EXPORT_DIR={exports}", *settings]


def crawl_pair(sites: Sites, exports: Path, with_bare: bool = True, name: str = "scrapy crawl site (all on)",
               extra: tuple[str, ...] = ()) -> tuple[Run | None, Run, Path]:
    settings = [arg for s in (*CRAWL_SETTINGS, *extra) for arg in ("-s", s)]
    bare = None
    if with_bare:
        bare = measure("bare Scrapy (LinkExtractor)", [sys.executable, "-m", "scrapy", "runspider",
                                                        str(HERE / "bare_spider.py"), "-a", f"url={sites.url}",
                                                        *settings], sites)
    ours = measure(name, site_command(sites, exports, *extra), sites)
    folder = sorted(p for p in exports.glob("*/*") if p.is_dir())[-1]
    meta = json.loads((folder / "run.json").read_text())
    ours.pages, ours.links = meta["pages"], meta["links"]
    ours.crawl_peak_mb = meta.get("peak_rss_mb", 0)
    if bare:
        bare.links = ours.links
    return bare, ours, folder


def time_ratio(pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sites = Sites(Path(tmp), pages)
        try:
            bare, ours, folder = crawl_pair(sites, Path(tmp) / "exports")
            _, crawl_only, _ = crawl_pair(sites, Path(tmp) / "crawl-only", with_bare=False,
                                          name="scrapy crawl site (no workbook)", extra=("LINKCRAWLER_REPORT=False",))
        finally:
            sites.close()
        print(f"site: {sites.total} URLs served by {sites.server}; run folder had {ours.pages} pages, "
              f"{ours.links} links")
        report = measure("  its report step alone (scrapy report)",
                         [sys.executable, "-m", "scrapy", "report", str(folder), "-s", "LINKCRAWLER_COMPARE_WITH=none"])
        print(bare.line())
        print(ours.line())
        print(crawl_only.line())
        print(report.line())
        print(f"time ratio (linkcrawler / bare Scrapy): {ours.seconds / bare.seconds:.2f} (the aim: at most 1.25)   "
              f"peak RSS ratio: {ours.peak_mb / bare.peak_mb:.2f}   "
              f"without the workbook: {crawl_only.seconds / bare.seconds:.2f}")
        print(f"report process peak RSS: {report.peak_mb:.0f} MB (the aim: at most 300 MB)")
        assert (folder / "report.xlsx").exists()


def memory(sizes: list[int]) -> None:
    peaks = []
    for pages in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            sites = Sites(Path(tmp), pages)
            try:
                _, ours, _ = crawl_pair(sites, Path(tmp) / "exports", with_bare=False)
            finally:
                sites.close()
            ours.name = f"crawl of {pages} pages"
            print(ours.line(), flush=True)
            peaks.append(ours.crawl_peak_mb)
    for pages, peak in zip(sizes[1:], peaks[1:], strict=True):
        print(f"crawl process peak RSS at {pages} pages / at {sizes[0]} pages: {peak / peaks[0]:.2f}")


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port("127.0.0.1")
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def shared_crawl(count: int, pages: int) -> None:
    """The same crawl (without the workbook, so that only crawling is compared) by one process, then by
    ``count`` workers sharing it through Redis, at the same concurrency per process."""
    with tempfile.TemporaryDirectory() as tmp:
        sites = Sites(Path(tmp), pages)
        redis, url = start_redis(Path(tmp))
        try:
            _, one, _ = crawl_pair(sites, Path(tmp) / "one", with_bare=False, name="1 process",
                                   extra=("LINKCRAWLER_REPORT=False",))
            exports = Path(tmp) / "shared"
            command = site_command(sites, exports, "LINKCRAWLER_REPORT=False", f"LINKCRAWLER_REDIS_URL={url}")
            cpu = sites.cpu_seconds()
            start = time.perf_counter()
            procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(count)]
            peaks = []
            for proc in procs:
                _, status, usage = os.wait4(proc.pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    raise SystemExit("a worker failed")
                peaks.append(usage.ru_maxrss / 1024)
            run = Run(f"{count} workers through Redis", time.perf_counter() - start, max(peaks))
            run.server_cpu = sites.cpu_seconds() - cpu
        finally:
            redis.terminate()
            sites.close()
        meta = json.loads((next(exports.glob("*/*/run.json"))).read_text())
        run.pages, run.links = meta["pages"], meta["links"]
        print(f"site: {sites.total} URLs served by {sites.server}; {os.cpu_count()} CPUs")
        print(one.line())
        print(run.line())
        print("pages per worker: " + ", ".join(str(w["pages_kept"]) for w in meta["workers"]))
        print(f"speed-up ({count} workers / 1 process): {one.seconds / run.seconds:.2f}")
        assert (run.pages, run.links) == (one.pages, one.links), "the shared crawl's tables differ"


def make_big_runs(folder: Path, rows: int, dest: Path) -> int:
    """Two run folders in ``dest``: ``big``, the crawl in ``folder`` with its links table grown to ``rows`` rows
    (pages copied with ``?copy=K``), and ``old``, the same with one more link on every 50th page (the week before).
    Tables are written as the crawl writes them: Parquet parts of LINKCRAWLER_PARQUET_PART_ROWS rows. Returns
    how many links ``big`` no longer has."""
    from linkcrawler.config import DEFAULTS
    from linkcrawler.tables import TABLES, read_table

    links = read_table(folder, "links")
    pages_frame = read_table(folder, "pages")
    copies = -(-rows // len(links))
    big_links = pd.concat([links.assign(page=links["page"] + f"?copy={k}") for k in range(copies)],
                          ignore_index=True).head(rows)
    big_pages = pd.concat([pages_frame.assign(url=pages_frame["url"] + f"?copy={k}") for k in range(copies)],
                          ignore_index=True)
    dropped = big_links.drop_duplicates("page").iloc[::50].assign(url=lambda f: f["url"] + "?removed")
    old_links = pd.concat([big_links, dropped]).sort_index(kind="stable")
    targets = read_table(folder, "targets")
    part_rows = DEFAULTS["LINKCRAWLER_PARQUET_PART_ROWS"]
    for run_folder, frames in ((dest / "big", (("links", big_links), ("pages", big_pages), ("targets", targets))),
                               (dest / "old", (("links", old_links), ("pages", big_pages), ("targets", targets)))):
        run_folder.mkdir(parents=True)
        shutil.copy(folder / "run.json", run_folder / "run.json")
        for name, frame in frames:
            (run_folder / f"{name}.parquet").mkdir()
            schema = pa.schema([(c, {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_(),
                                     "float": pa.float64()}[t]) for c, t in TABLES[name].items()])
            for i, start in enumerate(range(0, max(len(frame), 1), part_rows)):
                pq.write_table(pa.Table.from_pandas(frame.iloc[start:start + part_rows], schema=schema,
                                                    preserve_index=False),
                               run_folder / f"{name}.parquet" / f"part-{i:05d}.parquet")
    return len(dropped)


def report_step(rows: int, pages: int = 3000) -> None:
    """Crawl the generated site once, grow its links table to ``rows`` rows, and time ``scrapy report`` on it,
    alone and compared with a run before. The tables are made in a child process: a child's peak RSS (wait4)
    starts from its parent's at fork, so this process stays small."""
    with tempfile.TemporaryDirectory() as tmp:
        sites = Sites(Path(tmp), pages)
        try:
            _, ours, folder = crawl_pair(sites, Path(tmp) / "exports", with_bare=False)
        finally:
            sites.close()
        runs = Path(tmp) / "runs"
        made = subprocess.run([sys.executable, str(HERE / "run.py"), "--make-big-runs", str(folder), str(rows),
                               str(runs)], check=True, capture_output=True, text=True)
        dropped = int(made.stdout.split()[-1])
        big, old = runs / "big", runs / "old"
        run = measure(f"scrapy report ({rows:,} link rows)",
                      [sys.executable, "-m", "scrapy", "report", str(big), "-s", "LINKCRAWLER_COMPARE_WITH=none"])
        print(run.line())
        print(f"  per million link rows: {run.seconds * 1e6 / rows:.1f} s (the aim: at most 60 s), peak RSS "
              f"{run.peak_mb:.0f} MB (the aim: at most 1,536 MB)")
        shutil.copy(big / "issues.csv", old / "issues.csv")
        run = measure("  the same, compared with a run before",
                      [sys.executable, "-m", "scrapy", "report", str(big), "--compare", str(old)])
        print(run.line())
        changes = pd.read_csv(big / "changes.csv", keep_default_na=False, usecols=["change", "what"])
        removed = int(((changes["change"] == "removed") & (changes["what"] == "link")).sum())
        assert removed == dropped, f"{removed} removed links found, {dropped} removed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--memory", type=int, nargs="+", metavar="PAGES")
    parser.add_argument("--report-rows", type=int)
    parser.add_argument("--workers", type=int, help="a shared crawl of this many workers (needs redis-server)")
    parser.add_argument("--quick", action="store_true", help="200 pages and a 20,000-row report step")
    parser.add_argument("--make-big-runs", nargs=3, help=argparse.SUPPRESS)  # FOLDER ROWS DEST, for report_step
    args = parser.parse_args()
    if args.make_big_runs:
        folder, rows, dest = args.make_big_runs
        print(make_big_runs(Path(folder), int(rows), Path(dest)))
        return
    if args.quick:
        time_ratio(200)
        report_step(20_000, pages=200)
    elif args.memory:
        memory(args.memory)
    elif args.workers:
        shared_crawl(args.workers, args.pages)
    elif args.report_rows:
        report_step(args.report_rows)
    else:
        time_ratio(args.pages)


if __name__ == "__main__":
    main()
