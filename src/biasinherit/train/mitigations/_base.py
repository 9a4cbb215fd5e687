"""The mitigation protocol, the registry, and combinations such as ``"mask+loss"``.

A mitigation may rewrite the training rows before tokenisation (``prepare_rows``), weight
examples in the loss (``weights_``, set by ``prepare_rows``), add a term to the loss
(``extra_loss``), ask for batches holding both sources (``needs_both_sources``) and change
the evaluation text (``inference_text``). ``none`` does none of these.

Combinations are written with ``+`` in the config's ``mitigations`` list, e.g.
``mitigations: [none, token, "mask+loss"]``: each combination is one cell of the grid. The
parts run in a fixed order whatever the spelling (``counterfactual``, ``mask``, ``token``,
``reweight``, ``loss``: copies are made before masking, the marker is added after masking so
it is never masked, and weights are counted on the final rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from biasinherit.errors import BiasInheritError
from biasinherit.registry import Registry
from biasinherit.settings import Section

MITIGATIONS: Registry[type] = Registry("mitigation", plugins="biasinherit.train.mitigations")


class Params(Section):
    """Base of a mitigation's settings: unknown keys fail, values are type-checked."""


class Mitigation:
    """Protocol with do-nothing defaults; a subclass overrides what it changes.

    Parameters
    ----------
    **params
        Settings validated by the class's ``Params`` model (see each mitigation).
    """

    name: ClassVar[str] = "none"
    order: ClassVar[int] = 0  # position inside a combination
    Params: ClassVar[type[BaseModel]] = Params
    needs_both_sources: ClassVar[bool] = False
    attributes: ClassVar[tuple[str, ...] | None] = None  # None: works for every attribute

    def __init__(self, **params: Any) -> None:
        try:
            self.params = self.Params(**params)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise BiasInheritError(
                f"mitigation {self.name}: {loc}: {err['msg']}",
                f"settings of {self.name}: {', '.join(self.Params.model_fields) or 'none'}",
            ) from None
        self.weights_: list[float] | None = None
        self.stats_: dict[str, Any] = {}

    def prepare_rows(self, rows: list[dict]) -> list[dict]:
        """Rewrite the training rows (each has ``text`` and ``source``); default: as they are."""
        return rows

    def extra_loss(self, hidden, mask, sources: list[str]):  # noqa: ANN001 - tensors
        """A term added to the SFT loss, or ``None``."""
        return None

    def inference_text(self, text: str) -> str:
        """The text a test item is shown with at evaluation; default: unchanged."""
        return text


def check_attribute(spec: str, attribute: str) -> None:
    """Fail before any work when a part of ``spec`` does not work for ``attribute``.

    Examples
    --------
    >>> check_attribute("mask+loss", "culture")
    >>> try:
    ...     check_attribute("counterfactual", "culture")
    ... except BiasInheritError as e:
    ...     print(e.message)
    mitigation counterfactual works for gender only, not culture
    """
    for name in split_spec(spec):
        allowed = MITIGATIONS.get(name).attributes
        if allowed is not None and attribute not in allowed:
            raise BiasInheritError(
                f"mitigation {name} works for {', '.join(allowed)} only, not {attribute}",
                "drop it from mitigations, or use mask or reweight",
            )


def split_spec(spec: str) -> list[str]:
    """Names of a mitigation spec in the order they run; ``none`` alone or dropped.

    Examples
    --------
    >>> split_spec("loss+mask"), split_spec("none"), split_spec("none+token")
    (['mask', 'loss'], ['none'], ['token'])
    """
    names = [p.strip() for p in spec.split("+") if p.strip()]
    if not names:
        raise BiasInheritError(f"empty mitigation {spec!r}", "e.g. none, token or mask+loss")
    for n in names:
        MITIGATIONS.get(n)  # did-you-mean on a typo
    if len(set(names)) < len(names):
        raise BiasInheritError(f"mitigation {spec!r} repeats a part", "name each part once")
    names = [n for n in names if n != "none"] or ["none"]
    return sorted(names, key=lambda n: MITIGATIONS.get(n).order)


class Combined(Mitigation):
    """Several mitigations applied together (rows in order, loss terms summed)."""

    def __init__(self, parts: list[Mitigation]) -> None:
        self.parts = parts
        self.name = "+".join(p.name for p in parts)  # type: ignore[misc]
        self.needs_both_sources = any(p.needs_both_sources for p in parts)  # type: ignore[misc]
        self.weights_ = None
        self.stats_ = {}

    def prepare_rows(self, rows: list[dict]) -> list[dict]:
        for p in self.parts:
            rows = p.prepare_rows(rows)
            self.stats_.update(p.stats_)
        weighted = [p.weights_ for p in self.parts if p.weights_ is not None]
        self.weights_ = weighted[-1] if weighted else None
        return rows

    def extra_loss(self, hidden, mask, sources):  # noqa: ANN001
        terms = [t for p in self.parts if (t := p.extra_loss(hidden, mask, sources)) is not None]
        return sum(terms[1:], terms[0]) if terms else None

    def inference_text(self, text: str) -> str:
        for p in self.parts:
            text = p.inference_text(text)
        return text


def _params_of(params: Mapping | BaseModel | None, name: str) -> dict:
    if params is None:
        return {}
    if isinstance(params, BaseModel):
        params = params.model_dump()
    return dict(params.get(name) or {})


def get_mitigation(spec: str, params: Mapping | BaseModel | None = None) -> Mitigation:
    """Build a mitigation (or a ``+`` combination) with its settings.

    Parameters
    ----------
    spec : str
        A registered name or names joined by ``+`` (e.g. ``"mask+loss"``).
    params : mapping or the config's ``mitigation_params`` section, optional
        Settings per mitigation name, e.g. ``{"loss": {"lam": 0.05}}``.

    Examples
    --------
    >>> get_mitigation("token").name
    'token'
    >>> m = get_mitigation("loss+token", {"loss": {"lam": 0.5}})
    >>> m.name, m.needs_both_sources, m.parts[1].params.lam
    ('token+loss', True, 0.5)
    """
    names = split_spec(spec)
    parts = [MITIGATIONS.get(n)(**_params_of(params, n)) for n in names]
    return parts[0] if len(parts) == 1 else Combined(parts)


def params_for_key(spec: str, params: Mapping | BaseModel | None) -> dict:
    """The settings a cell with this mitigation depends on (for its cache key)."""
    return {n: _params_of(params, n) for n in split_spec(spec) if n != "none"}


def mitigation_config_model() -> type[BaseModel]:
    """The config section ``mitigation_params``: one sub-section per registered mitigation."""
    fields = {
        n: (cls.Params, cls.Params())
        for n, cls in MITIGATIONS.items()
        if cls.Params.model_fields  # 'none' has no settings
    }
    return create_model(
        "MitigationConfig",
        __config__=ConfigDict(extra="forbid"),
        __doc__="Settings of each mitigation (used by the cells that name it).",
        **fields,
    )
