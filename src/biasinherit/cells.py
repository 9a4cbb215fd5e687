"""The cells of a study: one training run per (bias type, γ, mitigation, seed, round).

The grid is a pure function of the config's ``seeds``, ``ratios``, ``generate.bias_types``,
``mitigations`` and ``rounds``; where a cell's files are is ``biasinherit.layout``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The grid reads five settings of an ``ExperimentConfig``; it is typed loosely so that this
# domain module does not name the schema, which sits above the stages (docs/ARCHITECTURE.md).
GridConfig = Any


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


def grid(cfg: GridConfig, *, rounds: bool = False) -> list[Cell]:
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


def round_cells(cfg: GridConfig, k: int | None = None) -> list[Cell]:
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
