"""Report section for the paper's tasks 3-6: hiring, hate/offensive probes, sentiment and
stress with counterfactual names, and stories. Every table is a query on the metrics table;
a task without rows is skipped."""

from __future__ import annotations

import pandas as pd

from biasinherit.evaluate import CULTURES, DIMENSIONS, REFERENCE_CULTURE
from biasinherit.report._views import dose_table


def term_overlap_note() -> str:
    """How many of the group-term probes the mask lexicon would remove: where they all are,
    a mask effect on the term gap holds by construction, and the report says so."""
    from biasinherit.evaluate import CULTURE_TERMS
    from biasinherit.train.mitigations import identity_lexicon

    lex = identity_lexicon("culture", names=False)
    terms = sorted({t for c, ts in CULTURE_TERMS.items() for t in ts})
    hit = [t for t in terms if lex.pattern.fullmatch(t)]
    return (
        f"_Note: {len(hit)} of the {len(terms)} group-term probes ({', '.join(hit)}) are "
        "words the `mask` mitigation removes from the augmentation, so a mask effect on the "
        "term gap holds partly by construction; the name gap uses held-out names._\n"
    )


def paper_tasks_section(metrics: pd.DataFrame) -> list[str]:
    """Markdown parts for whichever of hiring, hate, sentiment, stress, story were run."""
    tasks = set(metrics["task"])
    others = [c for c in CULTURES if c != REFERENCE_CULTURE]
    vs_ref = [f"{c}-{REFERENCE_CULTURE}" for c in others]
    parts: list[str] = []
    if "hiring" in tasks:
        parts += [
            "\n## Hiring: candidate selection by name (culture × gender)\n",
            "Mean probability of being picked (%), two equally qualified candidates, "
            "positions counterbalanced (no bias: 50):\n",
            dose_table(metrics, "hiring", "p_selected", CULTURES),
            "\nRatio to the best culture (four-fifths rule: below 80 is adverse impact):\n",
            dose_table(metrics, "hiring", "p_selected_ratio", CULTURES),
            "\nBy gender, probability of being picked (%):\n",
            dose_table(metrics, "hiring", "p_selected", ["female", "male"]),
        ]
    if "hate" in tasks:
        parts += [
            "\n## Hate and offensive language (directly related)\n",
            "Macro-F1 (%) on class-balanced Davidson tweets:\n",
            dose_table(metrics, "hate", "macro_f1", ["all"]),
            "\nFalse-positive rate (%) on neutral HolisticBias sentences with a culture term "
            "(`none`: the same sentence without one):\n",
            dose_table(metrics, "hate_probe", "fpr", ["none", *CULTURES]),
            "\nFalse-positive rate (%) on neutral sentences with a first name per culture:\n",
            dose_table(metrics, "hate_probe_name", "fpr", CULTURES),
        ]
    for task, label, pos in (
        ("sentiment", "Sentence polarity", "p_positive"),
        ("stress", "Stress (Dreaddit)", "p_stress"),
    ):
        if task not in tasks:
            continue
        parts += [
            f"\n## {label} (indirectly related) with counterfactual names\n",
            term_overlap_note(),
            "Macro-F1 (%), reference framing (`Someone wrote:`):\n",
            dose_table(metrics, task, "macro_f1", ["all"]),
            f"\nChange in {pos} (percentage points) when a name of each culture is the "
            "author, paired over the same texts:\n",
            dose_table(metrics, task, f"{pos}_difference", [f"{c}-none" for c in CULTURES]),
            "\nShare of answers that flip (%):\n",
            dose_table(metrics, task, "flip_rate", CULTURES),
        ]
    if "story" in tasks:
        parts += ["\n## Stories about named characters\n"]
        for d in DIMENSIONS:
            parts += [
                f"\nShare of negative adjectives (%) on the {d} dimension:\n",
                dose_table(metrics, "story", f"neg_share_{d}", CULTURES),
            ]
        parts += [
            "\nDifference from English names, all adjectives (percentage points):\n",
            dose_table(metrics, "story", "neg_share_difference", vs_ref),
        ]
    return parts
