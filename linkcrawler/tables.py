"""Tables of a run folder, written row by row as the crawl goes and read back with pandas.

CSV tables (``links.csv``) get their header when opened and are flushed after each page, so an interrupted crawl
leaves every finished page's rows readable. Parquet tables are folders of part files
(``links.parquet/part-00000.parquet``); each part is complete once written, and the last one is written when
the crawl closes.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkcrawler.items import Link, Page
from linkcrawler.targets import Target

if TYPE_CHECKING:
    import pandas as pd

# pandas and pyarrow are imported where they are used: the crawl writes CSV without them (~85 MB less RSS)


def _arrow_type(kind: str):  # noqa: ANN202 - a pyarrow DataType
    import pyarrow as pa

    return {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "float": pa.float64()}[kind]
_PANDAS = {"str": "string", "int": "Int64", "bool": "boolean", "float": "Float64"}


def _base_type(annotation: str) -> str:
    return annotation.split("|")[0].strip()


def column_types(record: type, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """Column name → ``str``/``int``/``bool``/``float`` from a record dataclass's annotations."""
    return {f.name: _base_type(str(f.type)) for f in fields(record) if f.name not in exclude}


TABLES: dict[str, dict[str, str]] = {
    "pages": column_types(Page),
    "links": column_types(Link),
    "targets": column_types(Target, exclude=("hops",)),
}


def table_path(folder: Path | str, name: str) -> Path | None:
    """The file or part folder of table ``name`` in a run folder, whichever format it was written in."""
    for suffix in (".parquet", ".csv"):
        path = Path(folder) / f"{name}{suffix}"
        if path.exists():
            return path
    return None


class TableWriter:
    """Appends rows (tuples in column order) to one table of a run folder."""

    def __init__(self, folder: Path, name: str, fmt: str = "csv", part_rows: int = 50_000,
                 append: bool = False) -> None:
        """``append``: continue the table of an interrupted crawl (JOBDIR resume) instead of starting anew."""
        self.name = name
        self.types = TABLES[name]
        self.columns = tuple(self.types)
        self.fmt = fmt
        self.rows = 0
        if fmt == "csv":
            self.path = folder / f"{name}.csv"
            if append and self.path.exists() and self.path.stat().st_size:
                _cut_partial_line(self.path)
                with open(self.path, encoding="utf-8", newline="") as existing:
                    self.rows = max(0, sum(1 for _ in csv.reader(existing)) - 1)
                self._file = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
                self._csv = csv.writer(self._file)
            else:
                self._file = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
                self._csv = csv.writer(self._file)
                self._csv.writerow(self.columns)
                self._file.flush()  # a crawl killed before its first row still leaves a readable table
        else:
            self.path = folder / f"{name}.parquet"
            self.path.mkdir(exist_ok=True)
            self._pending: list[Sequence[Any]] = []
            self._part_rows = part_rows
            parts = sorted(self.path.glob("part-*.parquet")) if append else []
            self._parts = len(parts)
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.rows = sum(pq.read_metadata(p).num_rows for p in parts)
            self.schema = pa.schema([(c, _arrow_type(t)) for c, t in self.types.items()])

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if self.fmt == "csv":
            self._csv.writerows(rows)
            self.rows += len(rows)
        else:
            self._pending.extend(rows)
            self.rows += len(rows)
            if len(self._pending) >= self._part_rows:
                self._write_part()

    def flush(self) -> None:
        if self.fmt == "csv":
            self._file.flush()

    def _write_part(self) -> None:
        if not self._pending:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = list(zip(*self._pending, strict=True))
        arrays = [pa.array(col, type=self.schema.field(i).type) for i, col in enumerate(columns)]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        tmp = self.path / f".part-{self._parts:05d}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, self.path / f"part-{self._parts:05d}.parquet")
        self._parts += 1
        self._pending = []

    def close(self) -> None:
        if self.fmt == "csv":
            self._file.close()
        else:
            self._write_part()
            if self._parts == 0:  # an empty table still has its schema
                import pyarrow.parquet as pq

                pq.write_table(self.schema.empty_table(), self.path / "part-00000.parquet")


