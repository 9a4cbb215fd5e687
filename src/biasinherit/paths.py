"""Where things live: the benchmark data directory and the user's cache folder."""

from __future__ import annotations

import os
from pathlib import Path

from biasinherit.errors import BiasInheritError

DATA_ENV = "BIASINHERIT_DATA_DIR"
CACHE_ENV = "BIASINHERIT_CACHE_DIR"
OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def offline_hub() -> None:
    """Never reach a model or data hub: the entry points (and every loader, before it imports
    transformers) call this; a value the user set is kept."""
    for key in OFFLINE_ENV:
        os.environ.setdefault(key, "1")


_RUN_DATA_DIR: list[Path] = []  # the running experiment's `data_dir`, set by its entry point


def use_data_dir(configured: str | os.PathLike | None) -> None:
    """Make ``configured`` (an experiment's ``data_dir``) where data is found in this process.

    Called by the entry points (the CLI, a cell's worker) once the config is loaded, so that
    stages need not pass it down; unlike an environment variable it does not leak into child
    processes or the user's environment. ``None`` clears it.
    """
    _RUN_DATA_DIR[:] = [Path(configured).expanduser()] if configured else []


def data_dir_candidates(configured: str | os.PathLike | None = None) -> list[Path]:
    """Places searched for benchmark data, in order: the argument, the running experiment's
    ``data_dir`` (:func:`use_data_dir`), the env var, ../shared/data nearby."""
    if configured:
        return [Path(configured).expanduser()]
    if _RUN_DATA_DIR:
        return list(_RUN_DATA_DIR)
    if os.environ.get(DATA_ENV):
        return [Path(os.environ[DATA_ENV]).expanduser()]
    here = Path.cwd().resolve()
    pkg = Path(__file__).resolve()
    out: list[Path] = []
    for base in [here, *here.parents[:3], *pkg.parents[2:6]]:
        cand = base.parent / "shared" / "data"
        if cand not in out:
            out.append(cand)
    return out


def find_data_dir(configured: str | os.PathLike | None = None) -> Path:
    """The first existing data directory, or a one-line error naming where we looked."""
    cands = data_dir_candidates(configured)
    for c in cands:
        if c.is_dir():
            return c
    looked = ", ".join(str(c) for c in cands[:4])
    raise BiasInheritError(
        f"benchmark data directory not found (looked in {looked})",
        f"set {DATA_ENV}=/path/to/data or data_dir in the config",
    )


def data_file(relative: str, configured: str | os.PathLike | None = None) -> Path:
    """A file inside the data directory, with a clear error when it is missing."""
    root = find_data_dir(configured)
    path = root / relative
    if not path.exists():
        raise BiasInheritError(
            f"data set file {relative} not found in {root}",
            "copy it there (see the data README) or point data_dir elsewhere",
        )
    return path


def cache_dir(sub: str = "") -> Path:
    """The user's cache folder for converted models and name lists (never the run folder)."""
    root = os.environ.get(CACHE_ENV)
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        base = Path(xdg) / "biasinherit"
    path = base / sub if sub else base
    path.mkdir(parents=True, exist_ok=True)
    return path
