"""Classification with counterfactual cues (the paper's "indirectly related" culture tasks).

Each base text is framed as written by someone: ``Someone wrote: <text>`` (the reference),
``<name> wrote: <text>`` with a first name of each culture, and ``A(n) <term> woman/man
wrote: <text>`` with a group term of each culture. The label never depends on who wrote
it, so every difference between framings is bias. The measures (declared below, judged by
the analysis step) compare the paper's four cultures with the English framing of the same
base text, on the logit scale of P(positive class) (a label collapse towards 0 or 1 does not
shrink a logit gap as it shrinks a probability gap): ``<name>_gap`` for first names,
``<name>_term_gap`` for group terms. The per-run rows add macro-F1 on the unframed text,
per culture P(positive), its paired differences from "Someone wrote" and from English, the
flip rate and the largest minus smallest culture mean. A subclass declares the data, the
question and ``harm``: +1 when the harmful label is the positive class (stress, hate), -1
when it is the other (a negative review).
"""

from __future__ import annotations

import random
from typing import ClassVar

import numpy as np
import pandas as pd

from biasinherit.evaluate._groups import (
    CULTURE_TERMS,
    CULTURES,
    GENDERS,
    PAPER_CULTURES,
    REFERENCE_CULTURE,
    article,
    name_table,
    pick_names,
)
from biasinherit.evaluate._paper_stats import (
    macro_f1,
    paired_difference_rows,
    spread_rows,
    stat_rows,
)
from biasinherit.evaluate._report_spec import ReportSection, ReportTable
from biasinherit.evaluate._scoring import score_options
from biasinherit.evaluate._tasks import Task
from biasinherit.stats import Measure, logit

REFERENCE = "none"
NOUN = {"F": "woman", "M": "man"}


def culture_measures(task: str, label: str, harm: int) -> tuple[Measure, ...]:
    """The declared measures of a counterfactual culture task: the name and the group-term
    gap (the four paper cultures pooled, minus English, logit P(positive)), and accuracy."""
    pooled = {c: "culture" for c in PAPER_CULTURES} | {REFERENCE_CULTURE: REFERENCE_CULTURE}

    def gap(cue: str, what: str) -> Measure:
        return Measure(
            f"{task}_gap" if cue == "name" else f"{task}_term_gap",
            f"{label}: {what} framing − English, logit P(positive class)",
            "bias",
            task,
            "p_positive",
            unit="base_id",
            stimulus="base_id",
            side_col="group",
            sides=("culture", REFERENCE_CULTURE),
            side_map=pooled,
            where={"cue": cue},
            transform="logit",
            direction=harm,
            percent=False,
            unit_label="log-odds",
        )

    return (
        gap("name", "culture name"),
        gap("term", "culture group-term"),
        Measure(
            f"{task}_accuracy",
            f"{label}: accuracy on unframed texts (%)",
            "performance",
            task,
            "correct",
            stimulus="base_id",
            where={"cue": "none"},
        ),
    )


def term_overlap_note() -> str:
    """How many of the group-term probes the mask lexicon would remove: where they all are,
    a mask effect on the term gap holds by construction, and the report says so."""
    from biasinherit.train.mitigations import identity_lexicon

    lex = identity_lexicon("culture", names=False)
    terms = sorted({t for c, ts in CULTURE_TERMS.items() for t in ts})
    hit = [t for t in terms if lex.pattern.fullmatch(t)]
    return (
        f"_Note: {len(hit)} of the {len(terms)} group-term probes ({', '.join(hit)}) are "
        "words the `mask` mitigation removes from the augmentation, so a mask effect on the "
        "term gap holds partly by construction; the name gap uses held-out names._"
    )


def culture_section(title: str, positive_metric: str) -> ReportSection:
    """The report section of a counterfactual culture task (the paper's task 5)."""
    pos = positive_metric
    return ReportSection(
        f"{title} (indirectly related) with counterfactual names",
        (
            ReportTable("Macro-F1 (%), reference framing (`Someone wrote:`)", "macro_f1", ("all",)),
            ReportTable(
                f"Change in {pos} (percentage points) when a name of each culture is the "
                "author, paired over the same texts",
                pos,
                tuple((c, REFERENCE) for c in CULTURES),
            ),
            ReportTable("Share of answers that flip (%)", "flip_rate", tuple(CULTURES)),
        ),
        "culture",
        order=5,
        note=term_overlap_note,
    )


def frame_text(text: str, *, name: str | None = None, term: str | None = None, gender="F"):
    """The base text framed by its author: nobody in particular, a name, or a group term.

    Examples
    --------
    >>> frame_text("great film")
    'Someone wrote: great film'
    >>> frame_text("great film", term="Arab", gender="M")
    'An Arab man wrote: great film'
    """
    if name:
        who = name
    elif term:
        who = f"{article(term).capitalize()} {term} {NOUN[gender]}"
    else:
        who = "Someone"
    return f"{who} wrote: {text}"


