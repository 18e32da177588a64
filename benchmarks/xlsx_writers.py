"""Write N link rows to .xlsx with XlsxWriter (constant_memory) and openpyxl (write_only), each in a fresh
process, and print wall time and peak RSS side by side: the figures behind the choice of writer.

    .venv/bin/python benchmarks/xlsx_writers.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = ["page", "url", "kind", "anchor", "position", "rel", "follow", "status", "result", "link_path"]


def rows(n: int):
    for i in range(n):
        yield (f"https://www.example.com/blog/post-{i // 100}/", f"https://www.example.com/article/{i % 5000}/",
               "internal", f"Anchor text number {i % 977}", "content", "", True, 200, "ok",
               f"/html/body/div[1]/main[1]/article[1]/p[{i % 40}]/a[1]")


def run_xlsxwriter(path: str, n: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False})
    sheet = book.add_worksheet("Links")
    sheet.write_row(0, 0, COLUMNS)
    for r, row in enumerate(rows(n), start=1):
        for c, value in enumerate(row):
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()


def run_openpyxl(path: str, n: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Links")
    sheet.append(COLUMNS)
    for row in rows(n):
        sheet.append(row)
    book.save(path)


def child(writer: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "out.xlsx")
        start = time.perf_counter()
        {"xlsxwriter": run_xlsxwriter, "openpyxl": run_openpyxl}[writer](path, n)
        seconds = time.perf_counter() - start
        size = Path(path).stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"writer": writer, "rows": n, "seconds": round(seconds, 1), "peak_mb": round(peak_mb),
                      "file_mb": round(size / 2**20, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["xlsxwriter", "openpyxl"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    results = []
    for writer in ("xlsxwriter", "openpyxl"):
        out = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--child", writer],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout))
        print(out.stdout.strip(), flush=True)
    base = results[0]
    for r in results[1:]:
        print(f"{r['writer']} / {base['writer']}: time x{r['seconds'] / base['seconds']:.2f}, "
              f"peak RSS x{r['peak_mb'] / base['peak_mb']:.2f}")


if __name__ == "__main__":
    main()
