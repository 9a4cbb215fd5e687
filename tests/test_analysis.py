"""The analysis step on run folders whose per-item outcomes are drawn here from a known
model (seed, training-run and stimulus effects, crossed): the statistics are under test,
so the truth must be known. The real pipeline's runs are tested in test_pipeline.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from biasinherit.config import dump_config, load_config
from biasinherit.evaluate import get_task
from biasinherit.evaluate._metrics import to_table
from biasinherit.layout import grid

OCC = get_task("occupation")


def fake_run(
    tmp_path,
    *,
    seeds=(0, 1, 2),
    ratios=(0.0, 0.2, 0.5),
    mitigations=("none",),
    slope=0.0,
    effect=None,
    run_sd=0.02,
    seed=0,
    n_per_group=8,
):
    """Write a run folder: config, per-item occupation outcomes, metrics.

    Per rendering, P(true) = 0.6 + (±½ stereotype gap) + stimulus effect + noise, where the
    gap of a run is ``0.05 + slope·γ + effect[mitigation] + a`` with ``a`` a random shift
    per training run (sd ``run_sd``). ``effect[m]`` may also hold ``"gender"`` (a shift of
    female renderings), ``"accuracy"`` (a shift of P(true) for every item).
    """
    effect = effect or {}
    sets = [
        f"mitigations=[{', '.join(mitigations)}]",
        f"seeds={list(seeds)}",
        f"ratios={list(ratios)}",
        f"evaluate.n_per_group={n_per_group}",
        "evaluate.tasks=[occupation]",
    ]
    cfg = load_config(preset="smoke", overrides=sets)
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.yaml").write_text(dump_config(cfg))
    items = pd.DataFrame(OCC.items(n_per_group=n_per_group, seed=0))
    rng = np.random.default_rng(seed)
    stim = {s: rng.normal(0, 0.03) for s in items["stimulus"].unique()}
    frames = []
    for cell in grid(cfg):
        e = effect.get(cell.mitigation, {}) if cell.ratio > 0 else {}
        gap = 0.05 + slope * cell.ratio + e.get("gap", 0.0) + rng.normal(0, run_sd)
        per = items.copy()
        sign = np.where(per["stereotypical"] == True, 0.5, -0.5)  # noqa: E712 (None: ambiguous)
        fem = np.where(per["group"] == "female", e.get("gender", 0.0), 0.0)
        base = 0.6 + e.get("accuracy", 0.0) + per["stimulus"].map(stim).to_numpy()
        p = base + sign * gap + fem + rng.normal(0, 0.05, len(per))
        lab = per["cue"] != "ambiguous"
        per["p_true"] = np.where(lab, np.clip(p, 0.01, 0.99), np.nan)
        # the argmax is right when P(true) clears 0.45 (a steady classifier, as a tuned one is)
        per["correct"] = np.where(lab, (per["p_true"] > 0.45).astype(float), np.nan)
        amb_sign = np.where(per["group"] == "female", 0.5, -0.5)
        per["logodds_f"] = np.where(~lab, amb_sign * gap * 4 + rng.normal(0, 0.2, len(per)), np.nan)
        per["stereotype"] = per["stereotypical"].map(
            {True: "stereotypical", False: "anti-stereotypical"}
        )
        d = tmp_path / "eval" / cell.name
        d.mkdir(parents=True)
        per.to_parquet(d / "occupation.parquet")
        frames.append(to_table(OCC.metrics(per, n_boot=50), **cell.as_dict()))
    pd.concat(frames).to_parquet(tmp_path / "metrics.parquet")
    return tmp_path


def analyze(path):
    from biasinherit.analysis import analyze_run

    return analyze_run(path)


def test_levels_say_what_they_resample(tmp_path):
    t = analyze(fake_run(tmp_path))
    lv = t["levels"]
    gap = lv[(lv["measure"] == "stereotype_gap") & (lv["ratio"] == 0.5)].iloc[0]
    assert gap["n_seeds"] == 3 and gap["n_stimuli"] == 96  # 6 occupations × 8 × (strong, weak)
    assert gap["resamples"] == "seeds × stimuli (3 × 96)"
    assert gap["ci_low"] < gap["value"] < gap["ci_high"]
    amb = lv[(lv["measure"] == "ambiguous_gap") & (lv["ratio"] == 0.5)].iloc[0]
    assert amb["n_stimuli"] == 32


def test_stereotype_gap_weights_both_stereotype_directions_equally(tmp_path):
    """A plain preference for male renderings is not a stereotype gap (4 of 6 occupations are
    male-stereotyped, so an unweighted gap would show a third of it)."""
    fake_run(
        tmp_path,
        seeds=(0, 1),
        ratios=(0.0, 0.5),
        mitigations=("none", "mask"),
        effect={"mask": {"gender": -0.12}},
        run_sd=0.0,
    )
    eff = analyze(tmp_path)["mitigations"].set_index("measure")
    assert abs(eff.loc["stereotype_gap", "value"]) < 0.01
    assert eff.loc["gender_effect", "value"] == pytest.approx(-0.12, abs=0.02)
    per = pd.read_parquet(next(tmp_path.glob("eval/*r0.50__mask__s0/occupation.parquet")))
    per = per[per["cue"] != "ambiguous"]
    w = per.pivot_table(index="pair_id", columns="stereotype", values="p_true")
    unweighted = (w["stereotypical"] - w["anti-stereotypical"]).mean()
    base = pd.read_parquet(next(tmp_path.glob("eval/*r0.50__none__s0/occupation.parquet")))
    base = base[base["cue"] != "ambiguous"]
    wb = base.pivot_table(index="pair_id", columns="stereotype", values="p_true")
    assert unweighted - (wb["stereotypical"] - wb["anti-stereotypical"]).mean() > 0.02  # ~0.04


def test_trend_detects_a_planted_dose_response(tmp_path):
    t = analyze(fake_run(tmp_path, slope=0.2, seeds=(0, 1, 2, 3)))["trend"].set_index("measure")
    r = t.loc["stereotype_gap"]
    assert r["primary"] and r["verdict"] == "inherited"
    assert r["change"] == pytest.approx(0.1, abs=0.04) and r["change_ci_low"] > 0
    assert r["change_mde"] > 0 and r["n_seeds"] == 4


def test_the_headline_is_corrected_over_its_bias_types_only(tmp_path):
    """Primary and secondary families: the headline's Holm p does not grow with the number
    of secondary measures; those are corrected among themselves."""
    from biasinherit.stats import holm

    t = analyze(fake_run(tmp_path, slope=0.1, ratios=(0.0, 0.5)))["trend"]
    prim, sec = t[t["primary"]], t[~t["primary"]]
    assert len(prim) == 1 and len(sec) >= 3
    assert set(t["family"]) == {"primary", "secondary"}
    assert prim["p_holm"].iloc[0] == pytest.approx(prim["p_value"].iloc[0])
    expect = holm(sec["p_value"].to_numpy(dtype=float))
    assert sec["p_holm"].to_numpy() == pytest.approx(expect)
    assert (sec["p_holm"] >= sec["p_value"]).all()


def test_no_trend_is_not_detected_and_one_seed_is_inconclusive(tmp_path):
    flat = analyze(fake_run(tmp_path / "a", slope=0.0))["trend"].set_index("measure")
    assert flat.loc["stereotype_gap", "verdict"] in ("not detected", "inherited")
    assert flat.loc["stereotype_gap", "verdict"] == "not detected"
    one = analyze(fake_run(tmp_path / "b", seeds=(0,), slope=0.3))["trend"]
    one = one.set_index("measure")
    assert one.loc["stereotype_gap", "verdict"] == "inconclusive"
    assert "training variance unknown" in one.loc["stereotype_gap", "resamples"]


def _aa_units(rng, n_seeds=3, n_stim=96, run_sd=0.05, item_sd=0.07):
    """Units of the stereotype gap for none and an A/A "mitigation": the same distribution,
    plus a random shift per training run (none's and loss's alike)."""
    stim = rng.normal(0, 0.03, n_stim)
    rows = []
    for cell in (("none", 0.0, "none"), ("b", 0.5, "none"), ("b", 0.5, "loss")):
        for s in range(n_seeds):
            v = 0.05 + stim + rng.normal(0, run_sd) + rng.normal(0, item_sd, n_stim)
            rows.append(pd.DataFrame({"measure": "stereotype_gap", "bias_type": cell[0],
                                      "ratio": cell[1], "mitigation": cell[2], "round": 1,
                                      "seed": s, "unit": np.arange(n_stim).astype(str),
                                      "stimulus": np.arange(n_stim).astype(str),
                                      "stratum": "all", "value": v}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


@pytest.mark.slow  # hundreds of simulated A/A data sets
def test_aa_random_run_shift_is_not_recommended():
    """A mitigation that only adds a random shift per training run (no effect): the old test,
    items pooled across seeds, calls it significant most of the time; the seed-level rule
    finds an effect at most at its nominal rate."""
    from scipy import stats

    from biasinherit.analysis import MeasureData, recommend

    m = next(x for x in OCC.measures if x.name == "stereotype_gap")
    rng = np.random.default_rng(7)
    n, pooled, rule = 200, 0, 0
    for _ in range(n):
        u = _aa_units(rng)
        w = u[u["ratio"] == 0.5].pivot_table(index=["seed", "unit"], columns="mitigation",
                                              values="value")  # fmt: skip
        pooled += stats.ttest_1samp(w["loss"] - w["none"], 0).pvalue < 0.05
        rec = recommend({m.name: MeasureData.from_units(m, u)}, primary=m.name, others=[],
                        performance=None)  # fmt: skip
        rule += rec["verdict"].isin(["reduces", "increases", "reverses"]).any()
    assert pooled / n > 0.5
    assert rule / n <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / n)


def test_an_aa_run_folder_gets_no_recommendation(tmp_path):
    fake_run(tmp_path, mitigations=("none", "loss"), run_sd=0.05, seed=3, ratios=(0.0, 0.5))
    rec = analyze(tmp_path)["recommendation"].set_index("mitigation")
    assert not rec["recommended"].any() and rec.loc["loss", "verdict"] == "no clear effect"


def test_a_mitigation_that_worsens_a_second_measure_is_not_picked(tmp_path):
    """`m` closes the stereotype gap but pushes female renderings down: the gender effect
    grows beyond its interval, so the rule refuses it; `good` does the same without harm."""
    fake_run(
        tmp_path,
        mitigations=("none", "mask", "token"),
        ratios=(0.0, 0.5),
        run_sd=0.005,
        slope=0.1,
        seeds=(0, 1, 2, 3, 4),
        effect={"mask": {"gap": -0.05, "gender": -0.1}, "token": {"gap": -0.05}},
    )
    rec = analyze(tmp_path)["recommendation"].set_index("mitigation")
    assert rec.loc["mask", "verdict"] == "reduces" and "gender_effect" in rec.loc["mask", "worsens"]
    assert not rec.loc["mask", "recommended"]
    assert rec.loc["token", "recommended"] and rec.loc["token", "worsens"] == ""


def test_cost_must_be_bounded_not_merely_insignificant(tmp_path):
    """An accuracy loss whose interval reaches below -2 points blocks the pick, even when
    the interval includes zero."""
    fake_run(
        tmp_path,
        mitigations=("none", "mask"),
        ratios=(0.0, 0.5),
        run_sd=0.005,
        slope=0.1,
        effect={"mask": {"gap": -0.05, "accuracy": -0.03}},
    )
    rec = analyze(tmp_path)["recommendation"].set_index("mitigation")
    assert rec.loc["mask", "verdict"] == "reduces" and not rec.loc["mask", "non_inferior"]
    assert rec.loc["mask", "perf_ci_low"] < -0.02 and not rec.loc["mask", "recommended"]


def test_a_flipped_gap_is_never_a_reduction(tmp_path):
    fake_run(
        tmp_path,
        mitigations=("none", "mask"),
        ratios=(0.0, 0.5),
        run_sd=0.005,
        effect={"mask": {"gap": -0.08}},
    )  # fmt: skip   (0.05 -> -0.03: smaller, other sign)
    rec = analyze(tmp_path)["recommendation"].set_index("mitigation")
    assert abs(rec.loc["mask", "after"]) < abs(rec.loc["mask", "base"])
    assert rec.loc["mask", "verdict"] == "reverses" and not rec.loc["mask", "recommended"]


def test_one_seed_recommends_nothing_and_says_why(tmp_path):
    from biasinherit.report._mitigation_section import recommendation_lines

    fake_run(
        tmp_path,
        seeds=(0,),
        mitigations=("none", "mask"),
        ratios=(0.0, 0.5),
        effect={"mask": {"gap": -0.05}},
    )
    rec = analyze(tmp_path)["recommendation"]
    assert not rec["recommended"].any() and set(rec["verdict"]) == {"inconclusive"}
    assert "training variance is unknown" in recommendation_lines(rec)[0]


def test_missing_pairs_fail_loudly(tmp_path):
    from biasinherit.analysis import MeasureData, collect_units, recommend
    from biasinherit.errors import BiasInheritError

    fake_run(tmp_path, mitigations=("none", "mask"), ratios=(0.0, 0.5))
    for p in tmp_path.glob("eval/*__r0.50__none__*"):  # none's cells lost
        for f in p.iterdir():
            f.unlink()
    ms = list(OCC.measures)
    units = collect_units(tmp_path, ms)
    mds = {m.name: MeasureData.from_units(m, units) for m in ms if m.name in set(units["measure"])}
    with pytest.raises(BiasInheritError, match="share no seed"):
        recommend(mds, primary="stereotype_gap", others=[], performance="accuracy")


@pytest.mark.slow  # hundreds of simulated A/A data sets
def test_calibration_of_the_trend_and_the_rule(tmp_path):
    from biasinherit.analysis import calibrate_run

    fake_run(tmp_path, mitigations=("none", "mask"), slope=0.1)
    analyze(tmp_path)
    cal = calibrate_run(tmp_path, n_trend=200, n_rule=60)
    tr = {r["measure"]: r for r in cal["trend"]}["stereotype_gap"]
    assert tr["n_resamples"] == 200 and tr["fpr_ci_low"] <= tr["false_positive_rate"]
    assert tr["false_positive_rate"] <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 200)
    assert tr["power_at_2x"] > tr["power_at_0x"]  # a planted slope is found more often
    assert np.isfinite(tr["analytic_mde"]) and tr["analytic_mde"] > 0
    assert 0 <= cal["rule"]["false_positive_rate"] <= 0.2
    assert json.loads((tmp_path / "analysis" / "calibration.json").read_text())["trend"]


@pytest.mark.slow  # hundreds of simulated A/A data sets
def test_two_gamma_levels_are_calibrated_too(tmp_path):
    """The quick preset's design (γ = 0 and 0.5, three seeds): residual draws need no third
    level, so its trend test gets a measured size and a planted-slope MDE."""
    from biasinherit.analysis import calibrate_run

    fake_run(tmp_path, ratios=(0.0, 0.5), slope=0.0)
    analyze(tmp_path)
    tr = {r["measure"]: r for r in calibrate_run(tmp_path, n_trend=200, n_rule=20)["trend"]}
    g = tr["stereotype_gap"]
    assert g["false_positive_rate"] <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 200)
    assert g["power_at_2x"] > 0.8 and np.isfinite(g["empirical_mde"])


@pytest.mark.slow
def test_commands_read_the_analysis(tmp_path):
    from tests.conftest import run_cli

    fake_run(
        tmp_path,
        mitigations=("none", "mask"),
        slope=0.4,
        run_sd=0.01,
        seeds=(0, 1, 2, 3, 4),
        effect={"mask": {"gap": -0.05}},
    )
    res = run_cli("trend", str(tmp_path), "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = {r["measure"]: r for r in json.loads(res.stdout)}
    assert rows["stereotype_gap"]["verdict"] == "inherited"
    res = run_cli("trend", str(tmp_path))
    assert res.returncode == 0 and res.stdout.startswith("Inherited.")
    res = run_cli("ablation", str(tmp_path), "--recommend")
    assert res.returncode == 0 and "use `mask`" in res.stdout, res.stdout + res.stderr
    res = run_cli("significance", str(tmp_path), "--format", "json")
    assert res.returncode == 0 and json.loads(res.stdout)
    res = run_cli("calibrate", str(tmp_path), "--n-trend", "50", "--n-rule", "50")
    assert res.returncode == 0 and "false-positive rate" in res.stdout, res.stderr


def test_recomputing_judges_as_the_run_did(tmp_path):
    """A command that recomputes the tables (``trend``, ``report``) takes alpha and
    max_cost from the run's config, not from defaults."""
    from biasinherit.analysis import analyze_run

    judged_strictly(tmp_path)
    analyze_run(tmp_path)
    plan = json.loads((tmp_path / "analysis" / "plan.json").read_text())
    assert (plan["alpha"], plan["max_cost"]) == (0.01, 0.05)
    analyze_run(tmp_path, alpha=0.1)  # an explicit value still wins
    assert json.loads((tmp_path / "analysis" / "plan.json").read_text())["alpha"] == 0.1


@pytest.mark.slow  # simulated A/A data sets
def test_calibration_takes_the_runs_config(tmp_path):
    """``calibrate`` uses the run's alpha and resample counts unless told otherwise."""
    from biasinherit.analysis import calibrate_run

    judged_strictly(tmp_path)
    cal = calibrate_run(tmp_path)
    assert cal["alpha"] == 0.01
    assert {r["n_resamples"] for r in cal["trend"]} == {50}


def judged_strictly(run_dir) -> None:
    """A fake run whose config asks for alpha 0.01, max_cost 0.05 and 50 resamples."""
    import yaml

    fake_run(run_dir, mitigations=("none", "loss"), seeds=(0, 1), ratios=(0.0, 0.5))
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    cfg["analysis"].update(alpha=0.01, max_cost=0.05, n_trend=50, n_rule=50)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
