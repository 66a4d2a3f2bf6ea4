"""Business state's statements and rows, written once for every engine: objects, aliases,
logbook, timeline, deadlines and the tracker's cursor.

Lists of ids go in as ``IN`` lists padded to a power of two (`hub.store.statements.padded`),
so a handful of compiled statements serve any length. Upserts use each dialect's own ``INSERT
... ON CONFLICT``, which SQLite and PostgreSQL spell alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, bindparam, delete, exists, func, select, union, update
from sqlalchemy import insert as plain_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from hub.model import BusinessObject, LogEntry, ObjectDeadline, ObjectFilter
from hub.store.statements import SQLITE, Compiled, Row, compiled, insert_for, listed
from hub.store.tables import aliases, events, logbook, meta, object_deadlines, object_events
from hub.store.tables import objects as table

STATE_CURSOR = "state_cursor"


class contains_text(FunctionElement[bool]):
    """Whether a text holds another, ignoring case and treating neither as a pattern."""

    type = Boolean()
    inherit_cache = True


@compiles(contains_text, "sqlite")
def _instr(element: contains_text, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(instr(lower({haystack}), lower({needle})) > 0)"


@compiles(contains_text, "postgresql")
def _strpos(element: contains_text, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(strpos(lower({haystack}), lower({needle})) > 0)"


# -- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reads:
    cursor: Compiled
    get: Compiled
    by_key: Compiled
    by_alias: Compiled
    by_value: Compiled
    logbook: Compiled
    timeline: Compiled
    deadlines: Compiled
    due: Compiled
    next_due: Compiled


def _typed(where: ColumnElement[bool]) -> Any:
    return (
        select(table).where(table.c.type == bindparam("type"), where).order_by(table.c.id).limit(1)
    )


@lru_cache(maxsize=4)
def reads(dialect: Any = SQLITE) -> Reads:
    def alias_in(column: Any) -> ColumnElement[bool]:
        return table.c.id.in_(select(aliases.c.object_id).where(column == bindparam("key")))

    return Reads(
        cursor=compiled(select(meta.c.value).where(meta.c.key == STATE_CURSOR), dialect),
        get=compiled(select(table).where(table.c.id == bindparam("object_id")), dialect),
        by_key=compiled(_typed(table.c.key == bindparam("key")), dialect),
        by_alias=compiled(_typed(alias_in(aliases.c.alias)), dialect),
        by_value=compiled(_typed(alias_in(aliases.c.value)), dialect),
        logbook=compiled(
            select(logbook).where(logbook.c.object_id == bindparam("object_id"))
            .order_by(logbook.c.id.desc()).limit(bindparam("limit")), dialect,
        ),
        timeline=compiled(
            select(events).join(object_events, object_events.c.event_id == events.c.id)
            .where(object_events.c.object_id == bindparam("object_id"))
            .order_by(events.c.id).limit(bindparam("limit")), dialect,
        ),
        deadlines=compiled(
            select(object_deadlines)
            .where(object_deadlines.c.object_id == bindparam("object_id")), dialect,
        ),
        due=compiled(
            select(object_deadlines).where(object_deadlines.c.due_at <= bindparam("now"))
            .order_by(object_deadlines.c.due_at, object_deadlines.c.object_id)
            .limit(bindparam("limit")), dialect,
        ),
        next_due=compiled(select(func.min(object_deadlines.c.due_at).label("due")), dialect),
    )  # fmt: skip


@lru_cache(maxsize=64)
def aliases_of(size: int, by_object: bool, dialect: Any = SQLITE) -> Compiled:
    """Alias rows whose alias (or, `by_object`, whose object id) is in a padded list."""
    column = aliases.c.object_id if by_object else aliases.c.alias
    query = select(aliases.c.alias, aliases.c.object_id).where(column.in_(listed("v", size)))
    return compiled(query, dialect)


@lru_cache(maxsize=32)
def holders(size: int, dialect: Any = SQLITE) -> Compiled:
    held = select(aliases.c.object_id).where(aliases.c.alias.in_(listed("v", size)))
    return compiled(select(table).where(table.c.id.in_(held)).order_by(table.c.id), dialect)


@lru_cache(maxsize=16)
def kept_log(size: int, dialect: Any = SQLITE) -> Compiled:
    """Manual moves and raised deadlines of objects of some types (a rebuild keeps them)."""
    query = (
        select(logbook).join(table, table.c.id == logbook.c.object_id)
        .where(table.c.type.in_(listed("v", size)),
               (logbook.c.trigger == "manual") | (logbook.c.outcome == "overdue"))
        .order_by(logbook.c.at, logbook.c.id)
    )  # fmt: skip
    return compiled(query, dialect)


EQUALS = ("type", "status", "state", "company")


@lru_cache(maxsize=128)
def listing(given: frozenset[str], dialect: Any = SQLITE) -> Compiled:
    """Objects by the filters `given`, newest first (compiled once per combination)."""
    query = select(table)
    for name in EQUALS:
        if name in given:
            query = query.where(table.c[name] == bindparam(name))
    if "overdue_at" in given:
        # Overdue from the moment the deadline passes until the object leaves the status: a
        # deadline passed but not raised yet, or one raised in the status it is still in
        # (a raised deadline leaves object_deadlines; its logbook entry stays).
        passed = select(object_deadlines.c.object_id).where(
            object_deadlines.c.due_at <= bindparam("overdue_at"))  # fmt: skip
        raised = exists().where(
            logbook.c.object_id == table.c.id, logbook.c.outcome == "overdue",
            logbook.c.to_status == table.c.status, logbook.c.at >= table.c.since)  # fmt: skip
        query = query.where(table.c.id.in_(passed) | raised)
    if "text" in given:
        text: Any = bindparam("text")
        named = select(aliases.c.object_id).where((aliases.c.value == text)
                                                  | (aliases.c.alias == text))  # fmt: skip
        query = query.where((table.c.key == text) | table.c.id.in_(named)
                            | contains_text(table.c.facts, text))  # fmt: skip
    if "alias" in given:
        # One IN over a union of indexed look-ups: the objects are found by primary key,
        # never by a scan, however many there are.
        alias: Any = bindparam("alias")
        query = query.where(table.c.id.in_(union(
            select(aliases.c.object_id).where(aliases.c.value == alias),
            select(aliases.c.object_id).where(aliases.c.alias == alias),
            select(table.c.id).where(table.c.key == alias))))  # fmt: skip
    if "cursor" in given:
        query = query.where(table.c.id < bindparam("cursor"))
    return compiled(query.order_by(table.c.id.desc()).limit(bindparam("limit")), dialect)


def listing_values(where: ObjectFilter, cursor: str | None, limit: int) -> dict[str, Any]:
    found = {"type": where.type, "status": where.status, "state": where.state,
             "company": where.company, "overdue_at": where.overdue_at, "text": where.text,
             "alias": where.alias, "cursor": cursor}  # fmt: skip
    return {k: v for k, v in found.items() if v is not None} | {"limit": limit}


# -- writes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writes:
    upsert_object: Compiled
    upsert_alias: Compiled
    log: Compiled
    timeline: Compiled
    clear_deadline: Compiled
    set_deadline: Compiled
    set_cursor: Compiled


@lru_cache(maxsize=4)
def writes(dialect: Any = SQLITE) -> Writes:
    insert = insert_for(dialect)
    obj = insert(table).values({c.name: bindparam(c.name) for c in table.columns})
    changed = ("key", "status", "state", "reason", "since", "updated_at", "company", "facts",
               "sources")  # fmt: skip
    alias = insert(aliases).values(alias=bindparam("alias"), value=bindparam("value"),
                                   object_id=bindparam("object_id"))  # fmt: skip
    deadline = insert(object_deadlines).values(
        {c.name: bindparam(c.name) for c in object_deadlines.columns})  # fmt: skip
    cursor = insert(meta).values(key=STATE_CURSOR, value=bindparam("cursor"))
    return Writes(
        upsert_object=compiled(obj.on_conflict_do_update(
            index_elements=[table.c.id], set_={n: obj.excluded[n] for n in changed}), dialect),
        upsert_alias=compiled(alias.on_conflict_do_update(
            index_elements=[aliases.c.alias], set_={"object_id": alias.excluded.object_id}),
            dialect),
        log=compiled(plain_insert(logbook).values(
            {c.name: bindparam(c.name) for c in logbook.columns}), dialect),
        timeline=compiled(insert(object_events).values(
            object_id=bindparam("object_id"), event_id=bindparam("event_id"))
            .on_conflict_do_nothing(), dialect),
        clear_deadline=compiled(delete(object_deadlines).where(
            object_deadlines.c.object_id == bindparam("object_id")), dialect),
        set_deadline=compiled(deadline.on_conflict_do_update(
            index_elements=[object_deadlines.c.object_id],
            set_={c: deadline.excluded[c] for c in ("status", "since", "due_at", "emit")}),
            dialect),
        set_cursor=compiled(cursor.on_conflict_do_update(
            index_elements=[meta.c.key], set_={"value": cursor.excluded.value}), dialect),
    )  # fmt: skip


@lru_cache(maxsize=32)
def dropping(size: int, dialect: Any = SQLITE) -> tuple[Compiled, ...]:
    """Every object of some types and all that hangs on it (a rebuild writes them anew)."""
    chosen = select(table.c.id).where(table.c.type.in_(listed("v", size)))
    hanging = [delete(t).where(t.c.object_id.in_(chosen))
               for t in (aliases, logbook, object_events, object_deadlines)]  # fmt: skip
    gone = delete(table).where(table.c.type.in_(listed("v", size)))
    return tuple(compiled(s, dialect) for s in [*hanging, gone])


@lru_cache(maxsize=32)
def merging(size: int, dialect: Any = SQLITE) -> tuple[Compiled, ...]:
    """Fold merged objects' aliases, logbook and timeline into the survivor; drop them."""
    merged = listed("v", size)
    survivor: Any = bindparam("survivor")
    insert = insert_for(dialect)
    moved_timeline = insert(object_events).from_select(
        ["object_id", "event_id"],
        select(survivor, object_events.c.event_id).where(object_events.c.object_id.in_(merged)),
    ).on_conflict_do_nothing()  # fmt: skip
    statements = [
        update(aliases).where(aliases.c.object_id.in_(merged)).values(object_id=survivor),
        update(logbook).where(logbook.c.object_id.in_(merged)).values(object_id=survivor),
        moved_timeline,
        delete(object_events).where(object_events.c.object_id.in_(merged)),
        delete(object_deadlines).where(object_deadlines.c.object_id.in_(merged)),
        delete(table).where(table.c.id.in_(merged)),
    ]
    return tuple(compiled(s, dialect) for s in statements)


