"""Bias specification: attributes (groups, cues, tasks, prompt templates) and the bias types.

A bias type is three binary prompt dimensions (framing, scope, cue) plus a neutral control.
"""

from biasinherit.bias._attributes import (
    Attribute,
    EvalGroup,
    TaskSpec,
    available_attributes,
    get_attribute,
    parse_attribute,
)
from biasinherit.bias._types import (
    BIAS_TYPES,
    PAPER_BIAS_TYPES,
    BiasType,
    Prompt,
    build_prompt,
)

__all__ = [
    "BIAS_TYPES",
    "PAPER_BIAS_TYPES",
    "Attribute",
    "BiasType",
    "EvalGroup",
    "Prompt",
    "TaskSpec",
    "available_attributes",
    "build_prompt",
    "get_attribute",
    "parse_attribute",
]
