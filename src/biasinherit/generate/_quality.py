"""Quality gates on generated rows: generated text is untrusted input.

A small base model behind a chat endpoint echoes its instruction, leaks the chat template
(``<|im_end|>user ...``), repeats itself, or writes control and bidirectional-override
characters. Each gate is a pure function of the row; :func:`filter_rows` applies them and
counts every rejection by reason, and :func:`quality_stop` turns a bias type whose rows are
mostly rejected (or whose kept rows still look like echoes) into one line naming the
generator and the reason, before anything trains on them.
"""

from __future__ import annotations

import re

from biasinherit.errors import BiasInheritError
from biasinherit.text import UNSAFE, strip_unsafe  # noqa: F401  (re-exported)

GARBAGE_SHARE = 0.2  # more unsafe characters than this share of the text: reject the row

# Chat-template tokens and role lines of the common templates (ChatML, Llama 2/3, Gemma,
# Mistral, Alpaca-style headers): their presence means the model wrote past its turn.
_CHAT = re.compile(
    r"<\|[A-Za-z_][\w.-]{0,40}\|>"  # <|im_start|> <|im_end|> <|eot_id|> <|user|> ...
    r"|\[/?INST\]|<</?SYS>>|</?s>|<(?:start|end)_of_turn>|<bos>|<eos>"
    r"|^[ \t]*(?:user|assistant|system|human|gpt|model)[ \t]*:?[ \t]*$"  # a bare role line
    r"|^[ \t]*(?:user|assistant|system|human)[ \t]*:"  # "assistant: ..."
    r"|^[ \t]*#{2,}[ \t]*(?:instruction|response|input|system)\b",
    re.I | re.M,
)
ECHO_THRESHOLD = 0.5  # word-trigram overlap with the prompt above which a row is an echo
ECHO_LIKE = 0.3  # kept rows above this overlap "look like echoes"

# The commonest English function words: running English text is about a third of them.
_STOPWORDS = frozenset(
    """a about after all also an and any are as at be been before but by can could did do
    does for from had has have he her hers him his how i if in into is it its just like made
    many may me more most much my no not now of on one only or other our out over she so some
    such than that the their them then there these they this those through to too under up
    us very was we were what when where which while who will with would you your""".split()
)
MIN_LETTER_SHARE = 0.6
MIN_STOPWORD_SHARE = 0.08
MIN_DISTINCT_SHARE = 0.35  # distinct words / words below this: degenerate repetition

# Filter reasons the gates add to the summary (``filtered_<reason>``) and that count as
# unusable output of the generator for the stop rule; exact duplicates count too.
QUALITY_REASONS = (
    "control_chars",
    "chat_template",
    "prompt_echo",
    "not_english",
    "repetitive",
    "duplicate",
    "near_duplicate",
)
STOP_SHARE = 0.5  # more of a bias type's rows rejected by the gates than this: stop
MIN_ROWS_FOR_STOP = 4


def chat_marker(raw: str) -> str | None:
    """The first chat-template token or role line in a raw generation, else ``None``.

    Examples
    --------
    >>> chat_marker("Ann is a nurse.<|im_end|>user Write a biography")
    '<|im_end|>'
    >>> chat_marker("Ann is a nurse.\\nassistant:\\nSure") is None
    False
    >>> chat_marker("Ann works in user experience design.") is None
    True
    """
    m = _CHAT.search(raw)
    return m.group(0).strip() if m else None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def echo_score(text: str, prompt: str) -> float:
    """How much of the row is its instruction: the larger of the shares of the text's word
    trigrams found in the prompt and of the prompt's trigrams found in the text.

    Examples
    --------
    >>> p = "Write a short biography of a man who works as a nurse."
    >>> echo_score("Write a short biography of a man who works as a nurse.", p)
    1.0
    >>> echo_score("Tom has cared for patients on a busy ward for ten years.", p)
    0.0
    """
    t, p = _trigrams(_words(text)), _trigrams(_words(prompt))
    if not t or not p:
        return 0.0
    common = len(t & p)
    return round(max(common / len(t), common / len(p)), 4)


def language_problem(text: str) -> str | None:
    """``not_english`` (few letters or few English function words), ``repetitive`` (few
    distinct words), or ``None`` when the text reads as ordinary English prose.

    Examples
    --------
    >>> language_problem("She has worked as a nurse in the city hospital for ten years.")
    >>> language_problem("1234 5678 9999 #### $$$$ %%%% 0000 1111")
    'not_english'
    >>> language_problem("nurse nurse nurse nurse nurse nurse nurse nurse nurse nurse")
    'repetitive'
    """
    chars = [c for c in text if not c.isspace()]
    if chars and sum(c.isascii() and c.isalpha() for c in chars) / len(chars) < MIN_LETTER_SHARE:
        return "not_english"
    words = _words(text)
    if len(words) >= 6:
        if len(set(words)) / len(words) < MIN_DISTINCT_SHARE:
            return "repetitive"
        if sum(w in _STOPWORDS for w in words) / len(words) < MIN_STOPWORD_SHARE:
            return "not_english"
    return None


def quality_problem(counts: dict) -> tuple[str, str] | None:
    """``(what, reason)`` when one bias type's counts show unusable output, else ``None``:
    more than ``STOP_SHARE`` of its rows rejected by the gates, or of its kept rows looking
    like echoes (``kept_echo_like``)."""
    n = int(counts.get("generated", 0))
    if n < MIN_ROWS_FOR_STOP:
        return None
    bad = {r: int(counts.get(f"filtered_{r}", 0)) for r in QUALITY_REASONS}
    worst = max(bad, key=lambda r: bad[r])
    kept, echo_like = int(counts.get("kept", 0)), int(counts.get("kept_echo_like", 0))
    if sum(bad.values()) > STOP_SHARE * n:
        return (
            f"{sum(bad.values())} of {n} rows fail the quality gates, most for {_WHY[worst]}",
            worst,
        )
    if kept and echo_like > STOP_SHARE * kept:
        return f"{echo_like} of {kept} kept rows look like echoes of the prompt", "prompt_echo"
    return None


def quality_stop(summary: dict[str, dict], generator: str, where: str = "RUN/generate") -> None:
    """Stop, with one line naming the generator and the reason, when a bias type's rows are
    mostly rejected by the quality gates or its kept rows still look like echoes.

    Raises
    ------
    BiasInheritError
        Naming the first such bias type; the counts of every bias type are in
        ``<where>/summary.json`` (and the ``generate`` command prints them).
    """
    for bt, counts in summary.items():
        problem = quality_problem(counts)
        if problem:
            what, reason = problem
            raise BiasInheritError(
                f"generator {generator} writes unusable rows for {bt}: {what}",
                f"{_HINTS.get(reason, _HINTS['prompt_echo'])}; the counts per bias type are "
                f"in {where}/summary.json",
            )


_WHY = {
    "control_chars": "control or bidi characters",
    "chat_template": "chat-template or role markers",
    "prompt_echo": "echoing the prompt",
    "not_english": "not reading as English",
    "repetitive": "repeating itself",
    "duplicate": "exact duplicates",
    "near_duplicate": "near-duplicates",
}
_HINTS = {
    "chat_template": "serve the model with its chat template, or use an instruction-tuned model",
    "prompt_echo": "use an instruction-tuned generator behind /chat/completions",
    "duplicate": "raise generate.temperature or use a stronger generator",
    "near_duplicate": "raise generate.temperature or use a stronger generator",
    "repetitive": "use a stronger generator or lower generate.max_new_tokens",
}
