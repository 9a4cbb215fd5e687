"""Files: atomic writes, JSONL with line-numbered errors, content hashes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from biasinherit.errors import BiasInheritError


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write through a temp file and rename, so a kill never leaves half a file.

    A write that fails (disk full, read-only folder) leaves the previous file as it was and
    is a one-line error naming the file.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def iter_jsonl(path: str | os.PathLike, *, tolerate_torn_tail: bool = False) -> Iterator[dict]:
    """Rows of a JSONL file; a malformed line is a one-line error naming file and line.

    ``tolerate_torn_tail`` skips an unterminated last line, the trace of a killed append.
    """
    path = Path(path)
    if not path.exists():
        raise BiasInheritError(f"file not found: {path}", "check the path")
    data = b""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if tolerate_torn_tail and e.start > data.rfind(b"\n"):  # a kill cut a character
            text = data[: data.rfind(b"\n") + 1].decode("utf-8-sig")
        else:
            raise BiasInheritError(
                f"{path} is not UTF-8 text (undecodable byte at offset {e.start})",
                "JSONL files must be UTF-8; is this the right file?",
            ) from None
    except IsADirectoryError:
        raise BiasInheritError(f"{path} is a folder, not a JSONL file", "check the path") from None
    # Split on "\n" only: generated text may hold U+2028 and friends inside JSON strings.
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            if tolerate_torn_tail and i == len(lines) and not line.endswith("\n"):
                return
            raise BiasInheritError(
                f"malformed JSONL in {path} line {i}: {e.msg}",
                "each line must be one JSON object",
            ) from None
        if not isinstance(row, dict):
            raise BiasInheritError(
                f"malformed JSONL in {path} line {i}: expected an object, got {type(row).__name__}",
                "each line must be one JSON object",
            )
        yield row


def read_jsonl(path: str | os.PathLike, **kw: Any) -> list[dict]:
    return list(iter_jsonl(path, **kw))


def append_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Append rows and fsync: finished rows survive a kill (a torn tail is skipped on read)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:  # a torn tail is skipped on read, so earlier rows stay usable
        raise write_error(path, e) from None


def content_hash(*parts: Any, length: int = 12) -> str:
    """Stable short hash of JSON-serialisable inputs: the key of a cached artifact."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def file_hash(path: str | os.PathLike, length: int = 12) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Bytes through a temp file, fsync and rename (see :func:`atomic_write_text`)."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise write_error(path, e) from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def save_figure(fig: Any, path: str | os.PathLike) -> None:
    """A matplotlib figure as PNG, written atomically (a reader never sees half a file),
    then closed."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def write_error(path: str | os.PathLike, e: OSError) -> BiasInheritError:
    """A failed write as a one-line error: what, where, and that finished work is kept."""
    why = e.strerror or type(e).__name__
    hints = {
        errno.ENOSPC: "free disk space, then rerun the same command (finished work is kept)",
        errno.EDQUOT: "free disk space, then rerun the same command (finished work is kept)",
        errno.EROFS: "the filesystem is read-only: choose another folder with -o",
        errno.EACCES: "make the folder writable or choose another one with -o",
        errno.EPERM: "make the folder writable or choose another one with -o",
    }
    return BiasInheritError(
        f"cannot write {path}: {why}", hints.get(e.errno or 0, "check the folder and the disk")
    )


def read_json(path: str | os.PathLike, *, what: str = "file", hint: str | None = None) -> Any:
    """A JSON file written by biasinherit; a corrupt one is a one-line error, not a traceback."""
    path = Path(path)
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise BiasInheritError(f"{what} {path} not found", hint or "check the path") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        where = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise BiasInheritError(
            f"{what} {path} is corrupt: not JSON{where}",
            hint or "delete it and rerun the command that wrote it",
        ) from None
    except IsADirectoryError:
        raise BiasInheritError(f"{what} {path} is a folder", hint or "check the path") from None


def read_parquet(path: str | os.PathLike, *, what: str = "table", hint: str | None = None):
    """A Parquet table written by biasinherit; a torn or corrupt one is a one-line error.
    (pandas is imported here, not at module level: most callers of this module never
    read a table.)"""
    import pandas as pd

    path = Path(path)
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise BiasInheritError(f"{what} {path} not found", hint or "check the path") from None
    except IsADirectoryError:
        raise BiasInheritError(f"{what} {path} is a folder", hint or "check the path") from None
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        why = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise BiasInheritError(
            f"{what} {path} is corrupt: {why}",
            hint or "delete it and rerun the command that wrote it",
        ) from None


def read_user_text(path: str | os.PathLike, *, what: str, hint: str) -> str:
    """A small text file the user names (an experiment YAML): UTF-8 (BOM allowed).

    Missing, a folder, empty of bytes aside, binary or not UTF-8: one-line errors with ``hint``.
    """
    path = Path(path)
    if not path.exists():
        raise BiasInheritError(f"{what} not found: {path}", hint)
    if path.is_dir():
        raise BiasInheritError(f"{what} {path} is a folder, not a file", hint)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BiasInheritError(f"cannot read {what} {path}: {e.strerror}", hint) from None
    if b"\0" in data[:8192]:
        raise BiasInheritError(f"{what} {path} is a binary file, not text", hint)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BiasInheritError(
            f"{what} {path} is not UTF-8 text (undecodable byte at offset {e.start})",
            "save it as UTF-8",
        ) from None
