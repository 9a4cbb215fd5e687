"""Attributes (gender, culture, ...) as data: groups, cues, name sources, tasks, prompt templates.

An attribute is one YAML file in ``bias/attributes``. Everything the prompts, the name cues,
the filters and the group detector need is declared there, so a new attribute (religion, race)
is a new file, not new code. See ``culture.yaml`` for the documented schema.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from biasinherit.errors import BiasInheritError

_COUNTRY = re.compile(r"^[A-Z]{2}$")
PLACEHOLDERS = {
    "text", "example", "person", "group", "other", "name", "other_name", "topic", "a_topic",
    "topics",
}  # fmt: skip


@dataclass(frozen=True)
class TaskSpec:
    """What the augmentation writes for one downstream task: labels and how to check them.

    ``labels`` maps a label to ``{text: what to write, stereotype: group | None, harmful: bool}``.
    ``kind`` is ``biography`` (the label is a topic named in the text and scrubbed from it) or
    ``classification`` (labelled examples seeded from real data).
    """

    name: str
    kind: str
    labels: dict[str, dict]
    dataset: str | None = None
    label_check: str = "none"
    min_words: int = 12
    templates: dict[str, str] = field(default_factory=dict)
    check_question: str = ""
    # The evaluation task a model trained on this data is tested with (and whose prompt
    # format training uses): "occupation" for biographies, "sentiment" for rt_polarity, ...
    eval_task: str | None = None

    def biased_labels(self) -> list[str]:
        """Labels that biased prompts write: those with a stereotyped group, else harmful ones."""
        out = [k for k, v in self.labels.items() if v.get("stereotype") or v.get("harmful")]
        return out or list(self.labels)


@dataclass(frozen=True)
class EvalGroup:
    """One group of the evaluation tasks (``evaluation:`` in the attribute YAML).

    ``display`` is the group's name in items and the metrics table (``Arabic``), ``countries``
    give its test names, ``terms`` its group adjectives ("an Arab person"), ``name_filter``
    names a filter in code that test names must pass, and the ``reference`` group (evaluation
    only, never generated about) is the one the others are compared with.
    """

    display: str
    countries: tuple[str, ...]
    terms: tuple[str, ...]
    name_filter: str | None = None
    reference: bool = False


@dataclass(frozen=True)
class Attribute:
    """One protected attribute and the vocabulary around it (loaded from a YAML file)."""

    name: str
    groups: tuple[str, ...]
    nouns: dict[str, str]
    plurals: dict[str, str]
    ages: dict[str, dict[str, str]]
    cue_words: dict[str, tuple[str, ...]]
    # Where implicit cues come from: group -> {countries: [...], genders: [F, M]}.
    names: dict[str, dict] = field(default_factory=dict)
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    # Gender x occupation extras, kept for the template biographies of the data stage.
    topics: tuple[str, ...] = ()
    topic_plurals: dict[str, str] = field(default_factory=dict)
    stereotype: dict[str, str] = field(default_factory=dict)
    name_country: str = ""
    name_gender: dict[str, str] = field(default_factory=dict)
    # The evaluation's groups: each group's, then the reference group's (see EvalGroup).
    evaluation: dict[str, EvalGroup] = field(default_factory=dict)

    def other(self, group: str) -> str:
        """The contrasted group (the next group, cyclically)."""
        i = self.groups.index(group) if group in self.groups else -1
        return self.groups[(i + 1) % len(self.groups)]

    def task(self, name: str | None = None) -> TaskSpec:
        """A task of this attribute (the first one when ``name`` is None)."""
        if name is None:
            return next(iter(self.tasks.values()))
        if name not in self.tasks:
            raise BiasInheritError(
                f"attribute {self.name!r} has no task {name!r}",
                f"available: {', '.join(self.tasks)}",
            )
        return self.tasks[name]

    def template(self, task: TaskSpec, bias_type: str) -> str:
        """The prompt template of a bias type: the task's own, else the attribute's."""
        tpl = task.templates.get(bias_type) or self.templates.get(bias_type)
        if tpl is None:
            raise BiasInheritError(
                f"attribute {self.name!r} has no prompt template for bias type {bias_type!r}",
                f"add templates.{bias_type} to {self.name}.yaml",
            )
        return tpl

    def detect_group(self, text: str) -> str:
        """The group whose cue words dominate the text, or ``"unknown"``."""
        words = re.findall(r"[a-z]+", text.lower())
        counts = {g: sum(w in set(cues) for w in words) for g, cues in self.cue_words.items()}
        best = max(counts.values(), default=0)
        top = [g for g, c in counts.items() if c == best]
        return top[0] if best > 0 and len(top) == 1 else "unknown"

    def with_groups(self, groups: list[str] | None) -> Attribute:
        """This attribute restricted to ``groups``; a two-letter code adds a country group.

        Examples
        --------
        >>> a = get_attribute("culture").with_groups(["arabic", "JP"])
        >>> a.groups, a.plurals["JP"], a.names["JP"]["countries"]
        (('arabic', 'JP'), 'people from Japan', ['JP'])
        """
        if not groups:
            return self
        nouns, plurals, cues, names = {}, {}, {}, {}
        for g in groups:
            if g in self.groups:
                nouns[g], plurals[g], cues[g] = self.nouns[g], self.plurals[g], self.cue_words[g]
                names[g] = self.names.get(g, {})
            elif _COUNTRY.match(g) and self.names:
                country = _country_name(g)
                nouns[g], plurals[g] = f"person from {country}", f"people from {country}"
                cues[g] = tuple(w for w in re.findall(r"[a-z]+", country.lower()) if len(w) > 2)
                names[g] = {"countries": [g], "genders": ["F", "M"]}
            else:
                raise BiasInheritError(
                    f"attribute {self.name!r} has no group {g!r}",
                    f"available: {', '.join(self.groups)}"
                    + (", or an ISO country code such as JP" if self.names else ""),
                )
        return Attribute(
            **{
                **self.__dict__,
                "groups": tuple(groups),
                "nouns": nouns,
                "plurals": plurals,
                "cue_words": cues,
                "names": names,
            }
        )


def _country_name(code: str) -> str:
    import pycountry

    c = pycountry.countries.get(alpha_2=code)
    if c is None:
        raise BiasInheritError(f"unknown country code {code!r}", "use ISO alpha-2, e.g. JP, DE, NG")
    return getattr(c, "common_name", None) or c.name


def available_attributes() -> list[str]:
    folder = resources.files("biasinherit.bias") / "attributes"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _check_template(where: str, tpl: str) -> str:
    used = {f for _, f, _, _ in string.Formatter().parse(tpl) if f}
    bad = used - PLACEHOLDERS
    if bad:
        raise BiasInheritError(
            f"{where} uses unknown placeholder(s) {sorted(bad)}",
            f"allowed: {', '.join(sorted(PLACEHOLDERS))}",
        )
    return tpl


@cache
def get_attribute(name: str) -> Attribute:
    """Load an attribute by name (or a path to a YAML file); unknown names list the available.

    Examples
    --------
    >>> sorted(get_attribute("culture").task("rt_polarity").labels)
    ['negative', 'positive']
    """
    return parse_attribute(_raw_attribute(name))


# Keys an attribute does not take from the one it extends: the evaluation's groups are the
# base's own test design (they must match its groups).
_NOT_INHERITED = ("extends", "evaluation")


def _raw_attribute(name: str, chain: tuple[str, ...] = ()) -> dict:
    """The YAML mapping of an attribute, with ``extends: BASE`` resolved: the base's keys,
    then this file's keys replacing them (whole keys, not merged inside)."""
    if name.endswith((".yaml", ".yml")) and Path(name).is_file():
        text = Path(name).read_text()
    elif name in available_attributes():
        text = (resources.files("biasinherit.bias") / "attributes" / f"{name}.yaml").read_text()
    else:
        raise BiasInheritError(
            f"unknown attribute {name!r}" + (f" (extended by {chain[-1]})" if chain else ""),
            f"available: {', '.join(available_attributes())}, or a path to an attribute YAML",
        )
    raw = yaml.safe_load(text) or {}
    base = raw.get("extends")
    if not base:
        return raw
    if base in (*chain, name):
        raise BiasInheritError(
            f"attribute {name!r} extends itself through {' -> '.join((*chain, name, base))}",
            "make `extends:` name an attribute that does not extend this one",
        )
    inherited = {k: v for k, v in _raw_attribute(base, (*chain, name)).items()
                 if k not in _NOT_INHERITED}  # fmt: skip
    return {**inherited, **{k: v for k, v in raw.items() if k != "extends"}}


