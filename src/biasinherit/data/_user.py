"""User data as the original data D_o: a file, a column mapping, a value mapping, a split.

``original:`` in the config names a CSV, TSV, JSONL or Parquet file, which column holds the
text, the label and the group (``columns``), and how raw values map to the attribute's
groups and labels (``values``, e.g. ``group: {F: female, M: male}``). Rows with an unknown
label or group are counted and reported with their first line numbers; more than
``max_unknown`` of them is an error. ``format: bias_in_bios`` reads the public Bias in Bios
release (``LabHC/bias_in_bios``): ``hard_text``, ``profession`` (an id, 0..27, names below)
and ``gender`` (0 male, 1 female); professions the attribute does not have are skipped and
counted, not an error. The train/test split is explicit: a ``split`` column, a
``test_source`` file, or a seeded split of each label x group cell (``test_fraction``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from biasinherit.bias import Attribute, TaskSpec, get_attribute
from biasinherit.data._readers import Table, read_table
from biasinherit.errors import BiasInheritError
from biasinherit.files import content_hash

# The 28 professions of Bias in Bios in the order of their ids, as the LabHC/bias_in_bios
# release's README tabulates them (accountant = 0 ... yoga_teacher = 27; gender 0 = male,
# 1 = female); checked against that README (Hugging Face, commit 7dedfa2).
BIAS_IN_BIOS_PROFESSIONS = (
    "accountant", "architect", "attorney", "chiropractor", "comedian", "composer", "dentist",
    "dietitian", "dj", "filmmaker", "interior_designer", "journalist", "model", "nurse",
    "painter", "paralegal", "pastor", "personal_trainer", "photographer", "physician", "poet",
    "professor", "psychologist", "rapper", "software_engineer", "surgeon", "teacher",
    "yoga_teacher",
)  # fmt: skip
_BIAS_IN_BIOS = {"text": "hard_text", "label": "profession", "group": "gender"}

_ALIASES = {
    "text": ("text", "bio", "biography", "hard_text"),
    "label": ("label", "occupation", "profession", "title"),
    "group": ("group", "gender"),
    "split": ("split",),
    "id": ("id",),
}
# Gender as users write it; 0/1 follow Bias in Bios (0 = male, 1 = female).
_GENDER_VALUES = {
    "f": "female",
    "female": "female",
    "woman": "female",
    "0": "male",
    "m": "male",
    "male": "male",
    "man": "male",
    "1": "female",
}
_SPLITS = {"train": "train", "training": "train", "test": "test", "testing": "test"}
_OTHER_SPLITS = {"dev", "val", "valid", "validation"}
SHOW_LINES = 5  # line numbers shown per kind of problem


@dataclass
class UserData:
    """Training and test rows of a user file, and what happened to every other row."""

    train: list[dict]
    test: list[dict]
    report: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _norm(value: object) -> str:
    return re.sub(r"\s+", " ", str(value).strip().lower().replace("_", " "))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()


def _column(table: Table, role: str, given: str | None, required: bool) -> str | None:
    if given:
        if given not in table.columns:
            raise BiasInheritError(
                f"{table.path} has no column {given!r} (original.columns.{role}); "
                f"its columns: {', '.join(table.columns[:20]) or 'none'}",
                f"set original.columns.{role} to one of them",
            )
        return given
    found = next((c for c in _ALIASES[role] if c in table.columns), None)
    if found is None and required:
        raise BiasInheritError(
            f"{table.path} has no {role} column (looked for {', '.join(_ALIASES[role])}; "
            f"its columns: {', '.join(table.columns[:20]) or 'none'})",
            f"name it in original.columns.{role}",
        )
    return found


class _Mapper:
    """Raw label and group values -> the attribute's, with the user's mapping first."""

    def __init__(self, original, attr: Attribute, task: TaskSpec, bias_in_bios: bool) -> None:
        self.labels = {_norm(k): k for k in task.labels}
        self.user_labels = {str(k): v for k, v in original.values.label.items()}
        self.user_groups = {str(k): v for k, v in original.values.group.items()}
        self.groups = {_norm(g): g for g in attr.groups}
        if attr.name == "gender":
            self.groups |= {k: v for k, v in _GENDER_VALUES.items() if v in attr.groups}
        self.bias_in_bios = bias_in_bios

    def label(self, raw: object) -> tuple[str | None, str | None]:
        """(label, skipped profession) for a raw label value."""
        text = str(raw).strip()
        if text in self.user_labels:
            text = self.user_labels[text]
        elif self.bias_in_bios:
            idx = _integer(text)
            if idx is None or not 0 <= idx < len(BIAS_IN_BIOS_PROFESSIONS):
                return None, None
            text = BIAS_IN_BIOS_PROFESSIONS[idx]
            found = self.labels.get(_norm(text))
            return (found, None) if found else (None, text)
        return self.labels.get(_norm(text)), None

    def group(self, raw: object) -> str | None:
        text = str(raw).strip()
        if _integer(text) is not None:  # a float column of 0/1 reads "1.0"
            text = str(_integer(text))
        if text in self.user_groups:
            text = self.user_groups[text]
        return self.groups.get(_norm(text))


def _integer(text: str) -> int | None:
    """ "13" and "13.0" -> 13; anything else -> None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def load_user_rows(
    original, *, attribute: str = "gender", task: str | None = None, source: str | None = None
) -> tuple[list[dict], dict, list[str]]:
    """Rows of one user file mapped to the project's schema, a report and notes.

    ``original`` is the config's ``original`` section; ``source`` overrides its file (the
    ``test_source``). Each row keeps its ``line`` and, when the file says so, its ``split``.
    """
    from biasinherit.text import strip_unsafe

    attr = get_attribute(attribute)
    spec = attr.task(task)
    grouped = spec.kind == "biography"
    bib = original.format == "bias_in_bios"
    table = read_table(
        source or original.source,
        fmt="auto" if bib else original.format,
        delimiter=original.delimiter,
        encoding=original.encoding,
    )
    want = {r: getattr(original.columns, r) or (_BIAS_IN_BIOS.get(r) if bib else None)
            for r in _ALIASES}  # fmt: skip
    required = {"text": True, "label": True, "group": grouped}
    cols = {r: _column(table, r, want[r], required.get(r, False)) for r in _ALIASES}
    mapper = _Mapper(original, attr, spec, bib)
    label_word = "occupation" if grouped and attr.name == "gender" else "label"
    problems: dict[str, list[tuple[int, str]]] = {"label": [], "group": [], "split": []}
    counts: Counter = Counter(empty=table.empty)
    skipped: Counter = Counter()
    rows = []
    for line, rec in table.records:
        text = rec.get(cols["text"])
        if _missing(text):
            counts["empty"] += 1
            continue
        text, n_unsafe = strip_unsafe(str(text).strip())
        counts["control_chars_stripped"] += bool(n_unsafe)
        label, other = mapper.label(rec.get(cols["label"], ""))
        if other:
            skipped[other] += 1
            continue
        if label is None:
            problems["label"].append((line, str(rec.get(cols["label"]))))
            continue
        group = mapper.group(rec.get(cols["group"], "")) if cols["group"] else None
        if cols["group"] and group is None:
            problems["group"].append((line, str(rec.get(cols["group"]))))
            continue
        split = None
        if cols["split"]:
            raw_split = _norm(rec.get(cols["split"], ""))
            if raw_split in _OTHER_SPLITS:
                counts["other_split"] += 1
                continue
            split = _SPLITS.get(raw_split)
            if split is None:
                problems["split"].append((line, str(rec.get(cols["split"]))))
                continue
        rid = rec.get(cols["id"]) if cols["id"] else None
        rows.append(
            {
                "id": f"u-{rid if not _missing(rid) else line}",
                "text": text,
                "label": label,
                "source": "original",
                "attribute": attr.name,
                "group": group,
                "bias_type": "none",
                "generator": None,
                "prompt_id": None,
                "seed": 0,
                "split": split,
                "cue": "user",
                "stereotypical": attr.stereotype.get(label) == group if group else None,
                "line": line,
            }
        )
    _dedupe_ids(rows)
    considered = len(rows) + sum(len(v) for v in problems.values())
    words = {"label": f"{label_word}", "group": attr.name, "split": "split value"}
    notes = list(table.notes)
    for kind, bad in problems.items():
        if not bad:
            continue
        first = ", ".join(f"{v!r} on {table.unit} {ln}" for ln, v in bad[:SHOW_LINES])
        more = f" and {len(bad) - SHOW_LINES} more" if len(bad) > SHOW_LINES else ""
        msg = f"{len(bad)} of {considered} rows have an unknown {words[kind]} ({first}{more})"
        if kind == "split" or len(bad) > original.max_unknown * max(considered, 1):
            raise BiasInheritError(f"{table.path}: {msg}", _unknown_hint(kind, spec, attr))
        notes.append(f"{table.path.name}: skipped {msg}")
    if skipped:
        top = ", ".join(f"{k} {v}" for k, v in skipped.most_common(6))
        notes.append(
            f"{table.path.name}: skipped {sum(skipped.values())} rows of professions the "
            f"{attr.name} attribute does not have ({top}{', ...' if len(skipped) > 6 else ''})"
        )
    if counts["empty"]:
        notes.append(f"{table.path.name}: skipped {counts['empty']} empty rows")
    if not rows:
        raise BiasInheritError(
            f"{table.path} holds no usable rows", f"each row needs a text and a {label_word}"
        )
    report = {
        "file": str(table.path),
        "format": "bias_in_bios" if bib else table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "columns": cols,
        "rows_read": len(table.records) + table.empty,
        "rows_used": len(rows),
        "empty": counts["empty"],
        "other_split": counts["other_split"],
        "control_chars_stripped": counts["control_chars_stripped"],
        "unknown": {
            k: {"count": len(v), "first": [ln for ln, _ in v[:SHOW_LINES]]}
            for k, v in problems.items()
        },  # fmt: skip
        "skipped_professions": dict(skipped),
    }
    return rows, report, notes


