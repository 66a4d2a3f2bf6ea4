"""SQL written once: the audit, issues and business state statements, compiled for each
engine's dialect, run on a migrated SQLite file and a migrated PostgreSQL database through each
engine's own driver, and read back by column name the same way."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import bindparam, insert
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from hub.model import (
    AuditEntry,
    AuditFilter,
    BusinessObject,
    EventFilter,
    Issue,
    IssueStatus,
    LogEntry,
    ObjectDeadline,
    ReceiptStatus,
    Rejection,
)
from hub.store import (
    audit,
    documents,
    events,
    issues,
    objects,
    receipts,
    rejections,
    schema,
    tables,
)
from hub.store.statements import SQLITE, Compiled, compiled, padded

Run = Callable[[Compiled, Mapping[str, Any]], Awaitable[list[dict[str, Any]]]]
POSTGRES = asyncpg_dialect()


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Any, Run]]:
    if request.param == "sqlite":
        url = schema.sqlite_url(tmp_path / "hub.db")
        await schema.upgrade(url)
        conn = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)

        async def run_sqlite(
            statement: Compiled, values: Mapping[str, Any]
        ) -> list[dict[str, Any]]:
            cursor = conn.execute(statement.sql, statement.bind(values))
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        yield SQLITE, run_sqlite
        conn.close()
        return
    url = request.getfixturevalue("postgres_url")
    await schema.upgrade(url)
    pg = await asyncpg.connect(url)

    async def run_postgres(statement: Compiled, values: Mapping[str, Any]) -> list[Any]:
        return [dict(r) for r in await pg.fetch(statement.sql, *statement.bind(values))]

    yield POSTGRES, run_postgres
    await pg.close()


async def test_the_audit_statements_run_on_both_engines(engine: tuple[Any, Run]) -> None:
    dialect, run = engine
    insert = audit.inserting(dialect)
    for n, actor in enumerate(["admin", "tok_1", "admin"]):
        entry = AuditEntry(f"aud_{n:032x}", 100.0 + n, actor, actor, "replay", "POST",
                           "/api/x", {"id": str(n)}, 202, "api", None, None)  # fmt: skip
        await run(insert, audit.values(entry))
    given = audit.listing_values(AuditFilter(actor_id="admin"), None, 10)
    rows = await run(audit.listing(frozenset(given), dialect), given)
    found = [audit.entry_of(r) for r in rows]
    assert [e.id for e in found] == [f"aud_{2:032x}", f"aud_{0:032x}"]
    assert found[0].target == {"id": "2"} and found[0].at == 102.0


async def test_the_issue_statements_run_on_both_engines(engine: tuple[Any, Run]) -> None:
    dialect, run = engine
    statements = issues.for_dialect(dialect)
    fresh = Issue("iss_1", "delivery:erp:503", "delivery", "erp", "erp: 503", IssueStatus.OPEN,
                  1, 10.0, 10.0, "down")  # fmt: skip
    await run(statements.insert, issues.values(fresh))
    await run(statements.count, {"key": fresh.key, "now": 11.0, "detail": "still down"})
    [row] = await run(statements.get, {"issue_id": "iss_1"})
    assert (issues.issue_of(row).count, issues.issue_of(row).detail) == (2, "still down")
    live = [issues.issue_of(r) for r in await run(statements.live, {})]
    assert [i.id for i in live] == ["iss_1"]
    resolving = issues.resolving(2, dialect)
    done = await run(resolving, {"kind_0": "delivery", "kind_1": "schema", "scope": "erp",
                                 "now": 12.0})  # fmt: skip
    assert [issues.issue_of(r).status for r in done] == [IssueStatus.RESOLVED]
    listed = await run(issues.listing(True, False, dialect), {"status": "resolved", "limit": 5})
    assert [issues.issue_of(r).resolved_at for r in listed] == [12.0]


async def test_the_business_state_statements_run_on_both_engines(
    engine: tuple[Any, Run],
) -> None:
    """Upserts, a merge, the listing's filters (text in the facts, an alias, overdue), the
    kept logbook and the cursor: the same statements and answers on both engines."""
    dialect, run = engine
    write = objects.writes(dialect)
    read = objects.reads(dialect)
    for n, key in enumerate(["1042", "1043"]):
        obj = BusinessObject(f"obj_{n}", "order", key, "received", "open", "", 10.0 + n,
                             10.0, 10.0, "USMF", {"tracking": f"1Z_{key}"}, {})  # fmt: skip
        await run(write.upsert_object, objects.object_values(obj))
        await run(write.upsert_alias, {"alias": f"shopify.order:{key}", "value": key,
                                       "object_id": obj.id})  # fmt: skip
        entry = LogEntry(f"log_{n}", obj.id, 11.0, "manual", "moved", "a", "b")
        await run(write.log, objects.log_values(entry))
    await run(write.upsert_object, objects.object_values(BusinessObject(
        "obj_0", "order", "1042", "shipped", "open", "", 20.0, 10.0, 20.0, "USMF",
        {"tracking": "1Z_1042"}, {})))  # fmt: skip
    await run(write.set_deadline, objects.deadline_values(
        ObjectDeadline("obj_1", "received", 11.0, 15.0, "order.overdue")))  # fmt: skip
    await run(write.set_cursor, {"cursor": "evt_9"})
    await run(write.set_cursor, {"cursor": "evt_10"})

    async def keys(**given: Any) -> list[str]:
        values = given | {"limit": 10}
        return [r["key"] for r in await run(objects.listing(frozenset(values), dialect), values)]

    assert await keys(text="1z_1043") == ["1043"]  # in the facts, any case
    assert await keys(text="%") == []  # text, never a pattern
    assert await keys(alias="shopify.order:1042") == ["1042"]
    assert await keys(status="shipped") == ["1042"]
    assert await keys(overdue_at=16.0) == ["1043"]
    [cursor] = await run(read.cursor, {})
    assert cursor["value"] == "evt_10"
    size, values = padded("v", ["order"])
    kept = await run(objects.kept_log(size, dialect), values)
    assert [r["id"] for r in kept] == ["log_0", "log_1"]
    size, values = padded("v", ["obj_1"])
    for statement in objects.merging(size, dialect):
        await run(statement, values | {"survivor": "obj_0"})
    size, values = padded("v", ["obj_0"])
    moved = await run(objects.aliases_of(size, True, dialect), values)
    assert sorted(r["alias"] for r in moved) == ["shopify.order:1042", "shopify.order:1043"]
    assert await keys() == ["1042"]


async def test_documents_meta_and_rejections_run_on_both_engines(
    engine: tuple[Any, Run],
) -> None:
    dialect, run = engine
    docs = documents.for_dialect(dialect)
    await run(docs.put, {"kind": "token", "id": "tok_1", "doc": "{}"})
    await run(docs.put, {"kind": "token", "id": "tok_1", "doc": '{"v": 2}'})
    assert [(r["id"], r["doc"]) for r in await run(docs.of_kind, {"kind": "token"})] == [
        ("tok_1", '{"v": 2}')]  # fmt: skip
    await run(docs.set_meta, {"key": "k", "value": "1"})
    await run(docs.set_meta, {"key": "k", "value": "2"})
    assert [r["value"] for r in await run(docs.get_meta, {"key": "k"})] == ["2"]
    refused = rejections.for_dialect(dialect)
    for n in range(4):
        rejection = Rejection(f"rej_{n:032x}", "standard", float(n), 401, "invalid-signature",
                              "no", {"a": "b"}, b"\x00body", 5, [], None)  # fmt: skip
        await run(refused.insert, rejections.values(rejection))
        await run(refused.trim, {"keep": 2})
    kept = [rejections.rejection_of(r) for r in await run(refused.first, {"limit": 10})]
    assert [r.id for r in kept] == [f"rej_{3:032x}", f"rej_{2:032x}"]
    assert kept[0].body == b"\x00body" and kept[0].headers == {"a": "b"}
    older = await run(refused.after, {"cursor": kept[0].id, "limit": 10})
    assert [r["id"] for r in older] == [kept[1].id]


async def test_the_event_reads_run_on_both_engines(engine: tuple[Any, Run]) -> None:
    dialect, run = engine
    put = compiled(insert(tables.events).values(
        {c.name: bindparam(c.name) for c in tables.events.columns}), dialect)  # fmt: skip
    for n, (kind, company) in enumerate([("order.created", "USMF"), ("order.shipped", "USMF"),
                                         ("order.created", "DEMF")]):  # fmt: skip
        await run(put, {"id": f"evt_{n:032x}", "type": kind, "source": "/s", "connector": "std",
                        "subject": f"order/{n}", "company": company, "time": 10.0 + n,
                        "received_at": 10.0 + n, "schema_version": "1.0", "receipt_id": None,
                        "data": json.dumps({"n": n})})  # fmt: skip
    given = events.listing_values(EventFilter(type="order.created", since=10.5), None, 10)
    found = [events.event_of(r) for r in await run(events.listing(frozenset(given), dialect),
                                                   given)]  # fmt: skip
    assert [(e.id, e.company, e.data_json) for e in found] == [
        (f"evt_{2:032x}", "DEMF", '{"n": 2}')]  # fmt: skip
    after = await run(events.for_dialect(dialect).after, {"cursor": f"evt_{0:032x}", "limit": 5})
    assert [r["id"] for r in after] == [f"evt_{1:032x}", f"evt_{2:032x}"]


async def test_the_receipt_reads_run_on_both_engines(engine: tuple[Any, Run]) -> None:
    dialect, run = engine
    put = compiled(insert(tables.receipts).values(
        {c.name: bindparam(c.name) for c in tables.receipts.columns}), dialect)  # fmt: skip
    for n, status in enumerate([None, "quarantined", "quarantined", "ignored"]):
        await run(put, {"id": f"rcp_{n:032x}", "connector": "shopify", "sender_id": f"w{n}",
                        "received_at": float(n), "body": b"{}", "event_ids": "[]",
                        "status": status, "reason": "no rule" if status else None,
                        "headers": json.dumps({"x": "y"}), "query": None,
                        "request_id": None})  # fmt: skip
    statements = receipts.for_dialect(dialect)
    held = await run(statements.first, {"status": "quarantined", "limit": 10})
    assert [r["id"] for r in held] == [f"rcp_{2:032x}", f"rcp_{1:032x}"]
    older = await run(statements.after, {"status": "quarantined", "cursor": held[0]["id"],
                                         "limit": 10})  # fmt: skip
    assert [r["id"] for r in older] == [f"rcp_{1:032x}"]
    [row] = await run(statements.get, {"receipt_id": f"rcp_{0:032x}"})
    plain = receipts.receipt_of(row)
    assert (plain.status, plain.headers, plain.body) == (ReceiptStatus.PROCESSED, {"x": "y"}, b"{}")
