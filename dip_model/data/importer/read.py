"""Readers for real exports (importer): CSV in UTF-8 / UTF-8 with BOM / GB18030, XLSX (and XLS) and
Parquet, recognised by content and read in chunks of text columns.

`open_source(path)` returns a Source; `Source.chunks(rows)` yields Chunk objects holding Arrow text
columns keyed by the source header, the file row number of every row (Excel's numbering: the first
line of the file is row 1) and the malformed lines the CSV parser could not split, which the importer
reports as rejected rows. Nothing here knows the data contract.
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ...errors import DipError
from ...messages import Message
from ..cells import cell_text

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

SNIFF_BYTES = 1 << 20          # bytes read to detect the encoding and the header line
HEADER_SCAN = 20               # lines / rows searched for the header
CSV_BLOCK = 8 << 20            # bytes read per CSV chunk
ARROW_BLOCK = 1 << 20          # bytes Arrow parses per thread


class ReadError(DipError):
    """A source file that cannot be read (names the file and, where known, the row)."""


@dataclass
class BadLine:
    """A CSV line the parser could not split into the header's columns."""

    row: int
    text: str
    fields: int


@dataclass
class Chunk:
    columns: dict[str, pa.Array]            # source header -> text (string) array
    rows: np.ndarray                        # file row number of each row (int64)
    bad_lines: list[BadLine] = field(default_factory=list)
    done: float = 0.0                       # share of the file read so far (0..1)

    @property
    def n(self) -> int:
        return len(self.rows)


@dataclass
class Source:
    path: Path
    kind: str                               # csv | excel | parquet
    encoding: str | None                    # csv only: utf-8 | utf-8-sig | gb18030
    header: list[str]                       # column names (duplicates made unique)
    header_row: int                         # file row of the header (1-based; parquet: 1)
    size: int
    sheet: CalamineSheet | None = field(default=None, repr=False)   # excel: the parsed first sheet (parsed once)

    @property
    def name(self) -> str:
        return self.path.name

    def chunks(self, rows: int = 200_000) -> Iterator[Chunk]:
        if self.kind == "csv":
            return _csv_chunks(self)
        if self.kind == "parquet":
            return _parquet_chunks(self, rows)
        return _excel_chunks(self, rows)

    def preview(self, rows: int = 200) -> pd.DataFrame:
        """The first rows as text (str columns), for the mapping screen."""
        for chunk in self.chunks(rows):
            cols = {c: a.slice(0, rows).to_pandas() for c, a in chunk.columns.items()}
            return pd.DataFrame(cols)
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in self.header})


# ------------------------------------------------------------------ detection
def open_source(path, score=None) -> Source:
    """Recognise a file by its first bytes (not its extension) and find its header line.

    `score(names)` rates a candidate header (e.g. how many names a mapping recognises); the best
    of the first rows is taken, so a title line above the header is skipped."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(Message("read_not_found", file=path.name))
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    score = score or (lambda names: 0)
    if not head.strip():
        raise ReadError(Message("read_empty", file=path.name))
    kind = sniff(head)
    if kind == "parquet":
        try:
            names = pq.ParquetFile(path).schema_arrow.names
        except Exception as exc:        # a truncated or corrupt file
            raise ReadError(Message("read_parquet", file=path.name, reason=str(exc))) from None
        return Source(path, "parquet", None, _unique(names), 1, path.stat().st_size)
    if kind == "excel":
        return _open_excel(path, score)
    return _open_csv(path, head, score)


def sniff(head: bytes) -> str:
    """parquet | excel (xlsx: a zip; xls: an OLE file) | csv (anything else: text, checked later)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    return "csv"


def _unique(names) -> list[str]:
    """Header names stripped; a blank one named by position, a repeated one suffixed (2), (3)…"""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        n = str(n).strip() if n is not None else ""
        n = n or f"column {i + 1}"
        k = seen.get(n, 0) + 1
        seen[n] = k
        out.append(n if k == 1 else f"{n} ({k})")
    return out


