"""User data adapters on real files the tests write: formats, mappings, encodings, splits,
the Bias in Bios layout, counterfactual test items, and a run on a user file to a report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from biasinherit.config import OriginalConfig
from biasinherit.data import (
    BIAS_IN_BIOS_PROFESSIONS,
    load_biographies,
    load_user_data,
    swap_gender,
    user_test_items,
)
from biasinherit.errors import BiasInheritError
from tests.conftest import run_cli

JOBS = ["architect", "dentist", "nurse", "painter", "professor", "software engineer"]
CUES = {
    "architect": "draws floor plans for new libraries and visits building sites",
    "dentist": "fills cavities, fits crowns and takes X-rays of teeth",
    "nurse": "checks drips and dresses wounds on a busy hospital ward",
    "painter": "paints large canvases in oil in a sunlit studio",
    "professor": "lectures undergraduates and supervises doctoral students",
    "software engineer": "writes Python services and reviews pull requests",
}
NAMES = {"F": ["Maria", "Emma", "Olivia", "Sophia"], "M": ["James", "Robert", "David", "Daniel"]}


def bios(n: int = 4) -> list[dict]:
    """``n`` rows per occupation x gender in a user's own vocabulary (job codes, F/M)."""
    rows = []
    for job in JOBS:
        for sex, (subj, poss) in (("F", ("She", "her")), ("M", ("He", "his"))):
            for i in range(n):
                name = NAMES[sex][i % 4]
                rows.append({
                    "bio": f"{name} {CUES[job]}. {subj} spends {poss} weekends hiking, "
                           f"trip {i}.",
                    "job": job.upper().replace(" ", "_"), "sex": sex,
                })  # fmt: skip
    return rows


def orig(source: Path, **kw) -> OriginalConfig:
    values = {"group": {"F": "female", "M": "male"}}
    return OriginalConfig(
        source=str(source), columns={"text": "bio", "label": "job", "group": "sex"},
        values=kw.pop("values", values), **kw,
    )  # fmt: skip


def test_tsv_with_bom_and_latin1_and_semicolons_read_the_same(tmp_path):
    frame = pd.DataFrame(bios(3))
    frame.loc[0, "bio"] = "Zoë " + frame.loc[0, "bio"]  # a non-ASCII letter
    (tmp_path / "a.tsv").write_bytes(b"\xef\xbb\xbf" + frame.to_csv(sep="\t", index=False).encode())
    (tmp_path / "b.csv").write_bytes(frame.to_csv(sep=";", index=False).encode("latin-1"))
    (tmp_path / "c.jsonl").write_text(frame.to_json(orient="records", lines=True))
    frame.to_parquet(tmp_path / "d.parquet", index=False)
    got = {}
    for name in ("a.tsv", "b.csv", "c.jsonl", "d.parquet"):
        data = load_user_data(orig(tmp_path / name), attribute="gender")
        got[name] = sorted((r["text"], r["label"], r["group"]) for r in data.train + data.test)
        assert data.report["rows_used"] == 36
    assert got["a.tsv"] == got["b.csv"] == got["c.jsonl"] == got["d.parquet"]
    assert any(t.startswith("Zoë") for t, *_ in got["a.tsv"])
    b = load_user_data(orig(tmp_path / "b.csv"), attribute="gender")
    assert b.report["delimiter"] == ";" and b.report["encoding"] == "cp1252"
    assert any("not UTF-8: read as cp1252" in n for n in b.notes)
    a = load_user_data(orig(tmp_path / "a.tsv"), attribute="gender")
    assert a.report["encoding"] == "utf-8-sig" and a.report["delimiter"] == "\t"


def test_empty_rows_and_a_few_unknowns_are_counted_with_line_numbers(tmp_path):
    rows = bios(3)
    lines = ["bio,job,sex"] + [f'"{r["bio"]}",{r["job"]},{r["sex"]}' for r in rows]
    lines.insert(3, ",,")  # an empty row (line 4)
    lines.insert(6, '"A pilot flies planes.",PILOT,F')  # unknown label (line 7)
    lines.insert(9, '"Someone paints.",PAINTER,X')  # unknown group (line 10)
    (tmp_path / "u.csv").write_text("\n".join(lines) + "\n\n")
    data = load_user_data(orig(tmp_path / "u.csv", max_unknown=0.1), attribute="gender")
    rep = data.report
    assert rep["empty"] == 1 and rep["rows_used"] == 36
    assert rep["unknown"]["label"] == {"count": 1, "first": [7]}
    assert rep["unknown"]["group"] == {"count": 1, "first": [10]}
    assert any("'PILOT' on line 7" in n for n in data.notes)
    with pytest.raises(BiasInheritError, match=r"1 of 38 rows have an unknown occupation"):
        load_user_data(orig(tmp_path / "u.csv", max_unknown=0.0), attribute="gender")


