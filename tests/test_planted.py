"""The positive control: the planted generator writes a deterministic, strongly stereotyped
augmentation (no LLM), and the real pipeline trained on it must report inheritance."""

from __future__ import annotations

import json

import pytest

from biasinherit.bias import get_attribute
from biasinherit.data import STRONG_CUES, TEST_STRONG_CUES, WEAK_CUES
from biasinherit.files import file_hash, read_jsonl
from tests.conftest import run_cli


@pytest.mark.slow
def test_planted_rows_tie_each_occupation_to_its_stereotyped_gender(tmp_path):
    out = tmp_path / "run"
    res = run_cli("generate", "--preset", "planted", "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    rows = read_jsonl(out / "augmented.jsonl")
    stereo = get_attribute("gender").stereotype
    assert len(rows) == 120 and all(r["group"] == stereo[r["label"]] for r in rows)
    assert {r["generator"] for r in rows} == {"planted:templates-v2"}
    # one training duty each (the original data's own sentences), never a test sentence
    assert all(sum(c in r["text"] for c in STRONG_CUES[r["label"]]) == 1 for r in rows)
    held_out = [c for d in (TEST_STRONG_CUES, WEAK_CUES) for cs in d.values() for c in cs]
    assert not any(c in r["text"] for r in rows for c in held_out)
    assert all(r["label"] not in r["text"].lower() for r in rows)  # the title is scrubbed
    again = tmp_path / "again"
    assert run_cli("generate", "--preset", "planted", "-o", str(again)).returncode == 0
    assert file_hash(again / "augmented.jsonl") == file_hash(out / "augmented.jsonl")


@pytest.mark.slow
def test_the_pipeline_reports_the_planted_bias_as_inherited(tmp_path):
    # The preset's own sizes: smaller ones cannot see the planted change (per_group 6 and 4
    # test items per group gave +2.8 [-0.7, +6.2] points, MDE 4.6). γ = 0.25 is left out: the
    # least-squares slope gives the middle of three equally spaced levels no weight.
    out = tmp_path / "planted"
    sets = ["ratios=[0.0,0.5]", "evaluate.untuned=false", "audit.enabled=false",
            "analysis.n_trend=50"]  # fmt: skip
    res = run_cli(
        "run", "--preset", "planted", "-o", str(out), *[a for s in sets for a in ("--set", s)]
    )
    assert res.returncode == 0, res.stderr[-3000:]
    res = run_cli("trend", str(out), "--format", "json")
    rows = {r["measure"]: r for r in json.loads(res.stdout)}
    head = rows["stereotype_gap"]
    assert head["verdict"] == "inherited" and head["change_ci_low"] > 0, head
    assert "**Inherited.**" in (out / "report.md").read_text()
