"""Configuration files in YAML, read so that every error can name its file, line and column.

`load` parses with PyYAML's safe loader, but builds each mapping as a `Located` dict that
remembers the line it starts on and the line of each key: checkers use `where` to prefix
their messages (``subscriptions.yaml:12: subscription 'erp': ...``). A syntax error names
the line and column PyYAML stopped at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from hub.errors import ConfigError


class Located(dict[Any, Any]):
    """A mapping from a YAML file, with the (1-based) line of itself and of each key."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}


class _Loader(yaml.SafeLoader):
    """The safe loader, making `Located` mappings, with YAML 1.2's booleans: only true and
    false. YAML 1.1 also reads on, off, yes and no as booleans, which turns a transition's
    ``on:`` key into True and Norway's country code NO into False."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    found = Located()
    found.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            found[key] = loader.construct_object(value_node, deep=True)
        except TypeError:  # a list or mapping used as a key
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            ) from None
        found.lines[key] = key_node.start_mark.line + 1
    return found


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def load(path: Path, what: str) -> Any:
    """The document in a YAML file.

    Raises:
        ConfigError: the file cannot be read, or is not YAML (naming the line and column).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(filter(None, (exc.context, exc.problem))) or "not valid YAML"
        at = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise ConfigError(f"{at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def where(path: Path, node: Any, key: Any = None) -> str:
    """``file:line`` of a mapping (or of one of its keys) from `load`, else just the file."""
    if isinstance(node, Located):
        line = node.lines.get(key, node.line) if key is not None else node.line
        if line:
            return f"{path}:{line}"
    return str(path)


def refuse(problems: list[str]) -> None:
    """Raises: ConfigError with every problem found, one per line, if there are any."""
    if problems:
        raise ConfigError("\n".join(problems))


class Problems:
    """Collects the errors of a file, so that all are reported at once rather than one per run."""

    def __init__(self) -> None:
        self.found: list[str] = []

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Keep a `ConfigError` raised in the block instead of letting it stop the check."""
        try:
            yield
        except ConfigError as exc:
            self.found.append(exc.detail)

    def raise_any(self) -> None:
        refuse(self.found)