# -- rows ----------------------------------------------------------------------------------


def object_values(o: BusinessObject) -> Mapping[str, Any]:
    return {
        "id": o.id, "type": o.type, "key": o.key, "status": o.status, "state": o.state,
        "reason": o.reason, "since": o.since, "created_at": o.created_at,
        "updated_at": o.updated_at, "company": o.company,
        "facts": json.dumps(o.facts, default=str), "sources": json.dumps(o.sources),
    }  # fmt: skip


def object_of(row: Row, names: Sequence[str]) -> BusinessObject:
    return BusinessObject(
        id=row["id"], type=row["type"], key=row["key"], status=row["status"],
        state=row["state"], reason=row["reason"], since=row["since"],
        created_at=row["created_at"], updated_at=row["updated_at"], company=row["company"],
        facts=json.loads(row["facts"]), sources=json.loads(row["sources"]),
        aliases=tuple(sorted(names)),
    )  # fmt: skip


def log_values(e: LogEntry) -> Mapping[str, Any]:
    return {
        "id": e.id, "object_id": e.object_id, "at": e.at, "trigger": e.trigger,
        "outcome": e.outcome, "from_status": e.from_status, "to_status": e.to_status,
        "message": e.message, "event_id": e.event_id, "created_by": e.created_by,
    }  # fmt: skip


def log_of(row: Row) -> LogEntry:
    return LogEntry(
        id=row["id"], object_id=row["object_id"], at=row["at"], trigger=row["trigger"],
        outcome=row["outcome"], from_status=row["from_status"], to_status=row["to_status"],
        message=row["message"], event_id=row["event_id"], created_by=row["created_by"],
    )  # fmt: skip


def deadline_values(d: ObjectDeadline) -> Mapping[str, Any]:
    return {"object_id": d.object_id, "status": d.status, "since": d.since,
            "due_at": d.due_at, "emit": d.emit}  # fmt: skip


def deadline_of(row: Row) -> ObjectDeadline:
    return ObjectDeadline(object_id=row["object_id"], status=row["status"], since=row["since"],
                          due_at=row["due_at"], emit=row["emit"])  # fmt: skip
