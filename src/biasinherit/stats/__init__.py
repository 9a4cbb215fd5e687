"""Statistics: one core for every interval, test, trend and recommendation.

Seeds (training randomness) and test stimuli (the sampling of test items) are the levels of
replication; they are crossed, since every run sees the same stimuli.
"""

from biasinherit.stats._bootstrap import bootstrap_mean, cluster_bootstrap
from biasinherit.stats._crossed import (
    ALPHA,
    POWER,
    Estimate,
    crossed_estimate,
    stimulus_weights,
    variance_components,
)
from biasinherit.stats._measures import Measure, logit
from biasinherit.stats._multitest import benjamini_hochberg, holm

__all__ = [
    "ALPHA",
    "POWER",
    "Estimate",
    "Measure",
    "benjamini_hochberg",
    "bootstrap_mean",
    "cluster_bootstrap",
    "crossed_estimate",
    "holm",
    "logit",
    "stimulus_weights",
    "variance_components",
]