def _cut_partial_line(path: Path) -> None:
    """Drop a last line that a killed process left without its newline."""
    with open(path, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(max(0, size - 65536))
        tail = handle.read()
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        handle.truncate(size - len(tail) + cut + 1 if cut != -1 else 0)


def read_table(folder: Path | str, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Table ``name`` of a run folder as a DataFrame with nullable dtypes (empty when it was never written)."""
    import pandas as pd

    frames = list(read_frames(folder, name, columns, rows=None))
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def read_frames(
    folder: Path | str, name: str, columns: Sequence[str] | None = None, rows: int | None = 200_000,
) -> Iterator[pd.DataFrame]:
    """Table ``name`` as DataFrames of at most ``rows`` rows (None: CSV whole, Parquet a part at a time), with
    nullable dtypes and one index numbering the table's rows; one empty frame when it was never written. Memory
    stays one frame, whatever the table size."""
    import pandas as pd
    import pyarrow.parquet as pq

    types = TABLES[name]
    path = table_path(folder, name)
    wanted = list(columns or types)
    dtypes = {c: _PANDAS[types[c]] for c in wanted}

    def typed(frame: pd.DataFrame, start: int) -> pd.DataFrame:
        # tables of runs made by older versions may lack newer columns: those come back empty
        for column in wanted:
            if column not in frame:
                frame[column] = pd.Series(pd.NA, index=frame.index, dtype=dtypes[column])
        frame = frame[wanted].astype(dtypes)
        frame.index = pd.RangeIndex(start, start + len(frame))
        return frame

    def frames() -> Iterator[pd.DataFrame]:
        if path is None:
            return
        if path.suffix == ".csv":
            if not path.stat().st_size:  # left by a crawl killed before writing its header (older versions)
                return
            text = {c for c in wanted if types[c] == "str"}
            read = pd.read_csv(path, usecols=lambda c: c in wanted, dtype=dtypes, keep_default_na=False,
                               na_values={c: [""] for c in wanted if c not in text}, chunksize=rows)
            if rows is None:
                yield read
                return
            with read as reader:
                yield from reader
            return
        for part in sorted(path.glob("part-*.parquet")):
            parquet = pq.ParquetFile(part)
            present = [c for c in wanted if c in parquet.schema_arrow.names]
            if rows is None:
                yield parquet.read(columns=present).to_pandas()
                continue
            for batch in parquet.iter_batches(batch_size=rows, columns=present):
                yield batch.to_pandas()

    start = 0
    for frame in frames():
        if len(frame):
            yield typed(frame, start)
            start += len(frame)
    if not start:
        yield typed(pd.DataFrame(), 0)


def iter_chunks(folder: Path, name: str, chunk_rows: int = 5_000) -> Iterator[dict[str, list[Any]]]:
    """Table ``name`` of a folder in chunks of column name → list of values (CSV values are strings, "" for
    empty). A CSV line that a killed process cut short has the wrong number of fields and is left out."""
    columns = tuple(TABLES[name])
    path = table_path(folder, name)
    if path is None:
        return
    if path.suffix == ".csv":
        yield from _csv_chunks(path, columns, chunk_rows)
        return
    import pyarrow.parquet as pq

    for part in sorted(path.glob("part-*.parquet")):
        table = pq.read_table(part)
        yield {c: table.column(c).to_pylist() if c in table.column_names else [None] * table.num_rows
               for c in columns}


def _csv_chunks(path: Path, columns: tuple[str, ...], chunk_rows: int) -> Iterator[dict[str, list[Any]]]:
    """A CSV table in chunks, read by pyarrow's CSV reader (ten times Python's csv module on a links table), every
    value a string as the csv module gives it; lines with the wrong number of fields are left out. Where pyarrow
    cannot read the file (a quote left open by a killed process), the csv module reads on from where it stopped."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, newline="", encoding="utf-8") as src:
        header = next(csv.reader(src), None)
    if header is None:
        return
    wanted = [c for c in columns if c in header]
    done = 0
    try:
        reader = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(block_size=4 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip"),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 include_columns=wanted))
        for batch in reader:
            for start in range(0, batch.num_rows, chunk_rows):
                part = batch.slice(start, chunk_rows)
                rows = part.num_rows
                chunk = {c: part.column(c).to_pylist() for c in wanted}
                done += rows
                yield {c: chunk[c] if c in chunk else [""] * rows for c in columns}
    except (pa.ArrowInvalid, UnicodeDecodeError):
        yield from _csv_module_chunks(path, columns, chunk_rows, skip=done)


def _csv_module_chunks(path: Path, columns: tuple[str, ...], chunk_rows: int,
                       skip: int = 0) -> Iterator[dict[str, list[Any]]]:
    """The same with Python's csv module, after the first ``skip`` whole lines."""
    with open(path, newline="", encoding="utf-8") as src:
        reader = csv.reader(src)
        header = next(reader, None)
        if header is None:
            return
        whole = (row for row in reader if len(row) == len(header))
        for _ in islice(whole, skip):
            pass
        while rows := list(islice(whole, chunk_rows)):
            chunk = dict(zip(header, map(list, zip(*rows, strict=True)), strict=True))
            yield {c: chunk.get(c, [""] * len(rows)) for c in columns}


def rewrite_table(
    folder: Path,
    name: str,
    fmt: str,
    fill: Callable[[dict[str, list[Any]]], dict[str, list[Any]]],
    chunk_rows: int = 5_000,
) -> None:
    """Stream table ``name`` through ``fill`` in chunks and replace it with the result.

    ``fill`` gets a chunk as column name → list of values (CSV values are strings, "" for empty) and returns
    the columns to replace, each a list of the chunk's length, and optionally ``_keep``: one bool a row, False
    to drop the row. Memory stays one chunk, whatever the table size.
    """
    columns = tuple(TABLES[name])
    if fmt == "csv":
        path = folder / f"{name}.csv"
        tmp = folder / f".{name}.csv.tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as dst:
            writer = csv.writer(dst)
            writer.writerow(columns)
            for chunk in iter_chunks(folder, name, chunk_rows):  # lines cut by a crash are left out
                chunk.update(fill(chunk))
                out = zip(*(chunk[c] for c in columns), strict=True)
                if "_keep" in chunk:
                    out = (row for row, keep in zip(out, chunk["_keep"], strict=True) if keep)
                writer.writerows(out)
        os.replace(tmp, path)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / f"{name}.parquet"
    tmp = folder / f".{name}.parquet.tmp"
    tmp.mkdir(exist_ok=True)
    for part in sorted(path.glob("part-*.parquet")):
        table = pq.read_table(part)
        chunk = {c: table.column(c).to_pylist() for c in columns}
        filled = fill(chunk)
        keep = filled.pop("_keep", None)
        for column, values in filled.items():
            i = table.schema.get_field_index(column)
            table = table.set_column(i, column, pa.array(values, table.schema.field(i).type))
        if keep is not None:
            table = table.filter(pa.array(keep, pa.bool_()))
        pq.write_table(table, tmp / part.name)
    shutil.rmtree(path)
    os.replace(tmp, path)


def whole_pages(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The frames of a links table cut at page boundaries: a frame's last page waits for the next frame. An empty
    table gives one empty frame."""
    import numpy as np
    import pandas as pd

    held = None
    for frame in frames:
        if held is not None:
            frame = pd.concat([held, frame])
        other = np.flatnonzero(frame["page"].ne(frame["page"].iat[-1]).to_numpy(dtype=bool, na_value=True)) if len(
            frame) else []
        cut = other[-1] + 1 if len(other) else 0
        if cut:
            yield frame.iloc[:cut]
        held = frame.iloc[cut:]
    if held is not None:
        yield held
