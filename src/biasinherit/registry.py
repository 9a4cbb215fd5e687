"""A small named registry, one per kind of plugin (tasks, bias types, mitigations, backends).

A registry that names its ``plugins`` package imports every public module of that package
the first time it is asked for a name, so adding a plugin is one new file in that folder:
nothing else lists it, and the registry never depends on import order.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from biasinherit.errors import BiasInheritError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to plugins; unknown names fail with "did you mean" and the available list.

    Examples
    --------
    >>> colors = Registry("color")
    >>> @colors.register("red")
    ... class Red: ...
    >>> colors.get("red").__name__
    'Red'
    >>> colors.get("rde")
    Traceback (most recent call last):
    ...
    biasinherit.errors.BiasInheritError: unknown color 'rde' (did you mean 'red'? available: red)
    """

    def __init__(self, kind: str, *, plugins: str | None = None) -> None:
        self.kind = kind
        self.plugins = plugins
        self._items: dict[str, T] = {}
        self._discovered = plugins is None

    def discover(self) -> None:
        """Import every public module of the plugins package (each registers itself)."""
        if self._discovered:
            return
        self._discovered = True  # first: a plugin module may look itself up while importing
        for name in plugin_modules(self.plugins):
            importlib.import_module(name)

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return decorator

    def add(self, name: str, obj: T) -> T:
        return self.register(name)(obj)

    def get(self, name: str) -> T:
        self.discover()
        if name not in self._items:
            close = difflib.get_close_matches(name, list(self._items), n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            raise BiasInheritError(
                f"unknown {self.kind} {name!r}", f"{guess}available: {', '.join(self.names())}"
            )
        return self._items[name]

    def names(self) -> list[str]:
        self.discover()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self.discover()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        return [(n, self._items[n]) for n in self.names()]


def plugin_modules(package: str) -> list[str]:
    """The public modules of a package (files not starting with ``_``), sorted."""
    pkg = importlib.import_module(package)
    return sorted(
        f"{package}.{m.name}"
        for m in pkgutil.iter_modules(pkg.__path__)
        if not m.name.startswith("_")
    )
