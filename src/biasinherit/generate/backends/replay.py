"""``replay``: completions produced elsewhere (a provider's batch API, another machine),
read from a JSONL file and looked up by prompt text; no model runs.

Each line of the file is ``{"prompt": ..., "completion": ...}``, optionally with ``"seed"``
(the request's seed: several completions of one prompt are told apart by it) and the token
counts ``"prompt_tokens"`` and ``"completion_tokens"``. The planned prompts and their seeds
come from ``biasinherit generate --dry-run --prompts FILE``. A completion is used as it is:
the sampling settings only enter the cache key. ``identity`` holds a hash of the file's
content, so the generation cache never mixes the answers of two files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field

from biasinherit.errors import BiasInheritError
from biasinherit.files import file_hash, read_user_text
from biasinherit.generate.backends._base import BACKENDS, Generation, Params

FORMAT = 'one JSON object a line: {"prompt": ..., "completion": ...} (optional "seed")'
LIST_PROMPTS = "biasinherit generate --dry-run --prompts prompts.jsonl"


class ReplayParams(Params):
    path: str | None = Field(
        None, description="JSONL file of completions, one {prompt, completion[, seed]} a line"
    )
    on_missing: Literal["error", "skip"] = Field(
        "error",
        description="a prompt the file lacks: error (names how many), or skip (the request "
        "stays unanswered and uncached, so fewer rows may be kept)",
    )


def _file(path: str | None) -> Path:
    if not path:
        raise BiasInheritError(
            "the replay backend needs a file of completions",
            f"set generate.options.path; list the prompts to answer with `{LIST_PROMPTS}`",
        )
    p = Path(path)
    if not p.is_file():
        raise BiasInheritError(f"replay file not found: {p}", "fix generate.options.path")
    return p


def load_answers(path: str | Path) -> dict[tuple[str, int | None], Generation]:
    """The completions of a replay file, keyed by (prompt, seed or ``None``).

    A line that is not an object with a text ``prompt`` and ``completion`` (and an integer
    ``seed`` if any), or a key repeated with another completion, is a one-line error.
    """
    text = read_user_text(path, what="replay file", hint=FORMAT)
    answers: dict[tuple[str, int | None], Generation] = {}
    first_line: dict[tuple[str, int | None], int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"replay file {path} line {n}"
        try:
            row = json.loads(line)
        except ValueError:
            raise BiasInheritError(f"{where} is not JSON", FORMAT) from None
        if not isinstance(row, dict) or not all(
            isinstance(row.get(k), str) for k in ("prompt", "completion")
        ):
            raise BiasInheritError(f"{where} lacks a text prompt or completion", FORMAT)
        seed = row.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise BiasInheritError(f"{where}: seed {seed!r} is not an integer", FORMAT)
        counts = [row.get(k, 0) for k in ("prompt_tokens", "completion_tokens")]
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise BiasInheritError(f"{where}: token counts must be whole numbers", FORMAT)
        key = (row["prompt"], seed)
        gen = Generation(row["completion"], *counts)
        if key in answers and answers[key].text != gen.text:
            raise BiasInheritError(
                f"{where} repeats the prompt of line {first_line[key]} with another completion",
                'tell them apart with "seed" (the seed the prompt list gives), or keep one',
            )
        answers.setdefault(key, gen)
        first_line.setdefault(key, n)
    return answers


@BACKENDS.register("replay")
class ReplayBackend:
    """Completions produced elsewhere, looked up by prompt in a JSONL file (no model).

    Parameters
    ----------
    model : str
        Unused (the file's completions are the answers); kept for the common interface.
    batch_size : int
        Unused.
    path : str
        The JSONL file of completions.
    on_missing : {"error", "skip"}
        What a request whose prompt the file lacks does.
    """

    Params = ReplayParams
    keeps_in_flight = True  # one call per round, so a miss can say how many are missing

    def __init__(
        self,
        *,
        model: str = "",
        batch_size: int = 32,
        path: str | None = None,
        on_missing: str = "error",
    ) -> None:
        self.path = _file(path)
        self.on_missing = on_missing
        self.answers = load_answers(self.path)
        self.identity = self.identity_for(model, ReplayParams(path=str(self.path)))

    @classmethod
    def identity_for(cls, model: str, params: ReplayParams) -> str:
        """The file's content hash: another file is another generator for the cache."""
        return f"replay:{file_hash(_file(params.path), length=16)}"

    def generate(
        self,
        prompts: list[str],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
        on_done: Callable[[int, Generation], None] | None = None,
    ) -> list[Generation]:
        """The file's completion of each prompt (with its seed where the file gives seeds).

        With ``on_missing: skip`` a missing prompt gets no ``on_done`` call (so it is not
        cached) and an empty text in the returned list.
        """
        found = [
            self.answers.get((p, int(s)), self.answers.get((p, None)))
            for p, s in zip(prompts, seeds, strict=True)
        ]
        missing = [i for i, g in enumerate(found) if g is None]
        if missing and self.on_missing == "error":
            raise BiasInheritError(
                f"replay file {self.path} lacks {len(missing)} of the {len(prompts)} prompts "
                f"requested (first: {prompts[missing[0]][:80]!r})",
                f"list the planned prompts with `{LIST_PROMPTS}` (same config), answer them "
                "into the file, or set generate.options.on_missing=skip",
            )
        for i, g in enumerate(found):
            if g is not None and on_done:
                on_done(i, g)
        return [g or Generation("") for g in found]
