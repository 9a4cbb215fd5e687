"""Quality control: clean raw text, then keep rows that fit their label and show their group.

Per row, in order: control and bidi characters stripped (the row rejected when they are a
large share of it), no chat-template or role markers, not an echo of its prompt, the topic
is named (biographies), long enough, reads as English and does not repeat itself, not a
duplicate (nor a copy of its seed example), the group cue is present (biased rows: a group
word for explicit cues, the person's name for implicit ones), not a near-duplicate of a kept
row, and the label still fits (the task's label check). Every dropped row is counted by
reason, so the filter rate per bias type is reported (gates: ``_quality``, ``_dedup``).
"""

from __future__ import annotations

import re
from collections import Counter

from biasinherit.bias import Attribute, TaskSpec
from biasinherit.generate._dedup import NearDuplicates
from biasinherit.generate._quality import (
    ECHO_THRESHOLD,
    GARBAGE_SHARE,
    chat_marker,
    echo_score,
    language_problem,
    strip_unsafe,
)

_PREAMBLE = re.compile(r"^(sure|certainly|here('s| is| are)|of course)[^.:!\n]*[.:!]\s*", re.I)
MIN_WORDS = 12


def clean_text(raw: str) -> str:
    """Strip chat preambles, markdown, quotes and line breaks; keep at most four sentences."""
    text = raw.replace("**", "").replace("#", " ")
    text = text.strip()
    while (stripped := _PREAMBLE.sub("", text, count=1)) != text:  # "Sure! Here is ...:"
        text = stripped.strip()
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = [s for s in sentences[:4] if s]
    # Drop a trailing fragment that sampling cut off mid-sentence.
    if len(kept) > 1 and not re.search(r"[.!?\"')]$", kept[-1]):
        kept = kept[:-1]
    return " ".join(kept)


def _topic_pattern(attribute: Attribute, topic: str) -> re.Pattern:
    words = sorted({topic, attribute.topic_plurals.get(topic, topic)}, key=len, reverse=True)
    return re.compile(r"\b(an?\s+)?(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def scrub_topic(text: str, attribute: Attribute, topic: str) -> str:
    """Remove the occupation title, as Bias in Bios removes it: the task must be inferred."""
    plural = attribute.topic_plurals.get(topic, topic).lower()

    def repl(m: re.Match) -> str:
        word = "professionals" if m.group(2).lower() == plural else "professional"
        return ("a " if m.group(1) else "") + word

    return _topic_pattern(attribute, topic).sub(repl, text)


def has_group_cue(text: str, attribute: Attribute, row: dict) -> bool:
    """The row's group shows: its name (implicit cue) or one of its cue words (explicit)."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    if row.get("name") and row["bias_type"].endswith("implicit"):
        return row["name"].lower() in words
    return bool(words & set(attribute.cue_words.get(row["group"], ())))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def filter_rows(
    attribute: Attribute,
    task: TaskSpec,
    bias_type: str,
    raws: list[dict],
    label_check=None,
) -> tuple[list[dict], dict]:
    """Turn raw generations of one bias type into training rows; count every dropped row."""
    counts: Counter = Counter()
    seen: set[str] = set()
    candidates = []
    raws = sorted(
        (r for r in raws if r["bias_type"] == bias_type),
        key=lambda r: int(r["prompt_id"].rsplit(":", 1)[1]),
    )
    biography = task.kind == "biography"
    near = NearDuplicates()
    for r in raws:
        counts["generated"] += 1
        raw, n_unsafe = strip_unsafe(r["raw"])
        if n_unsafe:
            counts["cleaned_control_chars"] += 1
            if n_unsafe > GARBAGE_SHARE * len(r["raw"]):
                counts["filtered_control_chars"] += 1
                continue
        if chat_marker(raw):
            counts["filtered_chat_template"] += 1
            continue
        text = clean_text(raw)
        echo = echo_score(text, r["prompt"]) if r.get("prompt") else 0.0
        if echo >= ECHO_THRESHOLD:
            counts["filtered_prompt_echo"] += 1
            continue
        if biography and not _topic_pattern(attribute, r["topic"]).search(text):
            counts["filtered_no_occupation"] += 1
            continue
        if len(text.split()) < task.min_words:
            counts["filtered_too_short"] += 1
            continue
        problem = language_problem(text)
        if problem:
            counts[f"filtered_{problem}"] += 1
            continue
        key = _norm(text)
        if key in seen or (r.get("example") and key == _norm(r["example"])):
            counts["filtered_duplicate"] += 1
            continue
        seen.add(key)
        if r.get("group") and not has_group_cue(text, attribute, r):
            counts["filtered_no_group_cue"] += 1
            continue
        if near.check(text) is not None:
            counts["filtered_near_duplicate"] += 1
            continue
        candidates.append((r, text, echo))
    fits = (
        label_check([t for _, t, _ in candidates], [r["topic"] for r, _, _ in candidates])
        if label_check and candidates
        else [True] * len(candidates)
    )
    kept = []
    for (r, text, echo), ok in zip(candidates, fits, strict=True):
        if not ok:
            counts["filtered_label_mismatch"] += 1
            continue
        final = scrub_topic(text, attribute, r["topic"]) if biography else text
        detected = attribute.detect_group(final)
        group = r["group"] or detected
        kept.append(
            {
                "id": f"a-{r['prompt_id'].replace(':', '-').replace(' ', '_')}",
                "text": final,
                "label": r["topic"],
                "source": "augmented",
                "attribute": attribute.name,
                "group": group,
                "detected_group": detected,
                "bias_type": bias_type,
                "generator": r["generator"],
                "backend": r.get("backend"),
                "prompt_id": r["prompt_id"],
                "seed": r["seed"],
                "split": "train",
                "cue": "generated",
                "task": task.name,
                "echo_score": echo,
                "stereotypical": (
                    task.labels.get(r["topic"], {}).get("stereotype") == group
                    if biography
                    else bool(r["group"])
                ),
            }
        )
    counts["filter_rate"] = (
        round(1 - len(kept) / counts["generated"], 4) if counts["generated"] else 0.0
    )
    return kept, dict(counts)
