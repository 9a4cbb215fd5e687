"""Data: original data sets (template biographies, user files) and first-name lists.

Benchmark files are found through the data directory setting (see ``biasinherit.paths``).
"""

from biasinherit.data._bios import (
    AMBIGUOUS_CUES,
    HOBBIES,
    INTROS,
    PRONOUNS,
    STRONG_CUES,
    TEST_STRONG_CUES,
    WEAK_CUES,
    template_bios,
)
from biasinherit.data._counterfactual import swap_gender, user_test_items
from biasinherit.data._detect import make_up, name_group, text_group
from biasinherit.data._holistic import flatten_descriptors, holistic_bias_descriptors
from biasinherit.data._names import (
    all_names,
    country_names,
    drop_shared,
    first_names,
    group_names,
    guess_gender,
    interleave,
    name_pool,
    swap_names,
)
from biasinherit.data._source import ColumnsConfig, OriginalConfig, ValuesConfig
from biasinherit.data._user import (
    BIAS_IN_BIOS_PROFESSIONS,
    UserData,
    load_biographies,
    load_user_data,
)

__all__ = [
    "ColumnsConfig",
    "OriginalConfig",
    "ValuesConfig",
    "AMBIGUOUS_CUES",
    "BIAS_IN_BIOS_PROFESSIONS",
    "HOBBIES",
    "INTROS",
    "PRONOUNS",
    "STRONG_CUES",
    "TEST_STRONG_CUES",
    "WEAK_CUES",
    "UserData",
    "all_names",
    "country_names",
    "drop_shared",
    "first_names",
    "flatten_descriptors",
    "group_names",
    "guess_gender",
    "interleave",
    "holistic_bias_descriptors",
    "load_biographies",
    "load_user_data",
    "make_up",
    "name_group",
    "name_pool",
    "swap_gender",
    "swap_names",
    "template_bios",
    "text_group",
    "user_test_items",
]