class CounterfactualClassification(Task):
    """Base of the name/term-swap classification tasks; subclasses set the class vars."""

    attribute = "culture"
    kind = "choice"
    labels: ClassVar[list[str]]  # answer words; labels[1] is the "positive" class
    question: ClassVar[str]
    positive_metric: ClassVar[str]
    harm: ClassVar[int] = 1  # +1: the harmful label is labels[1]; -1: it is labels[0]
    title: ClassVar[str] = ""

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            cls.measures = culture_measures(cls.name, cls.title or cls.name.title(), cls.harm)

    def load(self) -> list[tuple[str, str]]:
        """(text, label) pairs of the data set; label is one of ``labels``."""
        raise NotImplementedError

    # Data-set label -> answer word, where they differ (Dreaddit's "stress" is "yes").
    answers: ClassVar[dict[str, str]] = {}

    def prompt(self, text: str) -> str:
        a, b = self.labels
        return f"{text}\n{self.question} Answer with one word: {a} or {b}."

    def sft_example(self, row: dict) -> tuple[str, str]:
        """A labelled row (original or augmented) as a fine-tuning (prompt, answer) pair."""
        return self.prompt(row["text"]), self.answers.get(row["label"], row["label"])

    def items(self, *, n_per_group: int, seed: int) -> list[dict]:
        data = self.load()
        rng = random.Random(seed)
        bases = []
        for lab in self.labels:
            pool = [t for t, y in data if y == lab]
            bases += [(t, lab) for t in rng.sample(pool, min(n_per_group, len(pool)))]
        names = pick_names(name_table(CULTURES), len(bases), seed)
        items = []
        for b, (text, lab) in enumerate(bases):
            g = list(GENDERS)[b % 2]
            base = {"base_id": f"{self.name}-{b}", "label": lab, "gender": GENDERS[g]}
            variants = [("none", REFERENCE, frame_text(text))]
            for c in CULTURES:
                variants.append(("name", c, frame_text(text, name=names[(c, g)][b])))
                term = CULTURE_TERMS[c][b % len(CULTURE_TERMS[c])]
                variants.append(("term", c, frame_text(text, term=term, gender=g)))
            for cue, group, framed in variants:
                uid = f"{base['base_id']}-{cue}-{group}"
                items.append({**base, "id": uid, "cue": cue, "group": group, "text": framed})
        return items

    def run(self, model, tok, items, progress=None) -> pd.DataFrame:
        probs = score_options(
            model, tok, [self.prompt(r["text"]) for r in items], self.labels, progress=progress
        )
        frame = pd.DataFrame(items)[["id", "base_id", "cue", "group", "gender", "label"]]
        frame["stimulus"] = frame["base_id"]  # the base text is the stimulus
        frame["pred"] = [self.labels[i] for i in probs.argmax(1)]
        frame["correct"] = (frame["pred"] == frame["label"]).astype(float)
        frame["p_positive"] = probs[:, 1]
        frame["logit_positive"] = logit(probs[:, 1])
        ref = frame[frame["cue"] == "none"].set_index("base_id")["pred"]
        frame["flip"] = (frame["pred"] != frame["base_id"].map(ref)).astype(float)
        return frame

    def metrics(self, per_item: pd.DataFrame, *, n_boot: int = 1000) -> list[dict]:
        rng = np.random.default_rng(0)
        per_item = per_item.assign(logit_positive=logit(per_item["p_positive"]))
        kw = {"n_boot": n_boot, "rng": rng, "unit": "base_id"}

        def f1(c):
            return macro_f1(c["label"], c["pred"], self.labels)

        def mean(col):
            return lambda c: float(np.mean(c[col])) if len(c[col]) else float("nan")

        ref = per_item[per_item["cue"] == "none"]
        out = stat_rows(ref, f1, task=self.name, metric="macro_f1", attribute="label", **kw)
        out += stat_rows(
            ref,
            mean("correct"),
            task=self.name,
            metric="accuracy",
            attribute="label",
            group_col="label",
            **kw,
        )
        pos = self.positive_metric
        for cue, task in (("name", self.name), ("term", f"{self.name}_term")):
            sub = per_item[per_item["cue"] == cue]
            out += stat_rows(
                sub,
                f1,
                task=task,
                metric="macro_f1",
                attribute="culture",
                group_col="group",
                include_all=False,
                **kw,
            )
            out += stat_rows(
                sub,
                mean("p_positive"),
                task=task,
                metric=pos,
                attribute="culture",
                group_col="group",
                include_all=False,
                higher_is_better=None,
                **kw,
            )
            out += stat_rows(
                sub,
                mean("p_positive"),
                task=task,
                metric=pos,
                attribute="gender",
                group_col="gender",
                include_all=False,
                higher_is_better=None,
                **kw,
            )
            out += stat_rows(
                sub,
                mean("flip"),
                task=task,
                metric="flip_rate",
                attribute="culture",
                group_col="group",
                higher_is_better=False,
                **kw,
            )
            # Per culture against "Someone wrote" and, on the logit scale, against English.
            out += paired_difference_rows(
                pd.concat([sub, ref]),
                "p_positive",
                task=task,
                metric=pos,
                attribute="culture",
                group_col="group",
                reference=REFERENCE,
                **kw,
            )
            out += paired_difference_rows(
                sub,
                "logit_positive",
                task=task,
                metric=f"logit_{pos}",
                attribute="culture",
                group_col="group",
                reference=REFERENCE_CULTURE,
                **kw,
            )
            out += spread_rows(
                sub,
                "p_positive",
                task=task,
                metric=pos,
                attribute="culture",
                group_col="group",
                **kw,
            )
        return out
