"""YAML the strict way: a key given twice is an error, not "the later value wins".

PyYAML's ``safe_load`` keeps the last of two equal keys silently, so a config with
``ratios:`` twice would run with a value the user may not have meant.
"""

from __future__ import annotations

from typing import Any

import yaml

from biasinherit.errors import BiasInheritError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader whose mappings refuse duplicate keys."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key (a list as key): let PyYAML report it
            continue
        if first is not None:
            raise _DuplicateKey(key, first, line)
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: int, line: int) -> None:
        super().__init__(key)
        self.key, self.first, self.line = key, first, line


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, *, where: str) -> Any:
    """Parse YAML text; a syntax error or a repeated key is a one-line error naming ``where``.

    Examples
    --------
    >>> load_yaml("a: 1\\nb: [2, 3]\\n", where="x.yaml")
    {'a': 1, 'b': [2, 3]}
    >>> try:
    ...     load_yaml("a: 1\\na: 2\\n", where="x.yaml")
    ... except BiasInheritError as e:
    ...     print(e.message)
    x.yaml line 2: key 'a' is given twice (first on line 1)
    """
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as e:
        raise BiasInheritError(
            f"{where} line {e.line}: key {e.key!r} is given twice (first on line {e.first})",
            "keep one of them",
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise BiasInheritError(
            f"{where}{line} is not valid YAML ({problem})", "check indentation and colons"
        ) from None