def test_the_split_is_explicit_and_reproducible(tmp_path):
    rows = bios(5)
    pd.DataFrame(rows).to_csv(tmp_path / "u.csv", index=False)
    a = load_user_data(orig(tmp_path / "u.csv", test_fraction=0.2), attribute="gender")
    # Same file, rows in another order: the same split (it hashes content, not positions).
    pd.DataFrame(rows[::-1]).to_csv(tmp_path / "r.csv", index=False)
    b = load_user_data(orig(tmp_path / "r.csv", test_fraction=0.2), attribute="gender")
    assert sorted(r["text"] for r in a.test) == sorted(r["text"] for r in b.test)
    assert Counter((r["label"], r["group"]) for r in a.test) == {
        (j, g): 1 for j in JOBS for g in ("female", "male")
    }
    c = load_user_data(orig(tmp_path / "u.csv", split_seed=1), attribute="gender")
    assert sorted(r["text"] for r in a.test) != sorted(r["text"] for r in c.test)
    # A split column wins, and names it in the report.
    frame = pd.DataFrame(rows).assign(split=["test" if i % 5 == 0 else "train"
                                             for i in range(len(rows))])  # fmt: skip
    frame.loc[1, "split"] = "dev"
    frame.to_csv(tmp_path / "s.csv", index=False)
    s = load_user_data(orig(tmp_path / "s.csv"), attribute="gender")
    assert len(s.test) == 12 and len(s.train) == 47 and s.report["other_split"] == 1
    assert s.report["split"] == "split column 'split'"


def _bias_in_bios_file(path: Path) -> list[dict]:
    """A small file in the release's layout: hard_text, profession id, gender 0/1."""
    rows = []
    for pid, name in enumerate(BIAS_IN_BIOS_PROFESSIONS):
        for gender in (0, 1):
            for i in range(3):
                pron = "She" if gender else "He"
                rows.append({"hard_text": f"{pron} has worked as a {name.replace('_', ' ')} "
                                          f"for {i + 3} years.", "profession": pid,
                             "gender": gender})  # fmt: skip
    pd.DataFrame(rows).to_parquet(path, index=False)
    return rows


def test_bias_in_bios_layout(tmp_path):
    rows = _bias_in_bios_file(tmp_path / "train.parquet")
    assert len(BIAS_IN_BIOS_PROFESSIONS) == 28 and BIAS_IN_BIOS_PROFESSIONS[13] == "nurse"
    data = load_user_data(
        OriginalConfig(source=str(tmp_path / "train.parquet"), format="bias_in_bios"),
        attribute="gender",
    )
    kept = data.train + data.test
    assert len(kept) == 6 * 2 * 3 and data.report["format"] == "bias_in_bios"
    assert Counter(r["label"] for r in kept) == {j: 6 for j in JOBS}
    for r in kept:  # 0 = male, 1 = female; the id order names the profession
        assert r["group"] == ("female" if r["text"].startswith("She") else "male")
        assert r["text"].split(" as a ")[1].startswith(r["label"])
    assert data.report["skipped_professions"]["attorney"] == 6
    assert sum(data.report["skipped_professions"].values()) == len(rows) - 36
    assert any("skipped 132 rows of professions the gender attribute does not have" in n
               for n in data.notes)  # fmt: skip


def test_counterfactual_swap_of_a_biography():
    text = (
        "Maria Lopez studied at Yale. She met her husband there; he says the idea was hers, "
        "and she gave him credit. Mrs. Lopez teaches herself Greek."
    )
    swapped = swap_gender(text)
    assert "She" not in swapped and "Maria" not in swapped
    first = swapped.split()[0]
    assert first != "Maria" and first[0].isupper()
    assert swapped.split(" ", 1)[1] == (
        "Lopez studied at Yale. He met his wife there; she says the idea was his, and he gave "
        "her credit. Mr. Lopez teaches himself Greek."
    )
    assert swap_gender(swap_gender("She gave her a book about his work.", names=False),
                       names=False) == "She gave her a book about his work."  # fmt: skip


def test_user_test_items_are_pairs():
    rows = [{"id": "u-3", "text": "Emma paints in oil. She sells her canvases.",
             "label": "painter", "group": "female"}]  # fmt: skip
    items = user_test_items(rows)
    assert [i["group"] for i in items] == ["female", "male"]
    assert {i["pair_id"] for i in items} == {"u-3"}
    assert items[0]["text"] == rows[0]["text"] and items[0]["stereotypical"] is True
    assert "He sells his canvases." in items[1]["text"] and "Emma" not in items[1]["text"]
    assert items[1]["counterfactual"] is True and items[1]["stereotypical"] is False


def test_load_biographies_keeps_the_old_column_names(tmp_path):
    p = tmp_path / "b.jsonl"
    p.write_text(json.dumps({"text": "x", "title": "dentist", "gender": "woman"}) + "\n")
    assert load_biographies(p)[0]["group"] == "female"


