"""Option order: a survey question shown with its options in several orders, and the
position bias that the orders reveal.

An order is a tuple ``perm`` with ``perm[pos]`` = the original option shown at position
``pos`` (numbered ``pos + 1`` in the prompt). Answers are always stored over the original
options, so averaging the orders removes a pure preference for a position: a model that
always answers "1" gets, over the listed and the reversed order, half its mass on the first
and half on the last option instead of all of it on the first.
"""

from __future__ import annotations

import numpy as np


def option_orders(k: int, n: int) -> list[tuple[int, ...]]:
    """The first ``n`` distinct orders of ``k`` options: as listed, reversed, then each cyclic
    shift and its reversal (all ``2k`` of them put every option in every position equally
    often; two options have only 2 orders).

    Examples
    --------
    >>> option_orders(4, 3)
    [(0, 1, 2, 3), (3, 2, 1, 0), (1, 2, 3, 0)]
    >>> option_orders(2, 5)
    [(0, 1), (1, 0)]
    """
    out: list[tuple[int, ...]] = []
    for s in range(k):
        rot = tuple((i + s) % k for i in range(k))
        for perm in (rot, rot[::-1]):
            if perm not in out:
                out.append(perm)
    return out[:n]


def to_original(p_shown: np.ndarray, perm: tuple[int, ...]) -> np.ndarray:
    """Probabilities over the shown positions -> probabilities over the original options.

    Examples
    --------
    >>> to_original(np.array([0.7, 0.2, 0.1]), (2, 1, 0)).tolist()
    [0.1, 0.2, 0.7]
    """
    out = np.empty(len(perm))
    out[list(perm)] = p_shown
    return out


def _top_share(p: np.ndarray, i: int) -> float:
    """1 if option ``i`` is the top answer, 1/m if it ties with m-1 others, else 0."""
    top = np.isclose(p, p.max())
    return float(top[i] / top.sum())


def _summary(rows: list[dict], real: list[float]) -> dict:
    """Means of the per-question rows (one row per persona and question)."""
    if not rows:
        return {"n": 0}

    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in rows]))

    chance, first = mean("chance"), mean("first_shown_mass")
    tv = [r["tv"] for r in rows if r["tv"] is not None]
    return {
        "first_shown_mass": first,
        "chance": chance,
        "first_shown_top": mean("first_shown_top"),
        "position_index": (first - chance) / (1 - chance),
        "order_sensitivity": float(np.mean(tv)) if tv else None,
        "first_listed_mass": {
            "as_listed": mean("as_listed"),
            "averaged": mean("averaged"),
            "real": float(np.mean(real)) if real else None,
        },
        "n": len(rows),
    }


def position_bias(
    by_order: dict[str | None, dict[str, np.ndarray]],
    real: dict[str, dict[str, np.ndarray]] | None = None,
) -> dict:
    """How much the answers follow the position of an option rather than its content.

    ``by_order``: ``{persona: {qid: array (n_orders, k)}}``, row ``o`` the answer distribution
    over the original options when they were shown in ``option_orders(k, n_orders)[o]``;
    ``real`` (optional): ``{country: {qid: real distribution}}``, for a reference. Per persona
    (``per_persona``) and over all (persona, question) pairs (``all``):

    - ``first_shown_mass``: mean probability on the option shown first; ``chance`` is the
      mean of 1/k (what an answer blind to position and content would give);
    - ``first_shown_top``: share of (question, order) where the first shown option is the top
      answer (ties shared);
    - ``position_index``: (first_shown_mass − chance) / (1 − chance): 0 no preference for the
      first position, 1 always the first shown option;
    - ``order_sensitivity``: mean total-variation distance between the distributions (over the
      original options) of the different orders, in [0, 1]: 0 the order changes nothing, 1
      every order gives a different answer; None with one order;
    - ``first_listed_mass``: mean probability on the first listed option when the options are
      shown as listed (what a single-order audit reads), after averaging the orders, and in
      the real answers of the persona's country (``all``: of every country).

    Examples
    --------
    A model that always answers "1", shown two options as listed and reversed:

    >>> always_1 = {"US": {"q": np.array([[1.0, 0.0], [0.0, 1.0]])}}
    >>> b = position_bias(always_1)["all"]
    >>> b["position_index"], b["order_sensitivity"], b["first_listed_mass"]["averaged"]
    (1.0, 1.0, 0.5)
    """
    real = real or {}
    per: dict[str, list[dict]] = {}
    for persona, qs in by_order.items():
        rows = per.setdefault(persona or "none", [])
        for p in qs.values():
            p = np.atleast_2d(np.asarray(p, dtype=float))
            n, k = p.shape
            orders = option_orders(k, n)
            if len(orders) != n:
                raise ValueError(f"{n} orders given for {k} options; there are {len(orders)}")
            tv = [0.5 * np.abs(p[a] - p[b]).sum() for a in range(n) for b in range(a + 1, n)]
            rows.append(
                {
                    "first_shown_mass": np.mean([p[o][perm[0]] for o, perm in enumerate(orders)]),
                    "first_shown_top": np.mean(
                        [_top_share(p[o], perm[0]) for o, perm in enumerate(orders)]
                    ),
                    "chance": 1 / k,
                    "as_listed": p[0][0],
                    "averaged": p.mean(0)[0],
                    "tv": float(np.mean(tv)) if tv else None,
                }
            )

    def real_first(countries) -> list[float]:
        return [float(d[0]) for c in countries for d in real.get(c, {}).values()]

    return {
        "per_persona": {c: _summary(rows, real_first([c])) for c, rows in per.items()},
        "all": _summary([r for rows in per.values() for r in rows], real_first(list(real))),
    }
