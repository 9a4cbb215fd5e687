"""Train: LoRA supervised fine-tuning on a mix, with pluggable mitigations.

The loop reads top to bottom in ``_loop.train_lora``; mitigations live in a registry.
"""

from biasinherit.train._loop import (
    TrainSpec,
    length_grouped_batches,
    source_balanced_batches,
    tokenize_examples,
    train_lora,
    train_spec,
)
from biasinherit.train.mitigations import MITIGATIONS, Mitigation, get_mitigation

__all__ = [
    "MITIGATIONS",
    "Mitigation",
    "TrainSpec",
    "get_mitigation",
    "length_grouped_batches",
    "source_balanced_batches",
    "tokenize_examples",
    "train_lora",
    "train_spec",
]
