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

from sqlalchemy.dialects import sqlite
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