def detect_encoding(head: bytes) -> str:
    """utf-8-sig (BOM), utf-8, or gb18030 (what Excel on Chinese Windows saves); ReadError if none."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    raise ReadError(Message("read_encoding"))


def _open_csv(path: Path, head: bytes, score) -> Source:
    try:
        enc = detect_encoding(head)
    except ReadError as err:
        raise ReadError(Message("read_in_file", file=path.name, reason=err)) from None
    text = codecs.getincrementaldecoder(enc)(errors="replace").decode(head, final=False)
    lines = list(csv.reader(io.StringIO(text)))[:HEADER_SCAN]
    lines = [ln for ln in lines]
    if not lines:
        raise ReadError(Message("read_no_header", file=path.name))
    # the header: the best-scoring of the first lines, else the first line with the most fields
    best = max(range(len(lines)), key=lambda i: (score(lines[i]), len([c for c in lines[i] if c.strip()]), -i))
    # csv.reader's index counts records, as Arrow's row numbers do (a quoted line break stays in its record)
    return Source(path, "csv", enc, _unique(lines[best]), best + 1, path.stat().st_size)


def _open_excel(path: Path, score) -> Source:
    from python_calamine import CalamineWorkbook
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        first = sheet.to_python(nrows=HEADER_SCAN)
    except Exception as exc:            # a corrupt workbook raises calamine's own errors
        raise ReadError(Message("read_workbook", file=path.name, reason=str(exc))) from None
    if not first:
        raise ReadError(Message("read_sheet_empty", file=path.name))
    texts = [[_cell(v) or "" for v in r] for r in first]
    best = max(range(len(texts)), key=lambda i: (score(texts[i]), len([c for c in texts[i] if c]), -i))
    assert sheet.start is not None      # only an empty sheet has no start, and this one has rows
    return Source(path, "excel", None, _unique(texts[best]), sheet.start[0] + best + 1, path.stat().st_size, sheet)


# ------------------------------------------------------------------ CSV
def _csv_chunks(src: Source) -> Iterator[Chunk]:
    """The file read in blocks of whole records, each parsed by Arrow in this thread (no file object
    is handed to Arrow, so nothing reads on after the caller stops)."""
    names = src.header
    parse = pacsv.ParseOptions(ignore_empty_lines=False, newlines_in_values=True)
    conv = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                null_values=[""], quoted_strings_can_be_null=True)
    record = 1                                   # file row of the block's first record
    line = 1                                     # file line of the block's first byte (for decoding errors)
    with src.path.open("rb") as f:
        for block, last in _blocks(f):
            text = block
            if src.encoding == "gb18030":
                try:
                    text = block.decode("gb18030").encode("utf-8")
                except UnicodeDecodeError as exc:
                    at = line + block.count(b"\n", 0, exc.start)
                    raise ReadError(Message("read_not_gb18030", file=src.name, line=at,
                                            reason=exc.reason)) from None
            skip = max(src.header_row - record + 1, 0)   # header (and title) records still to skip
            if skip:
                cut, skip = _after_records(text, skip)
                text = text[cut:]
            table, bad = _parse_block(src, text, parse, conv)
            records = skip + table.num_rows + len(bad)
            first = record + skip                # file row of the block's first data record
            rows = _row_numbers(table.num_rows, bad, first)
            bad = [BadLine(first + b.row - 1, b.text, b.fields) for b in bad]
            record += records
            line += block.count(b"\n")
            done = min(f.tell() / src.size, 1.0) if src.size and not last else 1.0
            yield Chunk({n: table.column(i).combine_chunks() for i, n in enumerate(names)}, rows, bad, done)


def _blocks(f) -> Iterator[tuple[bytes, bool]]:
    """Blocks of about CSV_BLOCK bytes that end after a line break outside quotes (whole records).

    A quote or a line break byte never occurs inside a UTF-8 or GB18030 multi-byte character, so
    the raw bytes can be cut before decoding. A doubled quote inside a quoted field keeps the count
    even, so a line break is a record end when the quotes before it are even in number."""
    carry = b""
    while True:
        raw = f.read(CSV_BLOCK)
        if not raw:
            if carry:
                yield carry, True
            return
        buf = carry + raw
        cut = _record_end(buf)
        if cut is None:                          # one record longer than a block: read on
            carry = buf
            continue
        carry = buf[cut:]
        yield buf[:cut], False


def _after_records(buf: bytes, k: int) -> tuple[int, int]:
    """Position after the first k records of a block, and how many it held of them (a block
    always ends a record)."""
    a = np.frombuffer(buf, np.uint8)
    odd = np.cumsum(a == 0x22) % 2 == 1
    breaks = np.flatnonzero((a == 0x0A) & ~odd)
    if breaks.size >= k:
        return int(breaks[k - 1]) + 1, k
    return len(buf), breaks.size + (1 if buf and not buf.endswith(b"\n") else 0)


def _record_end(buf: bytes) -> int | None:
    """Position after the last line break that ends a record, None if there is none."""
    end = buf.rfind(b"\n")
    if end < 0:
        return None
    if buf.count(b'"', 0, end) % 2 == 0:
        return end + 1
    a = np.frombuffer(buf, np.uint8)
    odd = np.cumsum(a == 0x22) % 2 == 1          # inside quotes after each byte
    breaks = np.flatnonzero((a == 0x0A) & ~odd)
    return int(breaks[-1]) + 1 if breaks.size else None


def _parse_block(src: Source, text: bytes, parse, conv) -> tuple[pa.Table, list[BadLine]]:
    """One block parsed by Arrow (in parallel); if some lines do not split into the header's fields,
    again on one thread, which numbers them (block record numbers, 1-based)."""
    bad: list[BadLine] = []

    def on_bad(row) -> str:
        bad.append(BadLine(row.number or 0, row.text, int(row.actual_columns)))
        return "skip"

    def read(threads: bool) -> pa.Table:
        # Arrow parses blocks in parallel; a record longer than its block needs one block for all
        size = ARROW_BLOCK if threads else len(text) + 1
        opts = pacsv.ReadOptions(use_threads=threads, block_size=size, column_names=src.header)
        p = pacsv.ParseOptions(delimiter=parse.delimiter, ignore_empty_lines=False, newlines_in_values=True,
                               invalid_row_handler=on_bad)
        return pacsv.read_csv(pa.BufferReader(text), read_options=opts, parse_options=p, convert_options=conv)

    if not text:
        return pa.table({n: pa.array([], pa.string()) for n in src.header}), []
    try:
        try:
            table = read(True)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            bad.append(BadLine(0, "", 0))        # parse again on one thread, below
        if bad:
            bad.clear()
            table = read(False)
    except pa.ArrowInvalid as exc:
        raise _csv_error(src, exc) from None
    return table, bad


def _row_numbers(n: int, bad: list[BadLine], first: int) -> np.ndarray:
    """File rows of a block's n good rows (`first`: the file row of its first record): its records
    in order, less the malformed ones."""
    s = np.array([first + b.row - 1 for b in bad], np.int64)
    t = s - first - np.arange(len(s))            # good rows before each malformed one
    k = np.arange(n, dtype=np.int64)
    return k + first + np.searchsorted(t, k, side="right")


def _csv_error(src: Source, exc: Exception) -> ReadError:
    """A reading failure with the file and, for a bad byte, its line."""
    text = str(exc)
    if "invalid UTF8" in text:
        line = _bad_utf8_line(src.path)
        text = Message("read_line_not_utf8", line=line) if line else text
    return ReadError(Message("read_failed", file=src.name, reason=text))


def _bad_utf8_line(path: Path) -> int | None:
    """The line of the first byte that is not UTF-8 (only called after a failure)."""
    dec, lines = codecs.getincrementaldecoder("utf-8")(), 0
    with path.open("rb") as f:
        while raw := f.read(CSV_BLOCK):
            try:
                dec.decode(raw)
            except UnicodeDecodeError as exc:
                return lines + raw.count(b"\n", 0, exc.start) + 1
            lines += raw.count(b"\n")
    return None


# ------------------------------------------------------------------ Parquet
def _parquet_chunks(src: Source, rows: int) -> Iterator[Chunk]:
    pf = pq.ParquetFile(src.path)
    total = max(pf.metadata.num_rows, 1)
    start = 0
    for batch in pf.iter_batches(batch_size=rows):
        n = batch.num_rows
        cols = {name: to_text(batch.column(i)) for i, name in enumerate(src.header)}
        yield Chunk(cols, np.arange(start, start + n, dtype=np.int64) + 2, [], (start + n) / total)
        start += n


# ------------------------------------------------------------------ Excel
def _excel_chunks(src: Source, rows: int) -> Iterator[Chunk]:
    from python_calamine import CalamineWorkbook
    sheet = src.sheet or CalamineWorkbook.from_path(str(src.path)).get_sheet_by_index(0)
    assert sheet.start is not None          # the sheet has rows (_open_excel found the header in it)
    top = sheet.start[0] + 1                 # file row of the sheet's first used row
    total = max(sheet.height - (src.header_row - top) - 1, 1)
    width = len(src.header)
    buf: list[list] = []
    row_no = top - 1
    first_row = src.header_row + 1
    done = 0

    def flush(buf, end_row) -> Chunk:
        n = len(buf)
        cols = {}
        for j, name in enumerate(src.header):
            cols[name] = _excel_text([r[j] if j < len(r) else None for r in buf])
        return Chunk(cols, np.arange(end_row - n + 1, end_row + 1, dtype=np.int64), [], done / total)

    for r in sheet.iter_rows():
        row_no += 1
        if row_no < first_row:
            continue
        buf.append(r[:width])
        if len(buf) >= rows:
            done += len(buf)
            yield flush(buf, row_no)
            buf = []
    if buf:
        done += len(buf)
        yield flush(buf, row_no)


def _cell(v) -> str | None:
    """One spreadsheet cell as text (dates ISO, whole numbers without '.0'); None when empty."""
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return cell_text(v)


def _excel_text(values: list) -> pa.Array:
    """A column of spreadsheet cells as text: Arrow converts a column of one type at once;
    a mixed column is converted per distinct value."""
    cells = [None if v == "" else v for v in values]
    try:
        a = pa.array(cells)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        a = None
    if a is not None and (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
        t = pc.utf8_trim_whitespace(a)
        return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t).cast(pa.string())
    if a is not None and not pa.types.is_struct(a.type):
        return to_text(a)
    s = pd.Series(values, dtype=object)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    texts = [_cell(u) for u in uniq] + [None]
    return pa.array(np.array(texts, dtype=object)[codes], pa.string())


# ------------------------------------------------------------------ typed columns to text
def to_text(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A typed Arrow column as text: dates ISO, whole floats without '.0', booleans true/false."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    t = a.type
    if pa.types.is_dictionary(t):
        return to_text(a.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return a.cast(pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(a), pa.string())
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            a = pc.local_timestamp(a)
        day = pc.cast(pc.floor_temporal(a, unit="day"), a.type)
        whole = pc.all(pc.or_kleene(pc.equal(day, a), pc.is_null(a))).as_py()
        return pc.cast(pc.cast(a, pa.date32()), pa.string()) if whole else pc.strftime(a, "%Y-%m-%d %H:%M:%S")
    if pa.types.is_floating(t):
        v = a.to_numpy(zero_copy_only=False)
        whole = np.isfinite(v) & (v == np.round(v)) & (np.abs(v) < 2 ** 53)
        if whole[~np.isnan(v)].all():
            return pc.cast(pc.cast(a, pa.int64()), pa.string())
    if pa.types.is_boolean(t):
        return pc.if_else(a, "true", "false")
    return pc.cast(a, pa.string())
