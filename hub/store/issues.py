"""Issues' statements and rows, written once for every engine: at most one live (open or
acknowledged) row per key, which a partial unique index guarantees, so two failures at once
count on one issue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from hub.model import Issue, IssueStatus
from hub.store.statements import SQLITE, Compiled, Row, compiled
from hub.store.tables import issues

LIVE = issues.c.status != "resolved"
ALL = tuple(issues.c)


@dataclass(frozen=True)
class Statements:
    """The fixed statements, compiled for one dialect."""

    count: Compiled
    insert: Compiled
    set_status: Compiled
    get: Compiled
    live: Compiled


@lru_cache(maxsize=4)
def for_dialect(dialect: Any = SQLITE) -> Statements:
    return Statements(
        count=compiled(
            update(issues)
            .where(issues.c.key == bindparam("key"), LIVE)
            .values(count=issues.c.count + 1, last_seen=bindparam("now"),
                    detail=bindparam("detail")),
            dialect,
        ),
        insert=compiled(
            insert(issues).values({c.name: bindparam(c.name) for c in issues.columns}), dialect
        ),
        set_status=compiled(
            update(issues)
            .where(issues.c.id == bindparam("issue_id"))
            .values(status=bindparam("to"), resolved_at=bindparam("resolved_at"))
            .returning(*ALL),
            dialect,
        ),
        get=compiled(select(issues).where(issues.c.id == bindparam("issue_id")), dialect),
        live=compiled(select(issues).where(LIVE).order_by(issues.c.id), dialect),
    )  # fmt: skip


@lru_cache(maxsize=16)
def resolving(kinds: int, dialect: Any = SQLITE) -> Compiled:
    """Resolve a scope's live issues of `kinds` kinds (``kind_0`` ...), returning them."""
    names: list[Any] = [bindparam(f"kind_{n}") for n in range(kinds)]
    return compiled(
        update(issues)
        .where(issues.c.scope == bindparam("scope"), issues.c.kind.in_(names), LIVE)
        .values(status="resolved", resolved_at=bindparam("now"))
        .returning(*ALL),
        dialect,
    )


@lru_cache(maxsize=8)
def listing(by_status: bool, after: bool, dialect: Any = SQLITE) -> Compiled:
    query = select(issues)
    if by_status:
        query = query.where(issues.c.status == bindparam("status"))
    if after:
        query = query.where(issues.c.id < bindparam("cursor"))
    return compiled(query.order_by(issues.c.id.desc()).limit(bindparam("limit")), dialect)


def values(issue: Issue) -> Mapping[str, Any]:
    return {
        "id": issue.id, "key": issue.key, "kind": issue.kind, "scope": issue.scope,
        "title": issue.title, "status": str(issue.status), "count": issue.count,
        "first_seen": issue.first_seen, "last_seen": issue.last_seen, "detail": issue.detail,
        "resolved_at": issue.resolved_at,
    }  # fmt: skip


def issue_of(row: Row) -> Issue:
    return Issue(
        id=row["id"], key=row["key"], kind=row["kind"], scope=row["scope"], title=row["title"],
        status=IssueStatus(row["status"]), count=row["count"], first_seen=row["first_seen"],
        last_seen=row["last_seen"], detail=row["detail"], resolved_at=row["resolved_at"],
    )  # fmt: skip
