"""Evaluate one model (base or base + adapter) on a list of tasks; keep per-item outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from biasinherit.evaluate._metrics import to_table
from biasinherit.evaluate._tasks import get_task


def evaluate_model(
    model,
    tok,
    tasks: list[str],
    *,
    n_per_group: int,
    seed: int = 0,
    n_boot: int = 1000,
    cell: dict | None = None,
    items_dir: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    text_transform: Callable[[str], str] | None = None,
    test_items: list[dict] | None = None,
) -> pd.DataFrame:
    """Run each task; return its metric rows (long table) and write per-item parquet files.

    ``seed`` fixes the test items, so every cell of a grid sees the same items (paired).
    ``text_transform`` rewrites each item's ``text`` (a mitigation's inference-time marker).
    ``test_items`` replace the task's own items (the user's held-out test pairs; one task).
    """
    frames = []
    for name in tasks:
        task = get_task(name)
        if test_items is not None and len(tasks) == 1:
            items = test_items
        else:
            items = task.items(n_per_group=n_per_group, seed=seed)
        if text_transform is not None:
            items = [dict(r, text=text_transform(r["text"])) if "text" in r else r for r in items]
        done = [0]

        def tick(k: int, name=name, total=len(items), done=done) -> None:
            done[0] += k
            if progress:
                progress(name, done[0], total)

        per_item = task.run(model, tok, items, progress=tick)
        if items_dir is not None:
            from biasinherit.files import atomic_write_bytes

            Path(items_dir).mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(
                Path(items_dir) / f"{name}.parquet", per_item.to_parquet(index=False)
            )
        frames.append(task_metrics(name, per_item, n_boot=n_boot, cell=cell))
    return pd.concat(frames, ignore_index=True)


def task_metrics(
    task: str, per_item: pd.DataFrame, *, n_boot: int = 1000, cell: dict | None = None
) -> pd.DataFrame:
    """One task's rows of the long metrics table from its per-item outputs (no model)."""
    return to_table(get_task(task).metrics(per_item, n_boot=n_boot), **(cell or {}))
