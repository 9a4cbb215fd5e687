"""`biasinherit audit` on a tiny real run folder made by the real `generate` command."""

import json

import pytest

from biasinherit.report._audit_section import audit_section
from tests.conftest import run_cli
from tests.test_cli import one_line_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "run"
    res = run_cli(
        "generate", "--preset", "smoke", "-o", str(out), "--n", "4",
        "-b", "neutral", "-b", "contrastive_single_explicit",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_audit_cli_on_real_run(tiny_run):
    res = run_cli("audit", str(tiny_run), "--limit", "2", "--permutations", "200")
    assert res.returncode == 0, res.stderr[-3000:]
    a = json.loads((tiny_run / "audit.json").read_text())
    assert (tiny_run / "original.jsonl").exists()  # built from the run's config
    # Values: two questions, every country, similarities in [0, 1], probabilities sum to 1.
    v = a["values"]
    assert v["n_questions"] == 2
    assert set(v["similarity"]) == {"US", "CN", "EG", "JP"}
    for s in v["similarity"].values():
        assert 0 <= s["ci_low"] <= s["value"] <= s["ci_high"] <= 1
    for q in v["per_question"].values():
        for p in q["generator"].values():
            assert sum(p) == pytest.approx(1, abs=1e-3)
    # Distribution: both bias types, a valid permutation p-value and an AUC.
    assert set(a["distribution"]) == {"neutral", "contrastive_single_explicit"}
    for per in a["distribution"].values():
        assert 1 / 201 <= per["all"]["mmd"]["p_value"] <= 1
        assert 0 <= per["all"]["c2st"]["auc"] <= 1
    # Group data under the neutral prompt, per occupation and overall.
    gd = a["group_data"]["neutral"]
    assert a["group_data_reference"] == "neutral" and "all" in gd
    assert gd["all"]["n"] == a["n_augmented"]["neutral"]
    assert set(a["lexical"]) == {"original", "neutral", "contrastive_single_explicit"}
    for fig in a["figures"]:
        assert (tiny_run / fig).stat().st_size > 1000
    assert "audit_values" in " ".join(a["figures"])
    assert list((tiny_run / "audit" / "embeddings").glob("emb-*.npy"))
    # The printed summary and the report section show the key numbers.
    assert "| US |" in res.stdout and "MMD" in res.stdout
    section = "\n".join(audit_section(tiny_run))
    assert "## Audit" in section and "figures/audit_projection.png" in section


def test_report_section_absent_without_audit(tmp_path):
    assert audit_section(tmp_path) == []


def test_missing_augmented_is_one_line_error(tmp_path):
    (tmp_path / "original.jsonl").write_text('{"text": "She designs houses.", "group": "female"}\n')
    one_line_error(run_cli("audit", str(tmp_path), "--no-values"), "augmented.jsonl")
    one_line_error(run_cli("audit", str(tmp_path / "nope")), "not found")


def test_audit_help():
    res = run_cli("audit", "--help")
    assert res.returncode == 0 and "Examples" in res.stdout and "--limit" in res.stdout


def test_generate_prints_counts_groups_and_samples(tiny_run):
    """The same command again: served from the run's key, printed as tables and samples."""
    args = ["generate", "--preset", "smoke", "-o", str(tiny_run), "--n", "4"]
    args += ["-b", "neutral", "-b", "contrastive_single_explicit"]
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    assert "generated rows per bias type" in out and "filter rate" in out
    assert "group found in the text of kept rows" in out
    kept = [json.loads(x) for x in (tiny_run / "augmented.jsonl").read_text().splitlines()]
    for bt in ("neutral", "contrastive_single_explicit"):
        first = next(r for r in kept if r["bias_type"] == bt)
        assert f"{bt} · {first['label']} · {first['group']}:" in out
    res = run_cli(*args, "--format", "json")
    summary = json.loads(res.stdout[: res.stdout.rindex("}") + 1])
    assert {bt: c["kept"] for bt, c in summary.items()} == {
        "neutral": 4,
        "contrastive_single_explicit": 4,
    }
