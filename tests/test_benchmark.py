"""The benchmark's --quick mode still runs end to end (figures are printed, never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_quick_benchmark_runs():
    result = subprocess.run([sys.executable, "benchmarks/run.py", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-2000:]
    out = result.stdout
    assert re.search(r"time ratio \(linkcrawler / bare Scrapy\): \d+\.\d\d", out), out
    assert re.search(r"bare Scrapy \(LinkExtractor\) .* [1-9]\d* ?\.\d pages/s", out), out
    assert "scrapy report (20,000 link rows)" in out
