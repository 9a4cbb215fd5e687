"""Minimum sizes, checked from the design before any work: can this run say anything?

A run is refused at once, with one line that names the smallest size that would work, when
a label x group cell of the original data has fewer than ``MIN_ROWS_PER_CELL`` rows (a
label the model never sees for one group makes the group gap a data artefact), when a bias
ratio adds no augmented row at all (that cell would repeat gamma = 0), or when a group has
fewer than ``MIN_TEST_PER_GROUP`` test items (no gap, no interval). Stages that need n >= k
further down (MMD, the classifier test, bootstraps) report "not enough data" instead.
"""

from __future__ import annotations

from collections import Counter

from biasinherit.errors import BiasInheritError

MIN_ROWS_PER_CELL = 2
MIN_TEST_PER_GROUP = 2


def _cells(cfg) -> tuple[list[tuple[str, str | None]], str]:
    from biasinherit.bias import get_attribute

    attr = get_attribute(cfg.attribute).with_groups(cfg.augment.groups)
    spec = attr.task(cfg.augment.task)
    if spec.kind == "biography":
        return [(lab, g) for lab in spec.labels for g in attr.groups], "label x group"
    return [(lab, None) for lab in spec.labels], "label"


def smallest_original(ratio: float, mode: str = "fixed_original") -> int:
    """The fewest original rows for which ``ratio`` adds at least one augmented row.

    Examples
    --------
    >>> smallest_original(0.05), smallest_original(0.5)
    (10, 1)
    """
    from biasinherit.mix import n_augmented

    n = 1
    while n_augmented(ratio, n, mode) < 1:  # type: ignore[arg-type]
        n += 1
    return n


def check_design(cfg, original: list[dict], test_items: list[dict] | None = None) -> None:
    """Refuse a design that cannot give a meaningful estimate (see the module docstring).

    ``test_items`` are the held-out user items (None for the built-in test items, which are
    balanced by construction).
    """
    from biasinherit.mix import n_augmented

    cells, what = _cells(cfg)
    counts = Counter((r.get("label"), r.get("group") if cells[0][1] else None) for r in original)
    small = [(c, counts.get(c, 0)) for c in cells if counts.get(c, 0) < MIN_ROWS_PER_CELL]
    if small:
        shown = ", ".join(f"{'/'.join(x for x in c if x)} {n}" for c, n in small[:4])
        more = f" and {len(small) - 4} more" if len(small) > 4 else ""
        need = MIN_ROWS_PER_CELL * len(cells)
        raise BiasInheritError(
            f"original data too small: {len(small)} of {len(cells)} {what} cells have fewer "
            f"than {MIN_ROWS_PER_CELL} training rows ({shown}{more})",
            f"the smallest design that works has {MIN_ROWS_PER_CELL} rows in each of the "
            f"{len(cells)} cells ({need} rows); add rows, or raise original.per_group",
        )
    n_o = len(original)
    for ratio in cfg.ratios:
        if ratio > 0 and n_augmented(ratio, n_o, cfg.mix_mode) < 1:
            raise BiasInheritError(
                f"bias ratio {ratio:g} adds no augmented row to {n_o} original rows",
                f"drop it, or use at least {smallest_original(ratio, cfg.mix_mode)} original rows",
            )
    if test_items is None:
        return
    groups = [g for _, g in cells if g] and sorted({g for _, g in cells if g})
    per_group = Counter(r.get("group") for r in test_items)
    for g in groups or []:
        if per_group.get(g, 0) < MIN_TEST_PER_GROUP:
            raise BiasInheritError(
                f"the test split has {per_group.get(g, 0)} items for group {g!r}",
                f"every group needs at least {MIN_TEST_PER_GROUP} test items: add rows, raise "
                "original.test_fraction, or fix the split column",
            )
    if len(test_items) < MIN_TEST_PER_GROUP:
        raise BiasInheritError(
            f"the test split has {len(test_items)} items",
            f"at least {MIN_TEST_PER_GROUP} are needed: raise original.test_fraction",
        )
