"""``planted``: a positive control with no LLM. Every request gets a deterministic template
biography of the prompt's occupation, always in its stereotyped gender, with one of the
training duty sentences (the original data's own) and no other cue: in the augmentation an
occupation only ever comes with one gender, as the most biased generator would write it. A
pipeline that trains on it must inherit the stereotype; the ``planted`` preset checks that
the report says so.
"""

from __future__ import annotations

import random

from pydantic import Field

from biasinherit.bias import Prompt, get_attribute
from biasinherit.data import HOBBIES, INTROS, PRONOUNS, STRONG_CUES
from biasinherit.generate.backends._base import BACKENDS, Generation, Params

IDENTITY = "planted:templates-v2"


class PlantedParams(Params):
    attribute: str = Field("gender", description="whose groups the templates name")


@BACKENDS.register("planted")
class PlantedBackend:
    """Positive control (no LLM): template biographies of each occupation's stereotyped gender."""

    Params = PlantedParams
    identity = IDENTITY
    takes_plan = True  # receives the planned prompts (topic, group, name), not only their text

    def __init__(self, model: str = "", batch_size: int = 32, attribute: str = "gender") -> None:
        self.attribute = get_attribute(attribute)

    @classmethod
    def identity_for(cls, model: str, params: PlantedParams) -> str:
        return IDENTITY

    def generate(
        self,
        prompts: list[Prompt],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
    ) -> list[Generation]:
        from biasinherit.data import group_names

        names = group_names(self.attribute)
        out = []
        for p, seed in zip(prompts, seeds, strict=True):
            rng = random.Random(seed)
            group = p.group or rng.choice(self.attribute.groups)
            subj, _, poss = PRONOUNS[group]
            name = p.name or rng.choice(names[group])
            a_topic = ("an " if p.topic[:1] in "aeiou" else "a ") + p.topic
            duty = rng.choice(STRONG_CUES[p.topic])
            text = (
                f"{name} works as {a_topic}. {subj} {duty}. {subj} {rng.choice(INTROS)}. "
                f"In {poss} free time, {subj.lower()} {rng.choice(HOBBIES)}."
            )
            out.append(Generation(text, 0, len(text.split())))
        return out
