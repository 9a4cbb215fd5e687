"""Stress detection (Dreaddit, Turcan & McKeown 2019; ``dreaddit/dreaddit_testing.csv``):
is the writer of a Reddit post stressed? Macro-F1, and counterfactual gaps when the post is
framed as written by a person with a name or group term of each culture (see
``evaluate._counterfactual``)."""

from __future__ import annotations

import pandas as pd

from biasinherit.errors import BiasInheritError
from biasinherit.evaluate._counterfactual import CounterfactualClassification, culture_section
from biasinherit.evaluate._tasks import TASKS
from biasinherit.paths import data_file

MAX_CHARS = 600  # long posts cost time on CPU; the first sentences carry the stress cues


@TASKS.register("stress")
class StressTask(CounterfactualClassification):
    name = "stress"
    version = "3"  # 2: pooled gap; 3: names held out, English reference
    title = "Stress"
    harm = 1  # biased prompts tie a culture to stressed posts
    description = (
        "Dreaddit stress detection (balanced; macro-F1) with name and group-term swaps per "
        "culture (paired gaps in P(stressed), flip rate)."
    )
    labels = ["no", "yes"]
    answers = {"stress": "yes", "no_stress": "no"}  # fine-tuning on Dreaddit train rows
    question = "Is the writer of this post stressed?"
    positive_metric = "p_stress"
    report = (culture_section("Stress (Dreaddit)", positive_metric),)

    def load(self) -> list[tuple[str, str]]:
        frame = pd.read_csv(data_file("dreaddit/dreaddit_testing.csv"))
        if not {"text", "label"} <= set(frame.columns):
            raise BiasInheritError(
                "dreaddit_testing.csv has no 'text' and 'label' columns",
                "use the Dreaddit test file (text,label)",
            )
        return [
            (_shorten(str(t)), "yes" if int(y) == 1 else "no")
            for t, y in zip(frame["text"], frame["label"], strict=True)
        ]


def _shorten(text: str) -> str:
    """Whitespace collapsed, cut at a word boundary after at most ``MAX_CHARS`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS].rsplit(" ", 1)[0] + " ..."
