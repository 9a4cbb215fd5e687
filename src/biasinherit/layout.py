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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from biasinherit.errors import BiasInheritError

if TYPE_CHECKING:
    from biasinherit.config import ExperimentConfig

UNTUNED = "untuned"


def ratio_name(ratio: float) -> str:
    """File-name form of a ratio: 0.05 -> '0.05', 0.5 -> '0.50'."""
    return f"{ratio:.2f}" if round(ratio, 2) == ratio else f"{ratio:g}"


@dataclass(frozen=True)
class Cell:
    """One training run of the grid: (bias type, γ, mitigation, seed) and its round."""

    bias_type: str
    ratio: float
    mitigation: str
    seed: int
    round: int = 1  # multi-round self-augmentation: round k's data comes from round k-1's model

    @property
    def name(self) -> str:
        base = f"{self.bias_type}__r{ratio_name(self.ratio)}__{self.mitigation}__s{self.seed}"
        return base if self.round == 1 else f"{base}__k{self.round}"

    def previous(self) -> Cell:
        return Cell(self.bias_type, self.ratio, self.mitigation, self.seed, self.round - 1)

    def as_dict(self) -> dict:
        return {
            "bias_type": self.bias_type,
            "ratio": self.ratio,
            "mitigation": self.mitigation,
            "seed": self.seed,
            "round": self.round,
        }


def grid(cfg: ExperimentConfig, *, rounds: bool = False) -> list[Cell]:
    """The cells of the study; γ = 0 once per seed (bias type and mitigation 'none').

    With ``rounds``, the later self-augmentation rounds too (at the largest ratio, ``none``).
    """
    cells = []
    for seed in cfg.seeds:
        if 0.0 in cfg.ratios:
            cells.append(Cell("none", 0.0, "none", seed))
        for bt in cfg.generate.bias_types:
            for r in cfg.ratios:
                if r == 0:
                    continue
                for m in cfg.mitigations:
                    cells.append(Cell(bt, r, m, seed))
    if rounds:
        cells += round_cells(cfg)
    return cells


def round_cells(cfg: ExperimentConfig, k: int | None = None) -> list[Cell]:
    """Round ``k``'s cells (all rounds after the first when ``k`` is None)."""
    top = max(cfg.ratios, default=0.0)
    if top <= 0:
        return []
    ks = range(2, cfg.rounds + 1) if k is None else [k]
    return [
        Cell(bt, top, "none", seed, r)
        for r in ks
        for seed in cfg.seeds
        for bt in cfg.generate.bias_types
    ]


class RunLayout:
    """The paths of one run folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def config(self) -> ExperimentConfig:
        """The stored config, validated with today's schema (so defaults are filled in)."""
        from biasinherit.config import load_config

        path = self.root / "config.yaml"
        if not path.exists():
            raise BiasInheritError(
                f"{self.root} is not a run folder (no config.yaml)",
                "pass the folder that `biasinherit run` wrote",
            )
        return load_config(path)

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
