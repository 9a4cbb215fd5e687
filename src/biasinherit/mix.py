"""Mix: original data D_o with augmented data D_a at bias ratios gamma = |D_a| / |D|.

With D_o fixed (the paper's definition) ``|D_a| = round(gamma |D_o| / (1 - gamma))``, taken
as a prefix of one seeded shuffle of D_a, so the subsets are nested (the 5 % set lies inside
the 10 % set). ``fixed_total`` instead keeps ``|D|`` = ``|D_o|`` by subsampling D_o, which
separates the effect of biased data from the effect of more training steps.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal

from biasinherit.cells import ratio_name  # noqa: F401  (re-exported: mix.ratio_name)
from biasinherit.errors import BiasInheritError
from biasinherit.files import write_jsonl

MixMode = Literal["fixed_original", "fixed_total"]

__all__ = ["MixMode", "check_ratio", "mix", "n_augmented", "ratio_name", "write_mixes"]


def check_ratio(ratio: float) -> float:
    """A bias ratio must lie in [0, 1)."""
    if not 0 <= ratio < 1:
        raise BiasInheritError(
            f"bias ratio {ratio} is outside [0, 1)",
            "gamma = |D_a| / |D|; use e.g. 0, 0.05, 0.1, 0.2, 0.5",
        )
    return float(ratio)


def n_augmented(ratio: float, n_original: int, mode: MixMode = "fixed_original") -> int:
    """How many augmented rows a mix at ``ratio`` holds.

    Examples
    --------
    >>> n_augmented(0.5, 100), n_augmented(0.2, 100), n_augmented(0.2, 100, "fixed_total")
    (100, 25, 20)
    """
    check_ratio(ratio)
    if mode == "fixed_total":
        return round(ratio * n_original)
    return round(ratio * n_original / (1 - ratio))


def mix(
    original: list[dict],
    augmented: list[dict],
    ratio: float,
    *,
    seed: int = 0,
    mode: MixMode = "fixed_original",
) -> list[dict]:
    """One training mix at ``ratio``; the same seed gives nested subsets across ratios.

    Examples
    --------
    >>> o = [{"id": f"o{i}", "source": "original"} for i in range(8)]
    >>> a = [{"id": f"a{i}", "source": "augmented"} for i in range(8)]
    >>> small, big = mix(o, a, 0.2), mix(o, a, 0.5)
    >>> len(small), len(big)
    (10, 16)
    >>> {r["id"] for r in small if r["source"] == "augmented"} <= {r["id"] for r in big}
    True
    """
    n_aug = n_augmented(ratio, len(original), mode)
    if n_aug > len(augmented):
        raise BiasInheritError(
            f"ratio {ratio} needs {n_aug} augmented rows but only {len(augmented)} exist",
            "generate more rows (generate.n_per_type) or lower the largest ratio",
        )
    aug = sorted(augmented, key=lambda r: r["id"])
    random.Random(f"mix:{seed}").shuffle(aug)
    orig = sorted(original, key=lambda r: r["id"])
    if mode == "fixed_total":
        random.Random(f"mix-original:{seed}").shuffle(orig)
        orig = orig[: len(orig) - n_aug]
    rows = orig + aug[:n_aug]
    random.Random(f"order:{seed}:{ratio}").shuffle(rows)
    return rows


def write_mixes(
    original: list[dict],
    augmented: list[dict],
    ratios: list[float],
    out_dir: str | Path,
    *,
    seed: int = 0,
    mode: MixMode = "fixed_original",
) -> dict[float, Path]:
    """Write ``mixes/<ratio>.jsonl`` for each ratio; returns the paths."""
    out = {}
    for r in ratios:
        path = Path(out_dir) / f"{ratio_name(r)}.jsonl"
        write_jsonl(path, mix(original, augmented, r, seed=seed, mode=mode))
        out[r] = path
    return out
