"""The run folder's plan, with one owner: its cells (rounds included), its paths, and the
stored config read with the schema's defaults.

Everything that looks into a run folder (the runner, the executors, ``status``, the
analysis step, the report) finds cells and files here, not by globbing or parsing names.

Layout::

    RUN/config.yaml  versions.json  status.json  timings.json
    RUN/original.jsonl  augmented.jsonl  generate/  audit.json  audit/
    RUN/mixes/s<seed>/<bias_type>/[k<round>/]<ratio>.jsonl
    RUN/adapters/<cell>/               LoRA adapter (safetensors) and key.txt
    RUN/eval/<cell>/<task>.parquet     per-item outputs; <task>.metrics.parquet, <task>.key
    RUN/eval/untuned/...               the model before fine-tuning
    RUN/metrics.parquet                the long metrics table (one row per run and group)
    RUN/analysis/*.parquet             across seeds and stimuli (levels, contrasts, trend...)
    RUN/report.md  report.html  card.json  figures/
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from biasinherit.cells import Cell, grid, ratio_name, round_cells  # noqa: F401  (re-exported)
from biasinherit.errors import BiasInheritError

if TYPE_CHECKING:
    from biasinherit.config import ExperimentConfig

UNTUNED = "untuned"


class RunLayout:
    """The paths of one run folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def config(self) -> ExperimentConfig:
        """The stored config, validated with today's schema (so defaults are filled in)."""
        return load_run_config(self.root)

    def cells(self) -> list[Cell]:
        """Every cell of the stored grid, rounds included."""
        return grid(self.config(), rounds=True)

    def eval_dir(self, cell: Cell | None) -> Path:
        """Per-item outputs of a cell (None: the untuned model)."""
        return self.root / "eval" / (UNTUNED if cell is None else cell.name)

    def items(self, cell: Cell | None, task: str) -> Path:
        return self.eval_dir(cell) / f"{task}.parquet"

    def adapter(self, cell: Cell) -> Path:
        return self.root / "adapters" / cell.name

    @property
    def analysis(self) -> Path:
        return self.root / "analysis"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.parquet"


def load_run_config(run_dir: str | os.PathLike) -> ExperimentConfig:
    """The resolved config a run folder was made with (``RUN/config.yaml``).

    A config that this version cannot read (a key renamed or added by another version)
    names the version that wrote it (``versions.json``) instead of a bare schema error.
    """
    from biasinherit.config import load_config  # late: the schema imports every registry

    run_dir = Path(run_dir)
    path = run_dir / "config.yaml"
    if not path.exists():
        raise BiasInheritError(
            f"{run_dir} is not a run folder (no config.yaml)",
            "pass the folder that `biasinherit run` wrote",
        )
    try:
        return load_config(path)
    except BiasInheritError as e:
        if not e.message.startswith("config error"):
            raise
        import importlib.metadata as md

        try:
            this = md.version("biasinherit")
        except md.PackageNotFoundError:
            this = "unknown"
        wrote = "another version"
        versions = run_dir / "versions.json"
        try:
            wrote = f"biasinherit {json.loads(versions.read_text())['biasinherit']}"
        except (OSError, ValueError, KeyError, TypeError):
            pass
        raise BiasInheritError(
            f"{path} does not fit this version of biasinherit ({this}; the "
            f"folder was written by {wrote}): {e.message.removeprefix('config error at ')}",
            "use the version that wrote the folder, or start a new run folder with -o",
        ) from None
