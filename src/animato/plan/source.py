"""YAML documents read with the position of every key and value, so problems point at lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """A YAML file's data plus the line and column of each key and value, by data path."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int, str]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value (or key) at ``path``, or of its nearest parent."""
        path = tuple(path)
        while True:
            if key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                line, col, _ = self.values[path]
                return line, col
            if not path:
                return 1, 1
            path = path[:-1]

    def style(self, path: Path_) -> str:
        """The scalar style of the value at ``path`` ('' for plain, a quote character otherwise)."""
        entry = self.values.get(tuple(path))
        return entry[2] if entry else ""

    def resolve(self, loc: tuple[Any, ...]) -> Path_:
        """Turn a validation-error location into a data path, skipping union-member labels."""
        node, path = self.data, []
        for part in loc:
            if isinstance(node, dict) and part in node:
                node = node[part]
                path.append(part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
                path.append(part)
        return tuple(path)


class _Loader(yaml.SafeLoader):
    """Safe loader; positions are recorded from the node tree, not by this class."""


def _walk(node: yaml.Node, path: Path_, out: Located, loader: _Loader) -> Any:
    mark = node.start_mark
    style = getattr(node, "style", None) or ""
    out.values[path] = (mark.line + 1, mark.column + 1, style if style in ("'", '"') else "")
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # Keys are read as written: YAML 1.1 would turn `on:` into True.
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                key = str(loader.construct_object(key_node, deep=True))
            sub = (*path, key)
            out.keys[sub] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                raise _DuplicateKey(
                    key, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
            result[key] = _walk(value_node, sub, out, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), out, loader) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:  # e.g. 2027-02-30 looks like a date but is none: let the model say so
        return node.value


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, col: int) -> None:
        super().__init__(f"key '{key}' appears twice in the same mapping")
        self.line, self.col = line, col


class YamlProblem(Exception):
    """A file that is not valid YAML, with where it breaks."""

    def __init__(self, file: str, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.file, self.line, self.col, self.message = file, line, col, message


def load_yaml(path: Path, display: str) -> Located:
    """Read one YAML file into data plus positions; raise ``YamlProblem`` if it does not parse."""
    text = path.read_text(encoding="utf-8")
    out = Located(display, None)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        out.data = {} if node is None else _walk(node, (), out, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(display, line, col, f"not valid YAML: {exc.problem}") from exc
    except _DuplicateKey as exc:
        raise YamlProblem(display, exc.line, exc.col, str(exc)) from exc
    finally:
        loader.dispose()
    return out
