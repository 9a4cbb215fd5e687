"""The statistics core: size of the crossed test under A/A, agreement with a mixed model,
strata, one seed, and the cluster bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from biasinherit.stats import (
    bootstrap_mean,
    crossed_estimate,
    holm,
    stimulus_weights,
    variance_components,
)


def _draw(rng, s, c, sa, sb, se):
    return rng.normal(0, sa, (s, 1)) + rng.normal(0, sb, (1, c)) + rng.normal(0, se, (s, c))


@pytest.mark.parametrize(
    "s,c,sa,sb,se",
    [
        (3, 40, 1.0, 1.0, 1.0),  # seeds dominate: where Satterthwaite's df reject 7-8 %
        (3, 40, 0.5, 0.1, 1.0),
        (2, 40, 0.3, 0.3, 1.0),  # two seeds: 12 % with Satterthwaite
        (4, 48, 0.5, 0.5, 2.0),
    ],
)
def test_size_under_aa(s, c, sa, sb, se):
    """No effect: the test rejects at most 5 % (+ Monte-Carlo error) of simulated designs."""
    rng = np.random.default_rng(s * 1000 + c)
    n = 800
    rej = sum(crossed_estimate(_draw(rng, s, c, sa, sb, se)).p_value < 0.05 for _ in range(n))
    assert rej / n <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / n)


def test_detects_a_real_effect_and_interval_agrees_with_p():
    rng = np.random.default_rng(1)
    z = 0.8 + _draw(rng, 4, 40, 0.2, 0.5, 1.0)
    e = crossed_estimate(z)
    assert e.p_value < 0.05 and e.ci_low > 0
    e0 = crossed_estimate(z, null=float(z.mean()))  # testing the estimate itself
    assert e0.p_value > 0.99 and e0.ci_low < z.mean() < e0.ci_high
    assert e.mde > 2 * e.se  # 80 % power needs more than the 95 % half-width


def test_one_seed_says_training_variance_unknown():
    e = crossed_estimate(np.random.default_rng(0).normal(size=(1, 30)))
    assert not e.training_variance_known and "training variance unknown" in e.resamples
    assert e.se_seeds == 0 and e.df_stimuli == 29


def test_strata_do_not_count_fixed_differences_as_noise():
    """Two strata with different means: the stimulus variance is taken within strata."""
    rng = np.random.default_rng(2)
    z = _draw(rng, 3, 20, 0.1, 0.2, 0.2) + np.repeat([0.0, 5.0], 10)[None, :]
    strata = np.repeat(["f", "m"], 10)
    pooled = crossed_estimate(z)
    within = crossed_estimate(z, strata=strata)
    assert within.se_stimuli < pooled.se_stimuli / 5


def test_weights_balance_strata():
    w = stimulus_weights(np.ones(6), np.array(["f", "f", "m", "m", "m", "m"]))
    assert np.allclose(w, [0.25, 0.25, 0.125, 0.125, 0.125, 0.125])
    z = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, 0.0]] * 2) + np.array([[0.0], [0.01]])
    assert crossed_estimate(z, weights=w).value == pytest.approx(0.505)


def test_variance_components_match_statsmodels_mixedlm():
    """On a balanced crossed design the ANOVA components equal MixedLM's REML fit."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    s, c = 6, 30
    z = _draw(rng, s, c, 1.0, 0.7, 0.5)
    ours = variance_components(z)
    frame = pd.DataFrame(
        {"y": z.ravel(), "seed": np.repeat(np.arange(s), c), "stim": np.tile(np.arange(c), s)}
    )
    frame["one"] = 1
    fit = smf.mixedlm(
        "y ~ 1", frame, groups="one", vc_formula={"seed": "0 + C(seed)", "stim": "0 + C(stim)"}
    ).fit(reml=True)
    vc = dict(zip(fit.model.exog_vc.names, fit.vcomp, strict=True))
    assert ours["seed"] == pytest.approx(vc["seed"], rel=0.02)
    assert ours["stimulus"] == pytest.approx(vc["stim"], rel=0.02)
    assert ours["residual"] == pytest.approx(fit.scale, rel=0.02)


def test_bootstrap_mean_resamples_clusters():
    """Whole clusters: two clusters of identical values give resamples of 0, 0.5 or 1 only."""
    v = np.repeat([0.0, 1.0], 4)
    lo, hi = bootstrap_mean(v, np.repeat(["a", "b"], 4), n_boot=400, rng=np.random.default_rng(0))
    assert lo == 0.0 and hi == 1.0
    lo1, hi1 = bootstrap_mean(v, None, n_boot=400, rng=np.random.default_rng(0))
    assert 0.0 < lo1 < 0.5 < hi1 < 1.0  # items alone: a much narrower interval


def test_holm_equals_statsmodels_exactly():
    """Holm is computed here (statsmodels' calls gc.collect each time); same numbers."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    for m in (1, 2, 7, 40):
        p = rng.uniform(0, 0.2, m) ** 2
        p[: m // 3] = p[0]  # ties
        assert np.array_equal(holm(p), multipletests(p, method="holm")[1])
    p = np.array([0.01, np.nan, 0.04, 0.5, np.nan])
    want = multipletests(p[~np.isnan(p)], method="holm")[1]
    got = holm(p)
    assert np.isnan(got[[1, 4]]).all() and np.array_equal(got[[0, 2, 3]], want)
    assert np.isnan(holm(np.array([np.nan]))).all() and holm(np.array([])).size == 0
