"""The run folder as an entry point: can it be used, is it in use, what wrote it.

Every check here turns an operating-system or file error into one line that says what to do:
``-o`` naming a file or a folder that cannot be created or written, a folder another
process is running in (an exclusive lock on ``RUN/.lock`` that holds its pid), a corrupt
``status.json``, a ``config.yaml`` written by another version. Unexpected errors inside a
stage keep their traceback in ``RUN/logs/`` (:func:`log_traceback`).
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import tempfile
import traceback
from pathlib import Path
from typing import IO

from biasinherit.errors import BiasInheritError
from biasinherit.files import read_json

LOCK_NAME = ".lock"


def prepare_run_dir(path: str | os.PathLike) -> Path:
    """Create the run folder if needed; refuse a file, an uncreatable or unwritable folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BiasInheritError(
            f"run folder {path} is an existing file, not a folder",
            "choose another folder with -o",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a parent is a file
        raise BiasInheritError(
            f"cannot create run folder {path}: a part of the path is a file",
            "choose another folder with -o",
        ) from None
    except OSError as e:
        raise BiasInheritError(
            f"cannot create run folder {path}: {e.strerror}",
            "choose a folder you can write to with -o",
        ) from None
    if not _writable(path):
        raise BiasInheritError(
            f"run folder {path} is not writable",
            "make it writable (chmod u+w) or choose another folder with -o",
        )
    return path


def _writable(path: Path) -> bool:
    # os.access says yes to root even on a read-only mount: try a real file instead.
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


class RunLock:
    """An exclusive lock on ``RUN/.lock`` for as long as a process writes the run folder.

    ``flock`` is released by the kernel when the process dies (even ``kill -9``), so a
    stale lock never blocks a resume; the file holds the pid for the message.
    """

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._file: IO[str] | None = None

    def acquire(self) -> RunLock:
        if self._file is not None:
            return self
        try:
            f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        except OSError as e:
            raise BiasInheritError(
                f"cannot lock run folder {self.path.parent}: {e.strerror}",
                "choose a folder you can write to with -o",
            ) from None
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = _holder(f.read())
            f.close()
            raise BiasInheritError(
                f"run folder {self.path.parent} is in use by another process ({holder})",
                "wait for it to finish or stop it; a second process would corrupt the run",
            ) from None
        f.seek(0)
        f.truncate()
        when = _dt.datetime.now().isoformat(timespec="seconds")
        f.write(json.dumps({"pid": os.getpid(), "since": when}) + "\n")
        f.flush()
        self._file = f
        return self

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {int(info['pid'])}, since {info.get('since', '?')}"
    except (ValueError, KeyError, TypeError):
        return "pid unknown"


def read_status(run_dir: str | os.PathLike) -> dict:
    """``RUN/status.json`` (cell states), or ``{}``; a corrupt file is a one-line error."""
    path = Path(run_dir) / "status.json"
    if not path.exists():
        return {}
    status = read_json(
        path,
        what="status file",
        hint="delete it: it only records cell states, and a rerun of the same command "
        "rebuilds it from the cached results",
    )
    if not isinstance(status, dict):
        raise BiasInheritError(
            f"status file {path} is corrupt: not a mapping of cells", f"delete {path} and rerun"
        )
    return status


def log_traceback(exc: BaseException, run_dir: str | os.PathLike | None) -> Path:
    """Write the traceback of an unexpected error to ``RUN/logs/error-<time>.log`` (or the
    user cache's ``logs/`` when there is no run folder yet); return the file."""
    from biasinherit.paths import cache_dir

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    here = [Path(run_dir) / "logs"] if run_dir and Path(run_dir).is_dir() else []
    for folder in here + [cache_dir("logs")]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"error-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    raise exc
