"""The backend protocol, its options (``Params``) and the registry; each backend module
registers itself here.

A backend declares what it takes beyond ``model`` and ``batch_size`` as a ``Params`` model:
an option it does not declare is a one-line error, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from biasinherit.errors import BiasInheritError
from biasinherit.registry import Registry
from biasinherit.settings import Section


@dataclass(frozen=True)
class Generation:
    """One completion and its token counts (for tokens/s and cost)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Params(Section):
    """Base of a backend's options: unknown keys fail, values are type-checked."""


class Backend(Protocol):
    """What a generator backend does. ``identity`` names the model for provenance and caching.

    ``Params`` declares the backend's options (passed to ``__init__`` as keywords);
    ``identity_for(model, params)`` gives ``identity`` without loading the model, for the
    generation cache's keys.
    """

    Params: ClassVar[type[Params]]
    identity: str

    @classmethod
    def identity_for(cls, model: str, params: Params) -> str: ...

    def generate(
        self,
        prompts: list[str],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
    ) -> list[Generation]: ...


BACKENDS: Registry[type] = Registry("generator backend", plugins="biasinherit.generate.backends")


def option_names(name: str) -> list[str]:
    """The options backend ``name`` takes (its ``Params`` fields)."""
    return list(BACKENDS.get(name).Params.model_fields)


def backends_taking(option: str) -> list[str]:
    """The registered backends that take ``option``."""
    return [n for n, cls in BACKENDS.items() if option in cls.Params.model_fields]


def taken_by(backends: list[str]) -> str:
    """Who takes an option, for a message: ``openai does``, ``openai and llamacpp do``.

    >>> taken_by(["openai"]), taken_by(["a", "b", "c"])
    ('openai does', 'a, b and c do')
    """
    if len(backends) == 1:
        return f"{backends[0]} does"
    return f"{', '.join(backends[:-1])} and {backends[-1]} do"


class OptionError(BiasInheritError):
    """An option backend ``backend`` does not take (``reason`` is None; ``others`` take it),
    or a value its ``Params`` reject (``reason`` says why; ``option`` is None when the check
    spans options). The fields let a caller name the option its own way (the config does).
    """

    def __init__(
        self,
        message: str,
        hint: str,
        *,
        backend: str,
        option: str | None,
        others: list[str] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.backend, self.option, self.others, self.reason = backend, option, others, reason


def backend_params(name: str, options: Mapping[str, Any] | None = None) -> Params:
    """``options`` validated against backend ``name``'s ``Params`` (``None`` means default).

    A key the backend does not take is an :class:`OptionError`, whatever its value.

    Examples
    --------
    >>> backend_params("openai", {"concurrency": 8}).concurrency
    8
    >>> try:
    ...     backend_params("transformers", {"concurrency": 8})
    ... except BiasInheritError as e:
    ...     print(e.message)
    the transformers backend does not take option 'concurrency' (openai does)
    """
    cls = BACKENDS.get(name)
    takes = ", ".join(cls.Params.model_fields) or "no options"
    for key in options or {}:
        if key not in cls.Params.model_fields:
            others = backends_taking(key)
            who = f" ({taken_by(others)})" if others else ""
            raise OptionError(
                f"the {name} backend does not take option {key!r}{who}",
                f"{name} takes: {takes}",
                backend=name,
                option=key,
                others=others,
            )
    given = {k: v for k, v in (options or {}).items() if v is not None}
    try:
        return cls.Params(**given)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise OptionError(
            f"option {loc} of the {name} backend: {msg}",
            f"{name} takes: {takes}",
            backend=name,
            option=str(err["loc"][0]) if err["loc"] else None,
            reason=msg,
        ) from None


def backend_identity(name: str, model: str, options: Mapping[str, Any] | None = None) -> str:
    """The identity backend ``name`` would have, known without loading the model."""
    return BACKENDS.get(name).identity_for(model, backend_params(name, options))


def make_backend(name: str, *, model: str, batch_size: int = 32, **options: Any) -> Backend:
    """Instantiate a registered backend with its options validated against its ``Params``.

    An option the backend does not take is a :class:`BiasInheritError` naming the option,
    the backend and what it takes.
    """
    params = backend_params(name, options)
    return BACKENDS.get(name)(model=model, batch_size=batch_size, **params.model_dump())


def describe_options(name: str) -> list[dict[str, Any]]:
    """Backend ``name``'s options: ``option``, ``type``, ``default``, ``description``."""
    rows = []
    for key, f in BACKENDS.get(name).Params.model_fields.items():
        ann = f.annotation
        kind = ann.__name__ if isinstance(ann, type) else str(ann).replace("typing.", "")
        rows.append(
            {"option": key, "type": kind, "default": f.default, "description": f.description}
        )
    return rows
