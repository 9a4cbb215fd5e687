"""Analyze: why bias will transfer, before training — values, group data, data distribution.

``audit_run`` compares a run's augmented data (and its generator) with the original data and
with real populations; the pieces below are usable on their own.
"""

from biasinherit.analyze._audit import audit_run, distribution_tests, values_audit
from biasinherit.analyze._distribution import (
    RidgeLogistic,
    auc_score,
    c2st,
    median_bandwidth,
    mmd_test,
)
from biasinherit.analyze._embed import Embedder, embed_texts, minilm_dir
from biasinherit.analyze._groups import compare_make_up, make_up, name_group, text_group
from biasinherit.analyze._lexical import identity_terms, lexical_profile, stereotype_words
from biasinherit.analyze._option_order import option_orders, position_bias, to_original
from biasinherit.analyze._values import (
    COUNTRIES,
    WvsQuestion,
    ask_generator,
    average_orders,
    bootstrap_mean,
    common_questions,
    compare_values,
    load_wvs,
    survey_prompt,
    value_similarity,
)

__all__ = [
    "COUNTRIES",
    "Embedder",
    "RidgeLogistic",
    "WvsQuestion",
    "ask_generator",
    "audit_run",
    "auc_score",
    "average_orders",
    "bootstrap_mean",
    "c2st",
    "common_questions",
    "compare_make_up",
    "compare_values",
    "distribution_tests",
    "embed_texts",
    "identity_terms",
    "lexical_profile",
    "load_wvs",
    "make_up",
    "median_bandwidth",
    "minilm_dir",
    "mmd_test",
    "name_group",
    "option_orders",
    "position_bias",
    "stereotype_words",
    "survey_prompt",
    "text_group",
    "to_original",
    "value_similarity",
    "values_audit",
]