def _unknown_hint(kind: str, spec: TaskSpec, attr: Attribute) -> str:
    if kind == "split":
        return "split values must be train or test (dev/validation rows are skipped)"
    if kind == "label":
        return f"map them with original.values.label; known: {', '.join(spec.labels)}"
    return f"map them with original.values.group, e.g. {{F: {attr.groups[0]}}}; known: " + (
        ", ".join(attr.groups)
    )


def _dedupe_ids(rows: list[dict]) -> None:
    seen: Counter = Counter(r["id"] for r in rows)
    for r in rows:
        if seen[r["id"]] > 1:
            r["id"] = f"{r['id']}-l{r['line']}"


def split_rows(rows: list[dict], *, test_fraction: float, seed: int) -> list[dict]:
    """Mark each row train or test, per label x group cell: the rows of a cell are ordered by
    a hash of (seed, text), the first ``round(test_fraction * n)`` are test (at least one
    when the cell has two rows). Reproducible, and independent of the file's row order."""
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        cells.setdefault((r["label"], r["group"]), []).append(r)
    for cell in cells.values():
        cell.sort(key=lambda r: (content_hash(seed, r["text"]), r["id"]))
        n_test = round(test_fraction * len(cell))
        n_test = max(n_test, 1) if len(cell) >= 2 else 0
        for i, r in enumerate(cell):
            r["split"] = "test" if i < n_test else "train"
    return rows