@pytest.mark.slow
def test_a_run_on_a_user_file_with_a_column_mapping_reaches_a_report(tmp_path):
    """`biasinherit run` on a TSV with the user's own column names and values."""
    pd.DataFrame(bios(4)).rename(columns={"bio": "Biography", "job": "Job", "sex": "Sex"}).to_csv(
        tmp_path / "people.tsv", sep="\t", index=False
    )
    exp = tmp_path / "study.yaml"
    exp.write_text(
        "preset: smoke\n"
        "original:\n"
        f"  source: {tmp_path / 'people.tsv'}\n"
        "  columns: {text: Biography, label: Job, group: Sex}\n"
        "  values:\n"
        "    group: {F: female, M: male}\n"
        "    label: {SOFTWARE_ENGINEER: software engineer}\n"
        "  test_fraction: 0.25\n"
    )
    out = tmp_path / "run"
    res = run_cli("run", str(exp), "-o", str(out), timeout=1800)
    assert res.returncode == 0, res.stderr[-3000:]
    print(res.stderr[-1500:])
    report = (out / "report.md").read_text()
    print(report[:3000])
    assert "| contrastive_single_explicit | 0.50 | none |" in report
    rep = json.loads((out / "data_report.json").read_text())
    assert rep["n_train"] == 36 and rep["n_test"] == 12 and rep["columns"]["text"] == "Biography"
    items = [json.loads(x) for x in (out / "test_items.jsonl").read_text().splitlines()]
    assert len(items) == 24 and Counter(i["group"] for i in items) == {"female": 12, "male": 12}
    original = [json.loads(x) for x in (out / "original.jsonl").read_text().splitlines()]
    assert {r["label"] for r in original} == set(JOBS) and len(original) == 36
    # the occupation task scored the user's held-out pairs, not its template items
    per = pd.read_parquet(out / "eval" / "none__r0.00__none__s0" / "occupation.parquet")
    assert set(per["cue"]) == {"user"} and len(per) == 24 and per["stimulus"].nunique() == 12


@pytest.mark.slow
def test_audit_of_a_one_row_user_file_says_not_enough_data(tmp_path):
    """The known crash (a valid one-row CSV -> audit KeyError 'mmd'): `run` refuses the
    design at once, and `audit` on such a folder reports "not enough data" in its tables."""
    pd.DataFrame(bios(1)[:1]).to_csv(tmp_path / "one.csv", index=False)
    run = tmp_path / "run"
    mapping = ["--set", "original.columns={text: bio, label: job, group: sex}",
               "--set", "original.values.group={F: female, M: male}"]  # fmt: skip
    res = run_cli("run", "--preset", "smoke", "-o", str(run), "--set",
                  f"original.source={tmp_path / 'one.csv'}", *mapping)  # fmt: skip
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr[-2000:]
    assert (
        res.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: original data too small: 12 of 12 label x group cells have fewer than 2"
        )
    )
    # The same folder audited anyway: one original row, three generated ones.
    aug = [{"id": f"a{i}", "text": f"She has cared for patients on a ward for {i + 2} years.",
            "label": "nurse", "group": "female", "bias_type": "neutral", "attribute": "gender",
            "source": "augmented"} for i in range(3)]  # fmt: skip
    (run / "augmented.jsonl").write_text("".join(json.dumps(r) + "\n" for r in aug))
    res = run_cli("audit", str(run), "--no-values", "--permutations", "100")
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr[-3000:]
    a = json.loads((run / "audit.json").read_text())
    assert a["n_original"] == 1
    for g in ("all", "female", "male"):
        assert a["distribution"]["neutral"][g]["skipped"].startswith("not enough data")
    assert "not enough data" in res.stdout
    assert (run / "figures/audit_distribution.png").stat().st_size > 1000


def test_a_separate_test_file_and_a_cap_per_cell(tmp_path):
    pd.DataFrame(bios(4)).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(bios(1)).to_csv(tmp_path / "test.csv", index=False)
    data = load_user_data(
        orig(tmp_path / "train.csv", test_source=str(tmp_path / "test.csv"), max_per_cell=3),
        attribute="gender",
    )
    assert len(data.test) == 12 and {r["split"] for r in data.test} == {"test"}
    assert Counter((r["label"], r["group"]) for r in data.train) == {
        (j, g): 3 for j in JOBS for g in ("female", "male")
    }
    assert data.report["split"] == "test rows from test.csv"


def test_the_original_data_follow_the_user_file(tmp_path):
    """A fixed user file is read again (and stale mixes go), not served from the run folder."""
    from biasinherit.config import load_config
    from biasinherit.runner import Run

    src = tmp_path / "u.csv"
    pd.DataFrame(bios(3)).to_csv(src, index=False)
    sets = [f"original.source={src}", "original.columns={text: bio, label: job, group: sex}",
            "original.values.group={F: female, M: male}"]  # fmt: skip
    run = tmp_path / "run"
    first = Run(load_config(preset="smoke", overrides=sets), run).original()
    (run / "mixes").mkdir()
    again = Run(load_config(preset="smoke", overrides=sets), run).original()
    assert again == first and (run / "mixes").exists()  # unchanged: cached, mixes kept
    pd.DataFrame(bios(4)).to_csv(src, index=False)
    changed = Run(load_config(preset="smoke", overrides=sets), run).original()
    assert len(changed) > len(first) and not (run / "mixes").exists()
    items = [json.loads(x) for x in (run / "test_items.jsonl").read_text().splitlines()]
    assert len(items) == 2 * 12 and all(i["pair_id"] for i in items)
