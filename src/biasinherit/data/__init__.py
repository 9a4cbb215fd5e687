"""Data: original data sets (template biographies, user files) and first-name lists.

Benchmark files are found through the data directory setting (see ``biasinherit.paths``).
"""

from biasinherit.data._bios import (
    AMBIGUOUS_CUES,
    STRONG_CUES,
    TEST_STRONG_CUES,
    WEAK_CUES,
    template_bios,
)
from biasinherit.data._counterfactual import swap_gender, user_test_items
from biasinherit.data._names import first_names, name_pool
from biasinherit.data._user import (
    BIAS_IN_BIOS_PROFESSIONS,
    UserData,
    load_biographies,
    load_user_data,
)

__all__ = [
    "AMBIGUOUS_CUES",
    "BIAS_IN_BIOS_PROFESSIONS",
    "STRONG_CUES",
    "TEST_STRONG_CUES",
    "WEAK_CUES",
    "UserData",
    "first_names",
    "load_biographies",
    "load_user_data",
    "name_pool",
    "swap_gender",
    "template_bios",
    "user_test_items",
]
