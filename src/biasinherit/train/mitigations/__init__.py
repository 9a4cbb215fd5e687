"""Mitigations: small pluggable pieces of training, one file each, combinable with ``+``.

``none``, ``token``, ``mask``, ``loss`` (the paper's three and the baseline), ``reweight`` and
``counterfactual`` (beyond the paper); see each module for its source and settings.
``MITIGATIONS`` imports every module here on its first lookup: a new mitigation is one file.
"""

from biasinherit.train.mitigations._base import (
    MITIGATIONS,
    Combined,
    Mitigation,
    Params,
    check_attribute,
    get_mitigation,
    mitigation_config_model,
    params_for_key,
    split_spec,
)
from biasinherit.train.mitigations._lexicon import identity_lexicon
from biasinherit.train.mitigations.none import NoMitigation

__all__ = [
    "identity_lexicon",
    "MITIGATIONS",
    "Combined",
    "Mitigation",
    "NoMitigation",
    "Params",
    "check_attribute",
    "get_mitigation",
    "mitigation_config_model",
    "params_for_key",
    "split_spec",
]
