"""One behaviour suite, run against every store backend."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from hub.errors import ConfigError, Conflict, InvalidParameter
from hub.ids import new_id
from hub.model import (
    Attempt,
    AttemptRecord,
    AuditEntry,
    AuditFilter,
    Delivery,
    DeliveryFilter,
    DeliveryStatus,
    Event,
    EventFilter,
    IssueKey,
    IssueStatus,
    Receipt,
    ReceiptStatus,
    Rejection,
)
from hub.store import Store, events, open_store
from hub.store.sqlite import (
    CLAIM_DUE,
    CLAIM_SUBSCRIPTION,
    FIND_RECEIPT,
    ORDERED_HEAD,
    RELEASE_EXPIRED,
    SqliteStore,
    delivery_listing,
)

NOW = 1_700_000_000.0


@pytest.fixture(params=["sqlite"])  # PostgreSQL joins with the store rebuild (issue 29)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite:///{tmp_path}/hub.db"
    the_store = open_store(url)
    await the_store.open()
    yield the_store
    await the_store.close()


def event(event_type: str = "order.created", subject: str = "order/1", t: float = NOW) -> Event:
    return Event(new_id("evt"), event_type, "/connectors/standard", "standard", t, t,
                 '{"order_id":"1"}', subject, "USMF", "1.0")  # fmt: skip


def delivery(e: Event, sub: str = "erp", due: float = NOW) -> Delivery:
    return Delivery(new_id("dlv"), e.id, sub, e.type, DeliveryStatus.PENDING, NOW, due)


async def ingest(store: Store, sender: str | None, *subs: str) -> tuple[Event, list[Delivery]]:
    e = event()
    ds = [delivery(e, s) for s in subs]
    await store.ingest(Receipt(new_id("rcp"), "standard", sender, NOW, b"{}"), [e], ds)
    return e, ds


def attempt(d: Delivery, status: int | None, at: float = NOW) -> Attempt:
    return Attempt(new_id("att"), d.id, at, 1.5, status, "ok", None if status else "timeout")


async def test_ingest_and_dedup(store: Store) -> None:
    e, _ = await ingest(store, "msg-1", "erp", "wms")
    repeat = await store.ingest(
        Receipt(new_id("rcp"), "standard", "msg-1", NOW, b"{}"), [event()], [delivery(event())]
    )
    assert repeat.duplicate
    assert repeat.event_ids == [e.id]
    assert await store.find_receipt("standard", "msg-1") == [e.id]
    assert await store.find_receipt("other", "msg-1") is None
    assert await store.count_deliveries(DeliveryFilter()) == 2
    assert (await store.list_events(EventFilter(), None, 10)).items == [e]


async def test_repeats_within_one_commit_batch_are_caught(store: Store) -> None:
    import asyncio

    first, second, other = await asyncio.gather(
        store.ingest(Receipt(new_id("rcp"), "standard", "same", NOW, b""), [event()], []),
        store.ingest(Receipt(new_id("rcp"), "standard", "same", NOW, b""), [event()], []),
        store.ingest(Receipt(new_id("rcp"), "other", "same", NOW, b""), [event()], []),
    )
    assert (first.duplicate, second.duplicate, other.duplicate) == (False, True, False)
    assert second.event_ids == first.event_ids
    assert len((await store.list_events(EventFilter(), None, 10)).items) == 2


async def test_claim_leases_due_deliveries_once(store: Store) -> None:
    e = event()
    due, later = delivery(e, "a", NOW - 1), delivery(e, "b", NOW + 60)
    await store.ingest(Receipt(new_id("rcp"), "standard", None, NOW, b""), [e], [due, later])
    jobs = await store.claim(NOW, 10, NOW + 120)
    assert [j.delivery.id for j in jobs] == [due.id]
    assert jobs[0].event == e
    assert await store.claim(NOW, 10, NOW + 120) == []  # leased
    assert await store.next_due() == NOW + 60
    await store.release([due.id])
    assert [j.delivery.id for j in await store.claim(NOW, 10, NOW + 120)] == [due.id]


async def test_expired_leases_are_reclaimed(store: Store) -> None:
    await ingest(store, None, "erp")
    await store.claim(NOW, 10, lease_until=NOW + 5)
    assert await store.release_expired(NOW + 1) == 0
    assert await store.release_expired(NOW + 6) == 1
    assert len(await store.claim(NOW + 6, 10, NOW + 100)) == 1


async def test_record_writes_the_attempt_and_next_state(store: Store) -> None:
    _, [d] = await ingest(store, None, "erp")
    await store.claim(NOW, 10, NOW + 120)
    await store.record(AttemptRecord(attempt(d, 500), DeliveryStatus.PENDING, NOW + 5, 1))
    after = await store.get_delivery(d.id)
    assert after is not None
    assert (after.status, after.attempts, after.retry_index) == (DeliveryStatus.PENDING, 1, 1)
    assert after.next_attempt_at == NOW + 5
    assert after.last_status_code == 500
    assert await store.claim(NOW + 4, 10, NOW + 200) == []
    assert len(await store.claim(NOW + 5, 10, NOW + 200)) == 1
    await store.record(AttemptRecord(attempt(d, None, NOW + 5), DeliveryStatus.FAILED, None, 1))
    attempts = await store.list_attempts(d.id)
    assert [a.status_code for a in attempts] == [500, None]
    assert attempts[1].error == "timeout"


async def test_disabling_fails_pending_deliveries_of_that_subscription(store: Store) -> None:
    _, [a, b] = await ingest(store, None, "zap", "erp")
    await store.set_subscription_active("zap", False, "410 Gone", NOW)
    assert await store.disabled_subscriptions() == ["zap"]
    gone = await store.get_delivery(a.id)
    kept = await store.get_delivery(b.id)
    assert gone is not None and kept is not None
    assert gone.status == DeliveryStatus.FAILED
    assert gone.last_error is not None and "410 Gone" in gone.last_error
    assert kept.status == DeliveryStatus.PENDING
    await store.set_subscription_active("zap", True, "admin", NOW)
    assert await store.disabled_subscriptions() == []


async def test_replay_one_and_many(store: Store) -> None:
    _, ds = await ingest(store, None, "a", "b", "c")
    for d in ds:
        await store.claim(NOW, 10, NOW + 100)
        await store.record(AttemptRecord(attempt(d, 500), DeliveryStatus.FAILED, None, 7))
    replayed = await store.replay(ds[0].id, NOW + 50)
    assert replayed is not None
    assert (replayed.status, replayed.retry_index, replayed.next_attempt_at) == (
        DeliveryStatus.PENDING, 0, NOW + 50)  # fmt: skip
    with pytest.raises(Conflict):
        await store.replay(ds[0].id, NOW + 50)
    assert await store.replay("dlv_0000018c0000000000000000000000ff", NOW) is None
    failed = DeliveryFilter(status=DeliveryStatus.FAILED)
    assert await store.count_deliveries(failed) == 2
    assert await store.replay_many(failed, NOW, limit=1) == 1
    assert await store.replay_many(failed, NOW, limit=10) == 1
    assert await store.count_deliveries(failed) == 0


async def test_listing_filters_and_cursor_pagination(store: Store) -> None:
    events = [event(t=NOW + i, subject=f"order/{i % 2}") for i in range(5)]
    for e in events:
        await store.ingest(Receipt(new_id("rcp"), "standard", None, NOW, b""), [e],
                           [delivery(e, "erp" if e.time % 2 else "wms")])  # fmt: skip
    first = await store.list_events(EventFilter(), None, 2)
    second = await store.list_events(EventFilter(), first.next_cursor, 2)
    third = await store.list_events(EventFilter(), second.next_cursor, 2)
    listed = first.items + second.items + third.items
    assert [e.id for e in listed] == [e.id for e in reversed(events)]
    assert third.next_cursor is None
    odd = await store.list_events(EventFilter(subject="order/1"), None, 10)
    assert len(odd.items) == 2
    window = await store.list_events(EventFilter(since=NOW + 1, until=NOW + 3), None, 10)
    assert [e.time for e in window.items] == [NOW + 2, NOW + 1]
    erp = await store.list_deliveries(DeliveryFilter(subscription_id="erp"), None, 10)
    assert len(erp.items) == 2
    with pytest.raises(InvalidParameter):
        await store.list_events(EventFilter(), "'; DROP TABLE events; --", 10)


async def test_deliveries_are_listed_with_their_subject_and_filtered_by_it(store: Store) -> None:
    a, b = event(subject="order/A"), event(subject="order/B")
    for e in (a, b):
        await store.ingest(Receipt(new_id("rcp"), "standard", None, NOW, b""), [e],
                           [delivery(e, "erp"), delivery(e, "wms")])  # fmt: skip
    listed = await store.list_deliveries(DeliveryFilter(subject="order/A"), None, 10)
    assert {(d.subject, d.subscription_id) for d in listed.items} == {
        ("order/A", "erp"), ("order/A", "wms")}  # fmt: skip
    both = DeliveryFilter(subject="order/B", subscription_id="wms")
    assert [d.subject for d in (await store.list_deliveries(both, None, 10)).items] == ["order/B"]
    assert await store.count_deliveries(DeliveryFilter(subject="order/nope")) == 0
    one = (await store.list_deliveries(DeliveryFilter(), None, 1)).items[0]
    shown = await store.get_delivery(one.id)
    assert shown is not None and shown.subject == one.subject is not None


async def test_a_subscription_claim_takes_its_waiting_deliveries_due_by_a_time(
    store: Store,
) -> None:
    events = [event(subject=f"order/{n}") for n in range(4)]
    ds = [delivery(events[0], "bat", NOW - 1), delivery(events[1], "bat", NOW + 2),
          delivery(events[2], "bat", NOW + 60), delivery(events[3], "other", NOW)]  # fmt: skip
    await store.ingest(Receipt(new_id("rcp"), "standard", None, NOW, b""), events, ds)
    jobs = await store.claim_subscription("bat", NOW + 2, 10, NOW + 120)
    assert [j.delivery.id for j in jobs] == [ds[0].id, ds[1].id]  # in acceptance order
    assert jobs[0].event == events[0]
    assert await store.claim_subscription("bat", NOW + 2, 10, NOW + 120) == []  # leased now
    assert [j.delivery.id for j in await store.claim(NOW, 10, NOW + 120)] == [ds[3].id]


async def test_an_ordered_hold_looks_and_holds_in_one_step(store: Store) -> None:
    e1, e2, e3 = event(subject="order/X"), event(subject="order/X"), event(subject="order/Y")
    head, follower, other = delivery(e1, "ord"), delivery(e2, "ord"), delivery(e3, "ord")
    await store.ingest(Receipt(new_id("rcp"), "standard", None, NOW, b""), [e1, e2, e3],
                       [head, follower, other])  # fmt: skip
    await store.claim(NOW, 10, NOW + 120)
    assert await store.hold_ordered(head.id, "ord", "order/X", NOW, 300) is False
    assert await store.hold_ordered(other.id, "ord", "order/Y", NOW, 300) is False
    assert await store.hold_ordered(follower.id, "ord", "order/X", NOW, 300) is True
    held = await store.get_delivery(follower.id)
    assert held is not None and held.next_attempt_at == NOW + 300
    assert [j.delivery.id for j in await store.claim(NOW + 300, 10, NOW + 500)] == [follower.id]
    # Once the head is done, nothing holds the follower.
    await store.record(AttemptRecord(attempt(head, 200), DeliveryStatus.SUCCEEDED, None, 0))
    assert await store.hold_ordered(follower.id, "ord", "order/X", NOW, 300) is False


async def test_retry_now_makes_a_waiting_delivery_due(store: Store) -> None:
    _, [a, b, c] = await ingest(store, None, "erp", "erp", "wms")
    for d in (a, b, c):
        await store.claim(NOW, 10, NOW + 100)
        await store.record(AttemptRecord(attempt(d, 500), DeliveryStatus.PENDING, NOW + 300, 2))
    retried = await store.retry_now(a.id, NOW + 1)
    assert retried is not None
    assert (retried.next_attempt_at, retried.retry_index) == (NOW + 1, 2)  # the backoff, kept
    assert [j.delivery.id for j in await store.claim(NOW + 1, 10, NOW + 100)] == [a.id]
    with pytest.raises(Conflict, match="being attempted"):
        await store.retry_now(a.id, NOW + 1)  # it is leased: in flight
    assert await store.retry_now("dlv_0000018c0000000000000000000000ff", NOW) is None
    erp = DeliveryFilter(subscription_id="erp")
    assert await store.retry_now_many(erp, NOW + 2, 10) == 1  # b; a is in flight
    assert await store.retry_now_many(DeliveryFilter(), NOW + 2, 10) == 1  # c; b is due now
    await store.record(AttemptRecord(attempt(a, 200), DeliveryStatus.SUCCEEDED, None, 2))
    with pytest.raises(Conflict, match="replay it instead"):
        await store.retry_now(a.id, NOW + 3)


async def test_rejections_are_capped(store: Store) -> None:
    for n in range(5):
        await store.add_rejection(
            Rejection(new_id("rej"), "standard", NOW, 401, "Bad", f"n={n}", {}, b"x", 1), keep=3
        )
    kept = await store.list_rejections(None, 10)
    assert [r.detail for r in kept.items] == ["n=4", "n=3", "n=2"]


async def test_meta(store: Store) -> None:
    assert await store.get_meta("k") is None
    await store.set_meta("k", "v1")
    await store.set_meta("k", "v2")
    assert await store.get_meta("k") == "v2"


# SQLite specifics -------------------------------------------------------------------------


async def test_one_process_per_database(tmp_path: Path) -> None:
    first = SqliteStore(str(tmp_path / "hub.db"))
    await first.open()
    try:
        with pytest.raises(ConfigError, match="another hub process"):
            await SqliteStore(str(tmp_path / "hub.db")).open()
    finally:
        await first.close()


async def test_concurrent_writes_share_commits(tmp_path: Path) -> None:
    import asyncio

    the_store = SqliteStore(str(tmp_path / "hub.db"))
    await the_store.open()
    try:
        await asyncio.gather(*(ingest(the_store, f"m{n}", "erp") for n in range(200)))
        committer = the_store.committer
        assert await the_store.count_deliveries(DeliveryFilter()) == 200
        assert committer.batches < 200
        assert committer.largest_batch > 1
    finally:
        await the_store.close()


FAILED = DeliveryFilter(status=DeliveryStatus.FAILED)
PLANS = [
    (delivery_listing(FAILED, None, 51), "deliveries_status"),
    (delivery_listing(FAILED, "dlv_0000018c0000000000000000000000ff", 51), "deliveries_status"),
    (delivery_listing(DeliveryFilter(DeliveryStatus.FAILED, "erp"), None, 51),
     "deliveries_subscription"),
    (delivery_listing(DeliveryFilter(event_id="evt_0000018c0000000000000000000000ff"), None, 500),
     "deliveries_event"),
    # One subject's rows are few (an order's events times its subscribers): sorting them is
    # cheap, and the subject's index is what keeps the look-up small on a big store.
    (delivery_listing(DeliveryFilter(subject="order/1"), None, 51), "deliveries_event SORTS"),
    ((CLAIM_DUE, [1.0, 100]), "deliveries_due"),
    ((CLAIM_SUBSCRIPTION, ["bat", 1.0, 100]), "deliveries_subscription"),
    ((ORDERED_HEAD, ["order/1", "ord", "dlv_0000018c0000000000000000000000ff"]),
     "events_subject SORTS"),
    (events.listing_sql(EventFilter(type="order.created"), None, 51), "events_type"),
    (events.listing_sql(EventFilter(subject="order/1"), None, 51), "events_subject"),
    ((FIND_RECEIPT, ["standard", "msg"]), "receipts_sender"),
    ((RELEASE_EXPIRED, [1.0]), "deliveries_leased"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "index"), PLANS)
async def test_admin_and_worker_queries_use_indexes(
    tmp_path: Path, query: tuple[str, list[object]], index: str
) -> None:
    the_store = SqliteStore(str(tmp_path / "hub.db"))
    await the_store.open()
    await the_store.close()
    sql, params = query
    with sqlite3.connect(tmp_path / "hub.db") as conn:
        plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    name, _, sorts = index.partition(" ")
    assert f"INDEX {name}" in plan
    assert ("TEMP B-TREE" in plan) == bool(sorts), plan


async def test_quarantined_receipts_are_listed_and_resolved_once(store: Store) -> None:
    held = Receipt(new_id("rcp"), "shopify", "wh-9", NOW, b'{"id": 1}',
                   ReceiptStatus.QUARANTINED, "no rule", {"x-shopify-topic": "orders/create"},
                   {"shop": "a"})  # fmt: skip
    ignored = Receipt(new_id("rcp"), "d365", None, NOW, b"{}", ReceiptStatus.IGNORED)
    assert (await store.ingest(held, [], [])).event_ids == []
    await store.ingest(ignored, [], [])
    await ingest(store, "plain", "erp")
    listed = await store.list_receipts(ReceiptStatus.QUARANTINED, None, 10)
    assert [r.id for r in listed.items] == [held.id]
    got = await store.get_receipt(held.id)
    assert got is not None
    assert (got.status, got.reason, got.headers, got.query, got.body) == (
        ReceiptStatus.QUARANTINED, "no rule", {"x-shopify-topic": "orders/create"}, {"shop": "a"},
        b'{"id": 1}')  # fmt: skip
    assert [r.id for r in (await store.list_receipts(ReceiptStatus.IGNORED, None, 10)).items] == [
        ignored.id]  # fmt: skip
    e = event()
    assert await store.resolve_receipt(held.id, [e], [delivery(e)])
    assert not await store.resolve_receipt(held.id, [event()], [])  # only once
    assert await store.find_receipt("shopify", "wh-9") == [e.id]
    assert (await store.list_receipts(ReceiptStatus.QUARANTINED, None, 10)).items == []
    done = await store.get_receipt(held.id)
    assert done is not None and (done.status, done.event_ids) == (ReceiptStatus.REPROCESSED, [e.id])
    assert await store.count_deliveries(DeliveryFilter(event_id=e.id)) == 1


async def test_an_older_database_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the receipts table as the first release made it
        conn.execute(
            "CREATE TABLE receipts (id TEXT PRIMARY KEY, connector TEXT NOT NULL, sender_id TEXT,"
            " received_at REAL NOT NULL, body BLOB NOT NULL, event_ids TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO receipts VALUES ('rcp_old', 'standard', 'm', 1.0, x'7b7d', '[]')")
        conn.execute(  # the rejections table before request ids
            "CREATE TABLE rejections (id TEXT PRIMARY KEY, connector TEXT NOT NULL, "
            "received_at REAL NOT NULL, status INTEGER NOT NULL, reason TEXT NOT NULL, "
            "detail TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, "
            "body_size INTEGER NOT NULL, errors TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO rejections VALUES "
                     "('rej_old', 'standard', 1.0, 401, 'r', 'd', '{}', x'', 0, '[]')")  # fmt: skip
    store = SqliteStore(str(path))
    await store.open()
    try:
        old = await store.get_receipt("rcp_old")
        assert old is not None and old.status == ReceiptStatus.PROCESSED
        assert old.request_id is None
        assert await store.find_receipt("standard", "m") == []
        [rejection] = (await store.list_rejections(None, 10)).items
        assert (rejection.id, rejection.request_id) == ("rej_old", None)
    finally:
        await store.close()


async def test_documents_by_kind(store: Store) -> None:
    await store.put_document("subscription", "b", '{"v": 1}')
    await store.put_document("subscription", "a", '{"v": 2}')
    await store.put_document("token", "a", '{"t": 1}')
    await store.put_document("subscription", "b", '{"v": 3}')  # replaced
    assert await store.list_documents("subscription") == [("a", '{"v": 2}'), ("b", '{"v": 3}')]
    assert await store.delete_document("subscription", "a")
    assert not await store.delete_document("subscription", "a")
    assert await store.list_documents("subscription") == [("b", '{"v": 3}')]
    assert await store.list_documents("token") == [("a", '{"t": 1}')]


def audit_entry(actor: str, action: str, at: float) -> AuditEntry:
    return AuditEntry(new_id("aud"), at, actor, f"name of {actor}", action, "POST",
                      "/api/x", {"id": "x1"}, 200, "api", "127.0.0.1", "req_1")  # fmt: skip


async def test_the_audit_trail_is_listed_newest_first_by_filter(store: Store) -> None:
    first = audit_entry("admin", "replay_delivery", NOW)
    second = audit_entry("tok_1", "create_subscription", NOW + 10)
    third = audit_entry("admin", "create_token", NOW + 20)
    for entry in (first, second, third):
        await store.add_audit(entry)
    everything = await store.list_audit(AuditFilter(), None, 10)
    assert everything.items == [third, second, first]
    admin = await store.list_audit(AuditFilter(actor_id="admin"), None, 1)
    assert admin.items == [third] and admin.next_cursor == third.id
    rest = await store.list_audit(AuditFilter(actor_id="admin"), admin.next_cursor, 1)
    assert rest.items == [first] and rest.next_cursor is None
    by_action = await store.list_audit(AuditFilter(action="create_subscription"), None, 10)
    assert by_action.items == [second]
    window = await store.list_audit(AuditFilter(since=NOW + 5, until=NOW + 20), None, 10)
    assert window.items == [second]


async def test_the_backlog_counts_pending_deliveries_and_dates_the_oldest(store: Store) -> None:
    assert await store.backlog() == (0, None)
    e = event()
    older = Delivery(new_id("dlv"), e.id, "erp", e.type, DeliveryStatus.PENDING, NOW - 60, NOW)
    newer = Delivery(new_id("dlv"), e.id, "wms", e.type, DeliveryStatus.PENDING, NOW, NOW)
    await store.ingest(Receipt(new_id("rcp"), "standard", "b1", NOW, b"{}"), [e], [older, newer])
    assert await store.backlog() == (2, NOW - 60)
    await store.claim(NOW, 1, NOW + 30)  # leased is still pending
    assert (await store.backlog())[0] == 2


async def test_request_ids_are_kept_with_receipts_and_rejections(store: Store) -> None:
    receipt = Receipt(new_id("rcp"), "shopify", "wh-r", NOW, b"{}", ReceiptStatus.QUARANTINED,
                      "no rule", {}, {}, request_id="trace-1")  # fmt: skip
    await store.ingest(receipt, [], [])
    got = await store.get_receipt(receipt.id)
    assert got is not None and got.request_id == "trace-1"
    rejection = Rejection(new_id("rej"), "standard", NOW, 401, "r", "d", {}, b"", 0,
                          request_id="trace-2")  # fmt: skip
    await store.add_rejection(rejection, 10)
    assert [r.request_id for r in (await store.list_rejections(None, 10)).items] == ["trace-2"]


async def test_failures_count_on_one_live_issue_until_it_resolves(store: Store) -> None:
    key = IssueKey("delivery", "erp", "503", "erp: 503 from the receiver")
    other = IssueKey("delivery", "wms", "503", "wms: 503 from the receiver")
    opened = await store.note_issue(key, NOW, "first")
    assert opened is not None and (opened.count, opened.status) == (1, IssueStatus.OPEN)
    assert await store.note_issue(key, NOW + 5, "second") is None
    assert await store.note_issue(other, NOW + 6, None) is not None
    live = await store.get_issue(opened.id)
    assert live is not None and (live.count, live.last_seen, live.detail) == (2, NOW + 5, "second")
    assert [i.scope for i in await store.live_issues()] == ["erp", "wms"]
    [done] = await store.resolve_issues(["delivery"], "erp", NOW + 9)
    assert (done.id, done.status, done.resolved_at) == (opened.id, IssueStatus.RESOLVED, NOW + 9)
    assert await store.resolve_issues(["delivery"], "erp", NOW + 10) == []
    again = await store.note_issue(key, NOW + 20, None)  # the next outage is a new issue
    assert again is not None and again.id != opened.id
    acked = await store.set_issue_status(again.id, IssueStatus.ACKNOWLEDGED, NOW + 21)
    assert acked is not None and acked.status == IssueStatus.ACKNOWLEDGED
    assert await store.note_issue(key, NOW + 22, None) is None  # still counts when acknowledged
    listed = await store.list_issues(IssueStatus.RESOLVED, None, 10)
    assert [i.id for i in listed.items] == [opened.id]
    everything = await store.list_issues(None, None, 2)
    assert len(everything.items) == 2 and everything.next_cursor is not None
    assert await store.set_issue_status("iss_" + "0" * 32, IssueStatus.RESOLVED, NOW) is None


async def test_payload_text_is_found_as_a_phrase_newest_first(store: Store) -> None:
    notes = ["gift wrap in blue paper", "blue gift box", "wrap it in BLUE  paper, please"]
    made = []
    for note in notes:
        e = replace(event(), data_json=json.dumps({"order_id": "F-1042", "note": note}))
        await store.ingest(Receipt(new_id("rcp"), "standard", None, NOW, b"{}"), [e], [])
        made.append(e.id)
    while await store.index_text(2):  # in batches, as the indexer does
        pass
    assert await store.index_text(2) == 0  # caught up
    assert [e.id for e in await store.search_text("blue paper", 10)] == [made[2], made[0]]
    assert [e.id for e in await store.search_text("F-1042", 2)] == [made[2], made[1]]
    assert await store.search_text("paper blue", 10) == []
    assert await store.search_text('" OR *', 10) == []  # query syntax never leaks through


async def test_events_by_connector_and_company(store: Store) -> None:
    shop = replace(event(), connector="shopify", company="USMF")
    erp = replace(event(), connector="d365", company="DEMF")
    await store.ingest(Receipt(new_id("rcp"), "shopify", None, NOW, b"{}"), [shop], [])
    await store.ingest(Receipt(new_id("rcp"), "d365", None, NOW, b"{}"), [erp], [])
    by_connector = await store.list_events(EventFilter(connector="d365"), None, 10)
    by_company = await store.list_events(EventFilter(company="USMF"), None, 10)
    both = await store.list_events(EventFilter(connector="d365", company="USMF"), None, 10)
    assert [e.id for e in by_connector.items] == [erp.id]
    assert [e.id for e in by_company.items] == [shop.id]
    assert both.items == []


async def test_memory_url_is_a_throwaway_sqlite_database() -> None:
    """`memory://` runs the same SQL as production and keeps nothing once closed."""
    from hub.store import open_store
    from hub.store.sqlite import SqliteStore

    store = open_store("memory://")
    assert isinstance(store, SqliteStore)
    await store.open()
    await store.set_meta("k", "v")
    assert await store.get_meta("k") == "v"
    directory = store.path.parent
    assert directory.is_dir()
    await store.close()
    assert not directory.exists()
