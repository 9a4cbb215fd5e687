"""Bias types: the three binary prompt dimensions of the paper, plus a neutral control.

A bias type is a declaration of its three dimensions; its prompt text is data in the
attribute's YAML (``templates``), per attribute and task. The paper's six ("Bias #1..#6") are
our choice of six of the eight combinations; the paper's exact mapping is unknown. All eight
are available; `biasinherit bias-types list` prints this table from the registry:

====  ===================================  ===========  ==============  ========
 #     name                                 framing      scope           cue
====  ===================================  ===========  ==============  ========
 1     contextual_single_explicit           contextual   single          explicit
 2     contextual_single_implicit           contextual   single          implicit
 3     contrastive_single_explicit          contrastive  single          explicit
 4     contrastive_single_implicit          contrastive  single          implicit
 5     contextual_intersectional_explicit   contextual   intersectional  explicit
 6     contrastive_intersectional_implicit  contrastive  intersectional  implicit
 -     contextual_intersectional_implicit   contextual   intersectional  implicit
 -     contrastive_intersectional_explicit  contrastive  intersectional  explicit
 -     neutral (the control)                none         none            none
====  ===================================  ===========  ==============  ========

Why these six: all four single-attribute combinations (the paper's most harmful types,
contrastive-explicit and contextual-implicit, among them), plus one intersectional type per
framing, each with the cue the paper's examples use for it. Intersectional prompts stack an
age (explicit: "older", implicit: a birth year) on the attribute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from biasinherit.bias._attributes import Attribute, TaskSpec, get_attribute  # noqa: F401
from biasinherit.registry import Registry

Framing = Literal["contextual", "contrastive", "none"]
Scope = Literal["single", "intersectional", "none"]
Cue = Literal["explicit", "implicit", "none"]


@dataclass(frozen=True)
class BiasType:
    """One combination of framing, scope and cue (or the neutral control)."""

    name: str
    framing: Framing
    scope: Scope
    cue: Cue
    paper_index: int | None = None
    description: str = ""

    @property
    def biased(self) -> bool:
        return self.framing != "none"


BIAS_TYPES: Registry[BiasType] = Registry("bias type")

_DEFS = [
    ("neutral", None, "No bias instruction: the generator's own default (the control)."),
    ("contextual_single_explicit", 1, "Stereotype carried by the background; group named."),
    ("contextual_single_implicit", 2, "Stereotype carried by the background; cued by a name."),
    ("contrastive_single_explicit", 3, "Two groups compared directly; groups named."),
    ("contrastive_single_implicit", 4, "Two people compared; groups cued by names only."),
    ("contextual_intersectional_explicit", 5, "Background stereotype; age stacked; named."),
    ("contrastive_intersectional_implicit", 6, "Two people compared; age stacked; names+years."),
    ("contextual_intersectional_implicit", None, "Background stereotype; age stacked; by name."),
    ("contrastive_intersectional_explicit", None, "Two groups compared; age stacked; named."),
]
for _name, _idx, _desc in _DEFS:
    _parts = _name.split("_") if _name != "neutral" else ["none"] * 3
    BIAS_TYPES.add(_name, BiasType(_name, *_parts, paper_index=_idx, description=_desc))  # type: ignore[arg-type]

PAPER_BIAS_TYPES = [n for n, bt in BIAS_TYPES.items() if bt.paper_index]


@dataclass(frozen=True)
class Prompt:
    """One generation request, with everything needed to record provenance."""

    prompt_id: str
    text: str
    topic: str
    group: str | None
    bias_type: str
    name: str | None = None
    age: str | None = None
    task: str | None = None
    example_id: str | None = None


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def build_prompt(
    bt: BiasType,
    attribute: Attribute,
    topic: str,
    group: str | None,
    names: dict[str, list[str]],
    rng: random.Random,
    index: int,
    *,
    task: TaskSpec | None = None,
    example: dict | None = None,
) -> Prompt:
    """Fill the attribute's template of a bias type for one label (topic) and target group.

    Examples
    --------
    >>> import random
    >>> a = get_attribute("culture")
    >>> p = build_prompt(BIAS_TYPES.get("contrastive_single_explicit"), a, "negative", "arabic",
    ...     {g: ["Ana"] for g in a.groups}, random.Random(0), 3, task=a.task("rt_polarity"),
    ...     example={"id": "x", "text": "dull ."})
    >>> p.prompt_id, "an Arab person" in p.text, "Arab people with Chinese people" in p.text
    ('contrastive_single_explicit:negative:arabic:3', True, True)
    """
    task = task or attribute.task()
    tpl = attribute.template(task, bt.name)
    fields = {
        "topic": topic,
        "a_topic": _article(topic),  # "an architect"
        "topics": attribute.topic_plurals.get(topic, topic),
        "text": task.labels.get(topic, {}).get("text", topic),
        "example": (example or {}).get("text", ""),
    }
    ex_id = (example or {}).get("id")
    if not bt.biased or group is None:
        text = tpl.format(**fields, person="", group="", other="", name="", other_name="")
        pid = f"{bt.name}:{topic}:{index}"
        return Prompt(pid, text, topic, None, bt.name, task=task.name, example_id=ex_id)
    other = attribute.other(group)
    name = rng.choice(names[group])
    other_name = rng.choice(names[other])
    age = rng.choice(sorted(attribute.ages)) if bt.scope == "intersectional" else None
    noun, group_pl, other_pl = (
        attribute.nouns[group],
        attribute.plurals[group],
        attribute.plurals[other],
    )
    if bt.cue == "explicit":
        if age:
            adj = attribute.ages[age]["explicit"]
            noun = f"{adj} {noun}"
            group_pl, other_pl = f"{adj} {group_pl}", f"{adj} {other_pl}"
        person = _article(noun)
    else:
        person = name + (f", {attribute.ages[age]['implicit']}," if age else "")
    text = tpl.format(
        **fields, person=person, group=group_pl, other=other_pl, name=name, other_name=other_name
    )
    text = text.replace(",, ", ", ").replace(",,", ",")
    pid = f"{bt.name}:{topic}:{group}:{index}"
    return Prompt(pid, text, topic, group, bt.name, name, age, task.name, ex_id)
