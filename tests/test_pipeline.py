"""End to end on the real embedded model: the smoke preset, caching, stage commands."""

import json

import pandas as pd
import pytest

from biasinherit.evaluate import COLUMNS
from biasinherit.files import read_jsonl
from tests.conftest import run_cli

pytestmark = pytest.mark.slow  # every test here runs the CLI or a pipeline


def test_smoke_run_produces_every_artifact(smoke_run):
    for f in (
        "config.yaml",
        "versions.json",
        "original.jsonl",
        "augmented.jsonl",
        "metrics.parquet",
        "metrics.csv",
        "report.md",
        "figures/occupation.png",
        "figures/trend.png",
        "analysis/levels.parquet",
        "analysis/trend.parquet",
        "analysis/calibration.json",
        "timings.json",
        "generate/summary.json",
        "audit.json",  # the audit: section is on by default
        "figures/audit_projection.png",
        "figures/audit_values.png",
    ):
        assert (smoke_run / f).exists(), f
    audit = json.loads((smoke_run / "audit.json").read_text())
    assert len(audit["values"]["per_question"]) == 3  # smoke: audit.limit = 3
    assert "contrastive_single_explicit" in audit["distribution"]
    assert "## Audit: misalignment before training" in (smoke_run / "report.md").read_text()
    adapters = sorted(p.name for p in (smoke_run / "adapters").iterdir())
    assert adapters == ["contrastive_single_explicit__r0.50__none__s0", "none__r0.00__none__s0"]
    for a in adapters:
        files = {p.name for p in (smoke_run / "adapters" / a).iterdir()}
        assert "adapter_model.safetensors" in files and not any(f.endswith(".bin") for f in files)


def test_augmented_rows_carry_provenance_and_mixes_hit_the_ratio(smoke_run):
    aug = read_jsonl(smoke_run / "augmented.jsonl")
    assert len(aug) == 24  # |D_a| = 0.5 * 24 / 0.5
    for r in aug:
        assert r["source"] == "augmented" and r["bias_type"] == "contrastive_single_explicit"
        assert r["generator"].startswith("gguf:SmolLM2") and r["prompt_id"] and "seed" in r
        assert r["group"] in ("female", "male")
    summary = json.loads((smoke_run / "generate" / "summary.json").read_text())
    s = summary["contrastive_single_explicit"]
    assert s["generated"] >= s["kept"] == 24
    filtered = sum(v for k, v in s.items() if k.startswith("filtered_"))
    assert s["filter_rate"] == round(filtered / s["generated"], 4)
    # what is neither kept nor filtered is spare: passed the filters beyond the 24 needed
    assert 0 <= s["generated"] - s["kept"] - filtered
    mix = read_jsonl(smoke_run / "mixes" / "s0" / "contrastive_single_explicit" / "0.50.jsonl")
    assert sum(r["source"] == "augmented" for r in mix) == len(mix) // 2


def test_metrics_table_is_long_and_complete(smoke_run):
    m = pd.read_parquet(smoke_run / "metrics.parquet")
    assert list(m.columns) == COLUMNS
    occ = m[(m.task == "occupation") & (m.metric == "accuracy") & m.comparison.isna()]
    assert set(occ.group) >= {"female", "male", "all", "stereotypical", "anti-stereotypical"}
    assert set(occ.bias_type) == {"untuned", "none", "contrastive_single_explicit"}
    assert occ.value.between(0, 1).all()
    gap = m[(m.task == "occupation") & (m.metric == "accuracy") & (m.comparison == "difference")]
    assert len(gap) == 6
    assert set(zip(gap.group, gap.reference, strict=True)) == {
        ("female", "male"),
        ("stereotypical", "anti-stereotypical"),
    }
    assert m.comparison.isin([None, "difference", "ratio"]).all()
    assert (m.reference.isna() == m.comparison.isna()).all()
    assert (m[m.task == "salary"].metric == "unparseable").any()
    items = pd.read_parquet(smoke_run / "eval" / "none__r0.00__none__s0" / "occupation.parquet")
    # smoke: one pair per occupation and cue (strong, weak) and per ambiguous occupation pair
    assert len(items) == 2 * (6 + 6 + 4) and {"pred", "correct", "p_true"} <= set(items.columns)
    assert items["stimulus"].nunique() == 16


