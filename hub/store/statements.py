"""SQL written once: SQLAlchemy Core statements over `hub.store.tables`, compiled for an
engine's dialect and kept, then run by that engine's own connections.

Each engine runs a statement through the driver it already holds (SQLite's group-commit writer
and its reader; PostgreSQL's pool), so the statements are shared while what truly differs
(commit batching, locking, notifications) stays in the engine's module. Every parameter is a
named ``bindparam``; `Compiled.bind` orders a mapping of them as the dialect's placeholders ask.
Rows are read by column name, never by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import Executable

SQLITE: Dialect = sqlite.dialect(paramstyle="qmark")


class Row(Protocol):
    """A row read by column name (``sqlite3.Row``, an asyncpg ``Record``)."""

    def __getitem__(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Compiled:
    """A statement's SQL for one dialect and the names of its parameters, in order."""

    sql: str
    names: tuple[str, ...]
    # Values the statement carries itself (SQLite's OFFSET 0 after a bound LIMIT).
    fixed: Mapping[str, Any]

    def bind(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameters in placeholder order.

        Raises:
            KeyError: a parameter the caller did not give (a bug, never input).
        """
        return tuple(values[n] if n in values else self.fixed[n] for n in self.names)


def compiled(statement: Executable, dialect: Dialect = SQLITE) -> Compiled:
    """Compile once; callers keep the result (module constants, or an ``lru_cache`` keyed by
    the shape of an optional filter)."""
    done = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    fixed = {name: value for name, value in done.params.items() if value is not None}
    return Compiled(str(done), tuple(done.positiontup or ()), fixed)


def named(columns: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """A positional row as a mapping by column name (a writer's cursor, which returns tuples)."""
    return dict(zip(columns, values, strict=True))


def padded(prefix: str, items: Sequence[Any]) -> tuple[int, dict[str, Any]]:
    """The list's length rounded up to a power of two, and its values as ``prefix_N``
    parameters (the last repeated: a repeat changes nothing in an ``IN`` list)."""
    size = 1
    while size < len(items):
        size *= 2
    return size, {f"{prefix}_{n}": items[min(n, len(items) - 1)] for n in range(size)}


def listed(prefix: str, size: int) -> list[Any]:
    """The parameters of a padded list, ``prefix_0`` to ``prefix_<size-1>``."""
    return [bindparam(f"{prefix}_{n}") for n in range(size)]


def insert_for(dialect: Any) -> Any:
    """The dialect's own ``insert``, which has ``on_conflict_do_update`` on both engines."""
    return postgresql.insert if dialect.name == "postgresql" else sqlite.insert


def filtered(query: Any, filters: Sequence[tuple[str, Any]], given: frozenset[str]) -> Any:
    """The query narrowed by each named filter that was given: ``(name, test)`` pairs whose
    test takes the parameter named after the filter."""
    for name, test in filters:
        if name in given:
            query = query.where(test(bindparam(name)))
    return query
