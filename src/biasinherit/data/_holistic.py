"""HolisticBias v1.1 descriptors (Smith et al. 2022): the one reader of ``descriptors.json``.

The file maps an axis (``gender_and_sex``, ``nationality`` ...) to buckets of entries, each a
plain descriptor or a mapping with a ``descriptor`` and tags (``gender``, ``preference``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from biasinherit.paths import data_file

DESCRIPTORS = "holistic_bias/v1.1/descriptors.json"


def holistic_bias_descriptors() -> dict:
    """The parsed descriptors file of the data directory (axis -> bucket -> entries); a
    missing file is a one-line error. Read once per path; do not modify the result."""
    return _read(data_file(DESCRIPTORS))


@cache
def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def flatten_descriptors(node: object) -> list[str]:
    """Every descriptor under a node of the file: entries' ``descriptor`` and plain strings.

    Examples
    --------
    >>> flatten_descriptors({"a": ["Arab", {"descriptor": "Chinese", "preference": "x"}]})
    ['Arab', 'Chinese']
    """
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        if "descriptor" in node:
            return [node["descriptor"]]
        return [x for v in node.values() for x in flatten_descriptors(v)]
    if isinstance(node, list):
        return [x for v in node for x in flatten_descriptors(v)]
    return []
