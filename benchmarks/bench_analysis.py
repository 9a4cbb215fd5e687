"""The analysis step with our Holm correction vs statsmodels' ``multipletests("holm")``.

statsmodels' Holm calls ``gc.collect()`` on every call, whose cost grows with the objects the
process holds; a run's process holds a model. Both sides run ``analyze_run`` on the same fake
run folder (the tests' ``fake_run``: 2 mitigations, 2 seeds, γ 0 and 0.5), in one process
after loading the embedded model, alternating per repetition; only the Holm function differs.

    PYTHONPATH=src:. python benchmarks/bench_analysis.py --reps 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def statsmodels_holm(p: np.ndarray) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()

    import biasinherit.analysis._recommend as rec
    import biasinherit.analysis._tables as tab
    from biasinherit.analysis import analyze_run
    from biasinherit.models import load_model
    from tests.test_analysis import fake_run

    model = load_model("smollm2-135m-instruct")  # noqa: F841  (held, as in a run's process)
    run = Path(tempfile.mkdtemp()) / "run"
    fake_run(run, mitigations=("none", "loss"), seeds=(0, 1), ratios=(0.0, 0.5))
    ours = tab.holm
    sides = {"ours": ours, "statsmodels": statsmodels_holm}
    times: dict[str, list[float]] = {k: [] for k in sides}
    analyze_run(run)  # warm caches and imports
    for rep in range(args.reps):
        order = list(sides) if rep % 2 == 0 else list(sides)[::-1]
        for side in order:
            tab.holm = rec.holm = sides[side]  # where the analysis step looks it up
            t = time.perf_counter()
            analyze_run(run)
            times[side].append(time.perf_counter() - t)
    tab.holm = rec.holm = ours
    print(f"load average {os.getloadavg()[0]:.2f}, {args.reps} repetitions")
    for side, ts in times.items():
        print(f"{side:12s} median {statistics.median(ts):.3f} s  min {min(ts):.3f} s")
    ratio = [a / b for a, b in zip(times["statsmodels"], times["ours"], strict=True)]
    print(f"statsmodels / ours: median {statistics.median(ratio):.2f}x")


if __name__ == "__main__":
    main()
