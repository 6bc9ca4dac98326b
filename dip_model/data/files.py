"""Finding and reading the files of a data folder: each table may be NAME.parquet, NAME.csv or NAME.xlsx
(preferred in that order); a CSV in UTF-8 (byte-order mark optional) or GB18030. Cells are read as text
(or typed, from parquet) into a Raw table for data.cells to convert.

Large files: a CSV is read by Arrow straight from disk into Arrow text (no Python objects). The version
hash of a folder streams its files (load_data runs it on a separate thread).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..messages import Message
from .cells import cells_to_text, memory_pool
from .schema import Table

SUFFIXES = (".parquet", ".csv", ".xlsx")   # preference order when several exist
_CHUNK = 64 << 20                            # bytes hashed at a time


class _Unreadable(Exception):
    """A file that cannot be read as a table (the Message says why, `row` where)."""

    def __init__(self, message: Message, row: int | None = None):
        super().__init__(message)
        self.message, self.row = message, row


class Raw(dict):
    """The columns of one table as read, name -> Arrow text (CSV) or Series (other readers),
    its number of rows, and the empty-cell masks of converted columns the rules need.

    A plain dict so that a column can be dropped as soon as it is converted."""

    def __init__(self, columns, n: int):
        super().__init__(columns)
        self.n = n
        self.missing: dict[str, np.ndarray] = {}

    def cell(self, name: str):
        """The raw text of column `name` by row position (for messages), None if not given."""
        col = self.get(name)
        if col is None:
            return None
        if isinstance(col, pd.Series):
            return lambda i: col.iloc[i]
        return lambda i: col[i].as_py()


def folder_files(folder: Path) -> dict[str, Path]:
    """The files of a folder by lower-case name."""
    return {p.name.lower(): p for p in folder.iterdir() if p.is_file()}


def table_files(spec: Table, listing: dict[str, Path]) -> list[Path]:
    """The files for one table, the one to use first."""
    return [listing[n] for n in (spec.name + s for s in SUFFIXES) if n in listing]


def hash_files(paths: list[Path]):
    """sha256 over each file's name and bytes, streamed in large chunks (the DataSet version).

    A file that cannot be read is left for the reader to report."""
    h = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    for path in paths:
        h.update(path.name.encode() + b"\0")
        try:
            with path.open("rb", buffering=0) as f:
                while n := f.readinto(buf):
                    h.update(view[:n])
        except OSError:
            pass
    return h


def read_raw(path: Path, warnings: list) -> Raw:
    """The raw columns of one table file; a header warning is added to `warnings`.

    Raises when the file cannot be read as a table (read_error says why)."""
    return _clean_header(warnings, path.name, _read_file(path))


def read_error(exc: Exception) -> tuple[Message, int | None]:
    """Message and row of a reading failure."""
    if isinstance(exc, _Unreadable):
        return Message("cannot_read", reason=exc.message), exc.row
    text = re.sub(r"^Error tokenizing data\. C error: ", "", str(exc).strip())
    line = re.search(r"line (\d+)", text)     # pandas names the malformed line
    fields = re.fullmatch(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    reason = Message("csv_fields", expected=int(fields[1]), line=int(fields[2]), saw=int(fields[3])) \
        if fields else text                     # any other reader's own words, as it gives them
    return Message("cannot_read", reason=reason), int(line[1]) if line else None


def _read_file(path: Path) -> pd.DataFrame | pa.Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if _blank(path):
            raise _Unreadable(Message("file_empty"))
        return _read_csv(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    return _read_xlsx(path)


def _blank(path: Path) -> bool:
    """True if the file is empty or holds only white space (read only as far as needed)."""
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            if not chunk.isspace():
                return False
    return True


def _utf8(data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes of a CSV in UTF-8 (BOM optional) or GB18030, and its first line."""
    reached = 0                     # the decoder that got furthest points at the bad byte
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            reached = max(reached, exc.start)
            continue
        end = text.find("\n")
        header = text if end < 0 else text[:end]
        return (data if enc == "utf-8-sig" else text.encode("utf-8")), header
    raise _Unreadable(Message("not_utf8_gb18030"), row=data.count(b"\n", 0, reached) + 1)


def _text_options(header: str) -> pacsv.ConvertOptions:
    """Every column of the header line as text, an empty cell as missing."""
    names = next(csv.reader([header.rstrip("\r")]))
    return pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                strings_can_be_null=True, null_values=[""],
                                quoted_strings_can_be_null=True)


def _read_csv(path: Path) -> pd.DataFrame | pa.Table:
    """All columns as text (empty = missing), kept as Arrow arrays (not Python objects).

    Fast path: Arrow reads the file itself, in parallel, checking that every cell is UTF-8.
    Anything else (GB18030, a bad byte, a malformed row) goes through `_read_csv_bytes`,
    which names the row."""
    with path.open("rb") as f:
        first = f.readline()
    try:
        header = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _read_csv_bytes(path.read_bytes())
    try:
        table = pacsv.read_csv(str(path), convert_options=_text_options(header.rstrip("\n")),
                               memory_pool=memory_pool())
    except pa.ArrowInvalid:
        return _read_csv_bytes(path.read_bytes())
    return table


def _read_csv_bytes(data: bytes) -> pd.DataFrame | pa.Table:
    """The careful reader: decodes UTF-8 or GB18030, pandas for a located parse error."""
    data, header = _utf8(data)
    try:
        table = pacsv.read_csv(pa.BufferReader(data), convert_options=_text_options(header))
    except pa.ArrowInvalid:
        # pandas' parser handles quoted line breaks and names the line of a malformed row
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                           na_values=[""], encoding="utf-8-sig")
    return table


def _read_xlsx(path: Path) -> pd.DataFrame:
    """First sheet, every column as text (numbers, dates and booleans spelled out)."""
    df = pd.read_excel(path, engine="calamine", dtype=object, keep_default_na=False,
                       na_values=[""])
    return pd.DataFrame({str(c): cells_to_text(df[c]) for c in df.columns})


def _clean_header(warnings: list, file: str, table: pd.DataFrame | pa.Table) -> Raw:
    """Strip column names; drop unnamed columns (Excel's trailing commas)."""
    if isinstance(table, pa.Table):
        cols, n = table.columns, table.num_rows
        names = [str(c).strip() for c in table.column_names]
        def has_data(c): return c.null_count < len(c)                  # noqa: E704
    else:
        cols = [table.iloc[:, i].reset_index(drop=True) for i in range(table.shape[1])]
        n, names = len(table), [str(c).strip() for c in table.columns]
        def has_data(c): return c.notna().any()                         # noqa: E704
    del table
    unnamed = [not name or name.startswith("Unnamed:") for name in names]
    if any(u and has_data(cols[i]) for i, u in enumerate(unnamed)):
        warnings.append(Message("column_no_header", file=file))
    keep = [i for i, u in enumerate(unnamed) if not u]
    dup = {names[i] for i in keep if [names[j] for j in keep].count(names[i]) > 1}
    if dup:
        raise _Unreadable(Message("column_twice", column=sorted(dup)[0]))
    return Raw(((names[i], cols[i]) for i in keep), n)

