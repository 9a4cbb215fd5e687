"""Original data D_o for the culture setting: real labelled classification sets.

Davidson hate/offensive tweets, sentence polarity (Rotten Tomatoes) and Dreaddit stress posts,
read from the data directory (``biasinherit.paths``). Rows: ``id, text, label, source, split``.
Sets without an official split get a stable 80/20 split by a hash of the row id.
"""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Callable
from functools import cache

from biasinherit.errors import BiasInheritError
from biasinherit.paths import data_file, find_data_dir

DAVIDSON_LABELS = {"0": "hate", "1": "offensive", "2": "neither"}


def _hash_split(row_id: str) -> str:
    return "test" if zlib.crc32(row_id.encode()) % 5 == 0 else "train"


def _davidson() -> list[dict]:
    path = data_file("davidson_hate_offensive/labeled_data.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return [
            {"id": f"davidson-{r['']}", "text": r["tweet"], "label": DAVIDSON_LABELS[r["class"]]}
            for r in csv.DictReader(f)
        ]


def _rt_polarity() -> list[dict]:
    rows = []
    for label, suffix in (("positive", "pos"), ("negative", "neg")):
        path = data_file(f"rt_polarity/rt-polarity.{suffix}")
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        rows += [
            {"id": f"rt-{suffix}-{i}", "text": t.strip(), "label": label}
            for i, t in enumerate(lines)
            if t.strip()
        ]
    return rows


def _dreaddit() -> list[dict]:
    rows = []
    for split, name in (("train", "training"), ("test", "testing")):
        path = data_file(f"dreaddit/dreaddit_{name}.csv")
        with path.open(encoding="utf-8", newline="") as f:
            rows += [
                {
                    "id": f"dreaddit-{split}-{i}",
                    "text": r["text"],
                    "label": "stress" if r["label"].strip() == "1" else "no_stress",
                    "split": split,
                }
                for i, r in enumerate(csv.DictReader(f))
            ]
    return rows


DATASETS: dict[str, tuple[Callable[[], list[dict]], tuple[str, ...]]] = {
    "davidson": (_davidson, ("hate", "offensive", "neither")),
    "rt_polarity": (_rt_polarity, ("negative", "positive")),
    "dreaddit": (_dreaddit, ("stress", "no_stress")),
}


@cache
def _all_rows(name: str, root: str) -> tuple[dict, ...]:
    # ``root`` keys the cache: another data directory (a test's, a user's) is read afresh.
    rows = DATASETS[name][0]()
    for r in rows:
        r.setdefault("split", _hash_split(r["id"]))
        r["source"] = "original"
    return tuple(rows)


def load_classification(
    name: str,
    *,
    split: str = "train",
    n_per_label: int | None = None,
    seed: int = 0,
) -> list[dict]:
    """Rows of a labelled classification set, optionally ``n_per_label`` sampled per label.

    Examples
    --------
    >>> rows = load_classification("rt_polarity", n_per_label=2)
    >>> sorted(r["label"] for r in rows), rows[0]["source"]
    (['negative', 'negative', 'positive', 'positive'], 'original')
    """
    if name not in DATASETS:
        raise BiasInheritError(
            f"unknown classification data set {name!r}", f"available: {', '.join(DATASETS)}"
        )
    if split not in ("train", "test"):
        raise BiasInheritError(f"unknown split {split!r}", "use train or test")
    root = str(find_data_dir())
    rows = [dict(r) for r in _all_rows(name, root) if r["split"] == split]
    if n_per_label is None:
        return rows
    rng = random.Random(f"{name}:{split}:{seed}")
    out = []
    for label in DATASETS[name][1]:
        of_label = [r for r in rows if r["label"] == label]
        out += rng.sample(of_label, min(n_per_label, len(of_label)))
    return out
