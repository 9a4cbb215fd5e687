"""The state of a run folder: which cells are done, running, failed or still to do."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def run_status(run_dir: str | Path) -> pd.DataFrame:
    """One row per cell of the run's grid: ``cell, state, error``.

    States: ``done``, ``running`` (its process is alive), ``interrupted`` (its process died;
    rerun to resume), ``failed`` (with the error), ``pending``.
    """
    from biasinherit.layout import load_run_config
    from biasinherit.rundir import read_status
    from biasinherit.runner import grid

    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    status = read_status(run_dir)
    names = (["untuned"] if cfg.evaluate.untuned else []) + [c.name for c in grid(cfg)]
    rows = []
    for name in names:
        s = status.get(name) if isinstance(status.get(name), dict) else {}
        state = str(s.get("state", "pending"))
        pid = s.get("pid")
        if state == "running" and not (isinstance(pid, int) and _alive(pid)):
            state = "interrupted"
        rows.append({"cell": name, "state": state, "error": s.get("error") or ""})
    return pd.DataFrame(rows)