def test_training_learns_the_task(smoke_run):
    log = json.loads(
        (smoke_run / "adapters" / "none__r0.00__none__s0" / "train_log.json").read_text()
    )
    assert log["loss"][-1] < log["loss"][0]
    assert log["pad_share"] < 0.2 and log["useful_tokens_per_s"] > 0


def test_report_shows_the_table_and_escapes_generated_text(smoke_run, tmp_path):
    import shutil

    from biasinherit.files import write_jsonl
    from biasinherit.report import write_report

    text = (smoke_run / "report.md").read_text()
    # columns: bias type | γ | mitigation | measure
    assert "| contrastive_single_explicit | 0.50 | none |" in text
    assert "figures/occupation.png" in text
    # a generator that writes markup: the report shows the text, escaped, never as markup
    run = shutil.copytree(smoke_run, tmp_path / "run")
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    rows = read_jsonl(run / "augmented.jsonl")
    write_jsonl(run / "augmented.jsonl", [{**r, "text": f"{evil} {r['text']}"} for r in rows])
    write_report(run)
    md, page = (run / "report.md").read_text(), (run / "report.html").read_text()
    assert "alert(1)" in md and "<script>" not in md and "<img src=x" not in md
    assert "&lt;script&gt;alert(1)" in page and "<script>alert" not in page


def test_report_leads_with_the_trend_and_says_one_seed_is_not_enough(smoke_run):
    text = (smoke_run / "report.md").read_text()
    first = text.index("## ")
    assert text[first:].startswith("## Does the model inherit the bias?")
    assert "**Inconclusive.**" in text and "training variance is unknown" in text
    assert "stimuli only (12; 1 seed" in text  # every interval says what it resamples
    card = json.loads((smoke_run / "card.json").read_text())
    assert card["headline"] and card["trend"][0]["verdict"] == "inconclusive"
    assert {"n_seeds", "n_stimuli", "resamples"} <= set(card["downstream_bias"][0])


def test_rerun_recomputes_nothing(smoke_run):
    adapter = smoke_run / "adapters" / "none__r0.00__none__s0" / "adapter_model.safetensors"
    before = adapter.stat().st_mtime_ns
    metrics_before = pd.read_parquet(smoke_run / "metrics.parquet")
    res = run_cli("run", "--preset", "smoke", "-o", str(smoke_run))
    assert res.returncode == 0, res.stderr[-2000:]
    assert adapter.stat().st_mtime_ns == before
    t = json.loads((smoke_run / "timings.json").read_text())
    assert "train" not in t and "generate" not in t and "audit" not in t
    pd.testing.assert_frame_equal(pd.read_parquet(smoke_run / "metrics.parquet"), metrics_before)


def test_stage_commands_on_a_user_file(tmp_path, smoke_run):
    """mix -> train -> evaluate through the CLI, on a biographies CSV the test writes."""
    from biasinherit.data import load_biographies

    bios = tmp_path / "bios.csv"
    lines = ["text,occupation,gender"]
    for r in read_jsonl(smoke_run / "original.jsonl"):
        lines.append(f'"{r["text"]}",{r["label"]},{r["group"]}')
    bios.write_text("\n".join(lines) + "\n")
    rows = load_biographies(bios)
    from biasinherit.files import write_jsonl

    write_jsonl(tmp_path / "o.jsonl", rows)
    res = run_cli(
        "mix",
        "--original",
        str(tmp_path / "o.jsonl"),
        "--augmented",
        str(smoke_run / "augmented.jsonl"),
        "--ratios",
        "0.2",
        "-o",
        str(tmp_path / "mixes"),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    res = run_cli(
        "train",
        str(tmp_path / "mixes" / "0.20.jsonl"),
        "-o",
        str(tmp_path / "ad"),
        "--preset",
        "smoke",
        "--set",
        "train.epochs=0.5",
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "ad" / "adapter_model.safetensors").exists()
    res = run_cli(
        "evaluate",
        "--adapter",
        str(tmp_path / "ad"),
        "--tasks",
        "occupation,winobias",
        "-n",
        "1",
        "--format",
        "json",
        "-o",
        str(tmp_path / "ev"),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout)
    wb = [r for r in out if r["task"] == "winobias" and r["comparison"] == "difference"]
    assert {(r["metric"], r["group"], r["reference"]) for r in wb} == {
        ("accuracy", "pro", "anti"),
        ("p_true", "pro", "anti"),
    }
    assert (tmp_path / "ev" / "winobias.parquet").exists()
