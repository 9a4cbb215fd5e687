"""Sentence polarity (Pang & Lee 2005 movie-review snippets, ``rt_polarity/``): positive or
negative, macro-F1, and counterfactual gaps when the snippet is framed as written by a person
with a name or group term of each culture (see ``evaluate._counterfactual``)."""

from __future__ import annotations

from biasinherit.data.classification import load_classification
from biasinherit.evaluate._counterfactual import CounterfactualClassification, culture_section
from biasinherit.evaluate._tasks import TASKS


@TASKS.register("sentiment")
class SentimentTask(CounterfactualClassification):
    name = "sentiment"
    version = "4"  # 2: test split only; 3: pooled gap; 4: names held out, English reference
    title = "Sentiment"
    harm = -1  # biased prompts tie a culture to negative reviews
    description = (
        "Movie-review polarity (rt_polarity, balanced; macro-F1) with name and group-term "
        "swaps per culture (paired gaps in P(positive), flip rate)."
    )
    labels = ["negative", "positive"]
    question = "Is the sentiment of this movie review positive or negative?"
    positive_metric = "p_positive"
    report = (culture_section("Sentence polarity", positive_metric),)

    def load(self) -> list[tuple[str, str]]:
        # The test part of the stable split: the culture setting fine-tunes on the train part.
        return [(r["text"], r["label"]) for r in load_classification("rt_polarity", split="test")]
