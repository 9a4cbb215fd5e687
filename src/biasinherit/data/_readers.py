"""Reading a user's table: CSV, TSV, JSONL or Parquet, with the encoding and delimiter found.

Text files: a BOM decides the encoding (UTF-8, UTF-16); otherwise UTF-8, else Windows-1252,
else Latin-1 (a note says which). The delimiter is the one of ``, \\t ; |`` that splits the
first lines into the same number of fields. Binary or truncated files, rows with the wrong
number of fields and malformed JSON lines are one-line errors naming the file and line.
Rows whose fields are all empty are skipped and counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from biasinherit.errors import BiasInheritError

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_LINES = 50


@dataclass
class Table:
    """Records of a file with where each came from (``line`` for text, ``row`` for Parquet)."""

    path: Path
    format: str
    columns: list[str]
    records: list[tuple[int, dict]]
    unit: str = "line"
    encoding: str | None = None
    delimiter: str | None = None
    empty: int = 0
    notes: list[str] = field(default_factory=list)


def file_format(path: Path, fmt: str = "auto") -> str:
    """The container format: given, or from the extension."""
    if fmt != "auto":
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise BiasInheritError(
            f"cannot tell the format of {path.name} from its extension",
            "use .csv, .tsv, .jsonl or .parquet, or set original.format",
        )
    return found


def read_table(
    path: str | Path,
    *,
    fmt: str = "auto",
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read a user's data file into records (column name -> raw value)."""
    path = Path(path)
    if not path.exists():
        raise BiasInheritError(f"data file not found: {path}", "check original.source")
    if path.is_dir():
        raise BiasInheritError(f"data file {path} is a folder", "name a file in original.source")
    kind = file_format(path, fmt)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BiasInheritError(f"cannot read {path}: {e.strerror}", "check the file") from None
    if not data.strip():
        raise BiasInheritError(f"data file {path} is empty", "point original.source at your data")
    if kind == "parquet":
        return _read_parquet(path, data)
    if data[:4] == b"PAR1":
        raise BiasInheritError(
            f"{path} is a Parquet file, not {kind.upper()}",
            "name it .parquet or set original.format: parquet",
        )
    text, enc, note = _decode(path, data, encoding)
    table = (
        _read_jsonl(path, text)
        if kind == "jsonl"
        else _read_csv(path, text, delimiter or ("\t" if kind == "tsv" else None))
    )
    table.encoding = enc
    if note:
        table.notes.append(note)
    return table


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str, str | None]:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise BiasInheritError(
                f"unknown encoding {encoding!r}", "use e.g. utf-8, latin-1, cp1252, utf-16"
            ) from None
        try:
            return data.decode(encoding), encoding, None
        except UnicodeDecodeError as e:
            raise BiasInheritError(
                f"cannot read {path} as {encoding}: undecodable byte at offset {e.start}",
                "give the file's real encoding in original.encoding, or remove it to detect",
            ) from None
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return data.decode(enc), enc, None
            except UnicodeDecodeError:
                break
    if b"\0" in data[:8192]:
        raise BiasInheritError(
            f"{path} is a binary file, not text",
            "give a CSV, TSV, JSONL or Parquet file in original.source",
        )
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    for enc in ("cp1252", "latin-1"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, enc, f"{path.name} is not UTF-8: read as {enc} (set original.encoding)"
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _sniff(text: str) -> str:
    """The delimiter that splits the first lines into one consistent number of fields (>1)."""
    head = "\n".join(text.splitlines()[:_SNIFF_LINES])
    best, best_fields = ",", 1
    for d in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(head, newline=""), delimiter=d) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        # The last line may be cut by the head: judge the lines before it.
        widths = {len(r) for r in rows[:-1]} or {len(rows[0])}
        if len(widths) == 1 and (w := widths.pop()) > best_fields:
            best, best_fields = d, w
    return best


def _read_csv(path: Path, text: str, delimiter: str | None) -> Table:
    delim = delimiter or _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    table = Table(path, "tsv" if delim == "\t" else "csv", [], [], delimiter=delim)
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not table.columns:
                if not any(c.strip() for c in row):
                    continue  # blank lines before the header
                table.columns = [c.strip() for c in row]
                dup = {c for c in table.columns if table.columns.count(c) > 1}
                if dup:
                    raise BiasInheritError(
                        f"{path} line {line}: the header names column {sorted(dup)[0]!r} twice",
                        "give every column its own name",
                    )
                continue
            if not row:  # a blank line (the file's last line, often): not a row
                continue
            if not any(c.strip() for c in row):
                table.empty += 1
                continue
            if len(row) != len(table.columns):
                raise BiasInheritError(
                    f"{path} line {line} has {len(row)} fields, the header has "
                    f"{len(table.columns)} (delimiter {delim!r})",
                    "quote fields that contain the delimiter, or set original.delimiter",
                )
            table.records.append((line, dict(zip(table.columns, row, strict=True))))
    except csv.Error as e:
        cut = "unexpected end of data" in str(e)
        raise BiasInheritError(
            f"{path} line {reader.line_num}: "
            + ("a quoted field never ends (the file looks truncated)" if cut else f"{e}"),
            "check the quotes near that line, or whether the file was cut off",
        ) from None
    if not table.columns:
        raise BiasInheritError(f"data file {path} has no header line", "the first line names")
    return table


def _read_jsonl(path: Path, text: str) -> Table:
    lines = text.split("\n")
    table = Table(path, "jsonl", [], [])
    cols: dict[str, None] = {}
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            last = i == len(lines) or not any(x.strip() for x in lines[i:])
            what = "is cut off (the file looks truncated)" if last else f"is not JSON ({e.msg})"
            raise BiasInheritError(
                f"{path} line {i} {what}", "each line must be one JSON object"
            ) from None
        if not isinstance(rec, dict):
            raise BiasInheritError(
                f"{path} line {i}: expected a JSON object, got {type(rec).__name__}",
                "each line must be one JSON object",
            )
        if not any(_present(v) for v in rec.values()):
            table.empty += 1
            continue
        cols.update(dict.fromkeys(rec))
        table.records.append((i, rec))
    table.columns = list(cols)
    return table


def _read_parquet(path: Path, data: bytes) -> Table:
    if data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        raise BiasInheritError(
            f"{path} is not a Parquet file (or it is truncated)",
            "check the file, or set original.format to its real format",
        )
    try:
        import pyarrow.parquet as pq

        records = pq.read_table(io.BytesIO(data)).to_pylist()
    except Exception as e:  # pyarrow raises ArrowInvalid, OSError, ... on a damaged file
        first = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise BiasInheritError(
            f"cannot read Parquet file {path}: {first}", "check the file"
        ) from None
    table = Table(path, "parquet", list(records[0]) if records else [], [], unit="row")
    for i, rec in enumerate(records, 1):
        if not any(_present(v) for v in rec.values()):
            table.empty += 1
            continue
        table.records.append((i, rec))
    return table


def _present(v: object) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and v != v:  # NaN
        return False
    return bool(str(v).strip())