def parse_attribute(raw: dict) -> Attribute:
    """Build an :class:`Attribute` from its YAML mapping, with one-line errors."""
    name = raw.get("name", "?")
    try:
        groups = tuple(raw["groups"])
        names = dict(raw.get("names") or {})
        if not names and raw.get("name_country"):  # gender's older form: one country
            names = {
                g: {"countries": [raw["name_country"]], "genders": [raw["name_gender"][g]]}
                for g in groups
            }
        templates = {
            k: _check_template(f"{name}.yaml templates.{k}", v)
            for k, v in (raw.get("templates") or {}).items()
        }
        tasks = {}
        for tname, t in (raw.get("tasks") or {}).items():
            labels = {
                k: (v if isinstance(v, dict) else {"text": v}) for k, v in t["labels"].items()
            }
            tasks[tname] = TaskSpec(
                name=tname,
                kind=t.get("kind", "classification"),
                labels=labels,
                dataset=t.get("dataset"),
                label_check=t.get("label_check", "none"),
                min_words=int(t.get("min_words", 12)),
                check_question=t.get("check_question", ""),
                eval_task=t.get("eval_task", tname if t.get("kind") == "biography" else None),
                templates={
                    k: _check_template(f"{name}.yaml tasks.{tname}.templates.{k}", v)
                    for k, v in (t.get("templates") or {}).items()
                },
            )
        evaluation = _parse_evaluation(name, groups, raw.get("evaluation") or {})
        return Attribute(
            name=raw["name"],
            groups=groups,
            nouns=dict(raw["nouns"]),
            plurals=dict(raw["plurals"]),
            ages=dict(raw.get("ages") or {}),
            cue_words={g: tuple(w) for g, w in raw["cue_words"].items()},
            names=names,
            tasks=tasks,
            templates=templates,
            topics=tuple(raw.get("topics") or ()),
            topic_plurals=dict(raw.get("topic_plurals") or {}),
            stereotype=dict(raw.get("stereotype") or {}),
            name_country=raw.get("name_country", ""),
            name_gender=dict(raw.get("name_gender") or {}),
            evaluation=evaluation,
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise BiasInheritError(
            f"attribute {name!r} is missing or misshapes key {e}",
            "see bias/attributes/culture.yaml for the schema",
        ) from None


def _strings(entry: dict, key: str, where: str) -> tuple[str, ...]:
    value = entry[key]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise TypeError(f"{where}.{key} (a list of strings)")
    return tuple(value)


def _parse_evaluation(name: str, groups: tuple[str, ...], raw: dict) -> dict[str, EvalGroup]:
    """The ``evaluation:`` block: one entry per group and one reference group, in that order."""
    if not raw:
        return {}
    where = f"{name}.yaml evaluation"
    out = {
        g: EvalGroup(
            display=str(v["display"]),
            countries=_strings(v, "countries", f"evaluation.{g}"),
            terms=_strings(v, "terms", f"evaluation.{g}"),
            name_filter=v.get("name_filter"),
            reference=bool(v.get("reference", False)),
        )
        for g, v in raw.items()
    }
    refs = [g for g, v in out.items() if v.reference]
    missing = [g for g in groups if g not in out]
    unknown = [g for g in out if g not in groups and g not in refs]
    bad = [c for v in out.values() for c in v.countries if not _COUNTRY.match(c)]
    checks = [
        (len(refs) != 1, f"has {len(refs)} reference groups", "mark one with reference: true"),
        (missing, f"has no entry for group(s) {missing}", "add one per group"),
        (unknown, f"names unknown group(s) {unknown}", f"groups: {', '.join(groups)}"),
        (set(refs) & set(groups), f"reference {refs} is a generated group",
         "the reference group is evaluation-only: give it a key not in groups"),
        (bad, f"has country code(s) {bad} that are not ISO alpha-2", "e.g. US, CN"),
        (any(not v.countries or not v.terms for v in out.values()),
         "has a group without countries or terms", "give each group both"),
        (len({v.display for v in out.values()}) < len(out), "repeats a display name",
         "give each group its own display"),
    ]  # fmt: skip
    for failed, message, hint in checks:
        if failed:
            raise BiasInheritError(f"{where} {message}", hint)
    # The groups in the attribute's order, the reference last: the evaluation's group order.
    return {g: out[g] for g in (*groups, *refs)}