def cap_per_cell(rows: list[dict], cap: int, seed: int) -> list[dict]:
    """At most ``cap`` rows per label x group (a seeded, order-independent choice)."""
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        cells.setdefault((r["label"], r["group"]), []).append(r)
    keep = set()
    for cell in cells.values():
        cell.sort(key=lambda r: (content_hash(seed, "cap", r["text"]), r["id"]))
        keep |= {id(r) for r in cell[:cap]}
    return [r for r in rows if id(r) in keep]


def load_user_data(original, *, attribute: str = "gender", task: str | None = None) -> UserData:
    """The config's ``original`` file as train and test rows (see the module docstring)."""
    rows, report, notes = load_user_rows(original, attribute=attribute, task=task)
    if original.test_source:
        test, test_report, test_notes = load_user_rows(
            original, attribute=attribute, task=task, source=original.test_source
        )
        rows = [dict(r, split="train") for r in rows]
        test = [dict(r, split="test", id=f"{r['id']}-t") for r in test]
        report["test_file"] = test_report
        notes += test_notes
        how = f"test rows from {Path(original.test_source).name}"
    elif report["columns"]["split"]:
        test = [r for r in rows if r["split"] == "test"]
        rows = [r for r in rows if r["split"] == "train"]
        how = f"split column {report['columns']['split']!r}"
    else:
        split_rows(rows, test_fraction=original.test_fraction, seed=original.split_seed)
        test = [r for r in rows if r["split"] == "test"]
        rows = [r for r in rows if r["split"] == "train"]
        how = (
            f"seeded split: {original.test_fraction:g} of each label x group held out "
            f"(split_seed {original.split_seed})"
        )
    if original.max_per_cell:
        rows = cap_per_cell(rows, original.max_per_cell, original.split_seed)
    report |= {"split": how, "n_train": len(rows), "n_test": len(test)}
    return UserData(rows, test, report, notes)


def load_biographies(
    path: str | Path, *, split: str = "train", seed: int = 0, attribute: str = "gender"
) -> list[dict]:
    """Every row of a biographies file (CSV, TSV, JSONL, Parquet) with the usual column
    names (text, occupation, gender; see ``_ALIASES``), unsplit: for the stage commands.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bios.csv"
    >>> _ = p.write_text("bio,occupation,gender\\n\\"She fills cavities.\\",dentist,F\\n")
    >>> [(r["label"], r["group"]) for r in load_biographies(p)]
    [('dentist', 'female')]
    """
    from biasinherit.data._source import OriginalConfig

    rows, _, _ = load_user_rows(
        OriginalConfig(source=str(path), max_unknown=0.0), attribute=attribute
    )
    for r in rows:
        r.update(split=split, seed=seed)
    return rows
