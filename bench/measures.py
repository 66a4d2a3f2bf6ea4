"""Each figure of `make bench`, measured against its bare baseline in the same run."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil

from bench.payload import SECRET, SUBSCRIBER_SECRET, body, write_pool
from bench.processes import ROOT, free_port, served
from hub import signing
from hub.ids import new_id
from hub.model import Delivery, DeliveryStatus, Event, Receipt
from hub.outbound.message import envelope, headers
from hub.store.sqlite import SqliteStore

RESULT = re.compile(r"RESULT requests=(\d+) duration_us=(\d+) errors_status=(\d+).*"
                    r"p50_us=(\d+) p99_us=(\d+) max_us=(\d+)")  # fmt: skip


@dataclass
class Series:
    """Repeated measurements of one figure."""

    values: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "median": statistics.median(self.values),
            "min": min(self.values),
            "max": max(self.values),
            "runs": len(self.values),
        }


def hub_env(
    workdir: Path, receiver_url: str, subscribers: int = 1, rules: str | None = None,
    state_subscriber: bool = False,
) -> dict[str, str]:  # fmt: skip
    """Environment of a hub under test: its own database and subscriptions file.

    The subscribers take ``order.created`` (what the senders post), so the hub's own status
    events reach only the state subscriber, when there is one. `rules` None keeps the
    repository's default rules (business state on); ``"off"`` turns it off.
    """
    subs = [
        {"id": f"sub-{n}", "url": f"{receiver_url}/s{n}", "events": ["order.created"],
         "secret": SUBSCRIBER_SECRET}
        for n in range(subscribers)
    ]  # fmt: skip
    if state_subscriber:
        subs.append({"id": "state", "url": f"{receiver_url}/state", "secret": SUBSCRIBER_SECRET,
                     "events": ["order.status_changed"]})  # fmt: skip
    path = workdir / "subscriptions.yaml"
    path.write_text(json.dumps({"subscriptions": subs}))
    return ({"HUB_RULES": rules} if rules is not None else {}) | {
        "HUB_DATABASE_URL": f"sqlite:///{workdir}/hub.db",
        "HUB_SUBSCRIPTIONS": str(path),
        "HUB_CONNECTOR_STANDARD_SECRET": SECRET,
        "HUB_ADMIN_TOKEN": "bench-admin-token",
        "HUB_LOG_LEVEL": "warning",
        "HUB_ALLOW_TARGETS": "127.0.0.1/32",  # the bench receivers are on loopback
    }


def wrk(port: int, pool: Path, seconds: int) -> dict[str, float]:
    done = subprocess.run(
        ["wrk", "-t1", "-c50", f"-d{seconds}s", "-s", str(ROOT / "bench/pool.lua"),
         f"http://127.0.0.1:{port}", "--", str(pool)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = RESULT.search(done.stdout)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}{done.stderr}")
    requests, duration_us, errors, p50, p99, worst = map(int, match.groups())
    return {
        "per_second": requests / (duration_us / 1e6),
        "requests": requests,
        "non_2xx": errors,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "max_ms": worst / 1000,
    }


def count_rows(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def ingest(seconds: int, repeats: int) -> dict[str, Any]:
    """Durable accepts/s of signed 1 KB orders vs a bare endpoint; same server settings."""
    bare, hub = Series(), Series()
    runs: list[dict[str, Any]] = []
    for _ in range(repeats):
        port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            pool = Path(tmp) / "pool.bin"
            size = write_pool(pool, 20_000 * seconds, f"127.0.0.1:{port}", new_id("run"))
            with served("bench.apps:bare", port):
                base = wrk(port, pool, seconds)
            bare.values.append(base["per_second"])
            got, stored = _hub_ingest(Path(tmp), seconds, subscribers=1)
            hub.values.append(got["per_second"])
            runs.append({"bare": base, "hub": got, "events_stored": stored, "body_bytes": size})
    return {
        "bare_per_second": bare.summary(),
        "hub_per_second": hub.summary(),
        "ratio": statistics.median(hub.values) / statistics.median(bare.values),
        "runs": runs,
    }


def _hub_ingest(
    workdir: Path,
    seconds: int,
    subscribers: int,
    rules: str | None = None,
    extra: dict[str, str] | None = None,
) -> tuple[dict[str, float], int]:
    """wrk against a paused hub; returns wrk's figures and how many events were stored."""
    port = free_port()
    pool = workdir / "hub-pool.bin"
    write_pool(pool, 20_000 * seconds, f"127.0.0.1:{port}", new_id("run"))
    env = hub_env(workdir, "http://127.0.0.1:9", subscribers=subscribers, rules=rules)
    env.update(extra or {})
    with served("bench.apps:paused_hub", port, env, factory=True):
        got = wrk(port, pool, seconds)
    return got, count_rows(workdir / "hub.db", "SELECT count(*) FROM events")


def fanout(seconds: int, counts: list[int]) -> dict[str, Any]:
    """Ingest accepts/s as the number of matching subscriptions grows (worker paused)."""
    points = []
    for subscribers in counts:
        with tempfile.TemporaryDirectory() as tmp:
            got, _ = _hub_ingest(Path(tmp), seconds, subscribers)
        points.append({"subscribers": subscribers, "per_second": got["per_second"]})
    return {"seconds": seconds, "points": points}


async def _fill(db: Path, count: int, subscribers: int, due_in: float = 0.0) -> None:
    """Queue `count` pending deliveries straight through the store (not a measured step),
    due `due_in` seconds from now."""
    store = SqliteStore(str(db))
    await store.open()
    now = time.time()
    due = now + due_in
    per_event = subscribers

    async def one(n: int) -> None:
        e = _event_of(n)
        ds = [Delivery(new_id("dlv"), e.id, f"sub-{s}", e.type, DeliveryStatus.PENDING, now, due)
              for s in range(per_event)]  # fmt: skip
        await store.ingest(Receipt(new_id("rcp"), "standard", None, now, b""), [e], ds)

    for start in range(0, count // per_event, 500):
        await asyncio.gather(*(one(n) for n in range(start, min(start + 500, count // per_event))))
    await store.close()


async def _bare_posts(url: str, events: list[Event], concurrency: int, encode: bool) -> float:
    """The baseline: an aiohttp client posting the same signed bodies, same concurrency.

    With `encode`, it also builds each message from its event inside the timed loop, as any
    forwarder must; without, the bodies are encoded before the clock starts (the figure this
    bench has always reported).
    """
    key = signing.decode_secret(SUBSCRIBER_SECRET)
    ready = [] if encode else [envelope(e) for e in events]
    queue = list(reversed(events))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while queue:
                event = queue.pop()
                data = envelope(event) if encode else ready[len(queue)]
                sent = headers([key], event.id, int(time.time()), data)
                async with session.post(url, data=data, headers=sent) as resp:
                    await resp.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def drain(count: int, repeats: int, concurrency: int = 64) -> dict[str, Any]:
    """Deliveries/s draining a backlog to a receiver that answers 200, vs a bare aiohttp client
    posting pre-encoded signed bodies, and vs one that encodes and signs each (a forwarder)."""
    bare, signing_bare, hub = Series(), Series(), Series()
    for _ in range(repeats):
        receiver_port = free_port()
        with served("bench.apps:receiver", receiver_port), tempfile.TemporaryDirectory() as tmp:
            url = f"http://127.0.0.1:{receiver_port}"
            workdir = Path(tmp)
            env = hub_env(workdir, url, subscribers=1)
            # The backlog of an outage: its events were taken in (and their orders tracked)
            # long ago, and the deliveries wait out a backoff until they are retried at once.
            asyncio.run(_fill(workdir / "hub.db", count, subscribers=1, due_in=3600))
            events = [_event_of(n) for n in range(count)]
            elapsed = asyncio.run(_bare_posts(f"{url}/bare", events, concurrency, encode=False))
            bare.values.append(count / elapsed)
            elapsed = asyncio.run(_bare_posts(f"{url}/bare", events, concurrency, encode=True))
            signing_bare.values.append(count / elapsed)
            port = free_port()
            env["HUB_WORKER_CONCURRENCY"] = str(concurrency)
            with served("hub.app:default_app", port, env, factory=True):
                _tracked(workdir / "hub.db", count)
                _settled(workdir / "hub.db")  # and indexed for search, as it would have been
                started = time.perf_counter()
                _retry_all(port, count)
                # By the status index: a scan of every row, 20 times a second, took CPU from
                # the hub on a 2-core machine.
                pending = "SELECT count(*) FROM deliveries WHERE status = 'pending'"
                while count_rows(workdir / "hub.db", pending) > 0:
                    time.sleep(0.05)
                hub.values.append(count / (time.perf_counter() - started))
    hub_median = statistics.median(hub.values)
    return {
        "bare_per_second": bare.summary(),
        "bare_signing_per_second": signing_bare.summary(),
        "hub_per_second": hub.summary(),
        "ratio": hub_median / statistics.median(bare.values),
        "ratio_signing": hub_median / statistics.median(signing_bare.values),
        "backlog": count,
        "concurrency": concurrency,
    }


def _tracked(db: Path, count: int, within: float = 300.0) -> None:
    """Wait until the state tracker has applied the backlog's orders (one object each) and
    read past the status events they raised, as it would have while they arrived."""
    deadline = time.monotonic() + within
    while not _caught_up(db, count):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the state tracker did not apply {count} orders in {within} s")
        time.sleep(0.1)


def _caught_up(db: Path, count: int) -> bool:
    with sqlite3.connect(db) as conn:
        objects = conn.execute("SELECT count(*) FROM objects").fetchone()[0]
        last = conn.execute("SELECT max(id) FROM events").fetchone()[0]
        cursor = conn.execute("SELECT value FROM meta WHERE key = 'state_cursor'").fetchone()
    return bool(objects >= count and cursor is not None and cursor[0] == last)


def _settled(db: Path, within: float = 600.0) -> None:
    """Wait until the state tracker and the search index have caught up with the log."""
    deadline = time.monotonic() + within
    while True:
        with sqlite3.connect(db) as conn:
            last_id, last_rowid = conn.execute(
                "SELECT id, rowid FROM events ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("state_cursor", "") >= last_id and meta.get("event_text_rowid") == str(
            last_rowid
        ):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the tracker and the search index did not catch up in {within} s")
        time.sleep(0.2)


def _retry_all(port: int, count: int) -> None:
    """The admin's "retry now" for every waiting delivery (what a recovered endpoint gets)."""
    answer = httpx.post(
        f"http://127.0.0.1:{port}/api/deliveries/retry",
        json={"limit": count},
        headers={"authorization": "Bearer bench-admin-token"},
        timeout=60,
    )
    if answer.status_code != 202 or answer.json()["retried"] != count:
        raise RuntimeError(f"retry now answered {answer.status_code}: {answer.text[:200]}")


def _event_of(n: int) -> Event:
    now = time.time()
    data = json.dumps(json.loads(body(n))["data"], separators=(",", ":"))
    return Event(new_id("evt"), "order.created", "/connectors/standard", "standard", now, now,
                 data, f"order/B-{n}", "USMF", "1.0")  # fmt: skip


async def _paced_sender(port: int, rate: int, seconds: int) -> dict[str, float]:
    """Send signed orders at a fixed rate (open loop); return ack time per event id."""
    key = signing.decode_secret(SECRET)
    acks: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:

        async def send(n: int) -> None:
            data = body(n)
            async with session.post(
                f"http://127.0.0.1:{port}/webhooks/standard", data=data, headers=signed(key, data)
            ) as resp:
                answer = await resp.json()
                acked = time.time()
            for event_id in answer["event_ids"]:
                acks[event_id] = acked

        tasks = []
        start = time.perf_counter()
        for n in range(rate * seconds):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(send(n)))
        await asyncio.gather(*tasks)
    return acks


async def _arrivals(url: str) -> list[list[Any]]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_arrivals") as resp:
        found: list[list[Any]] = await resp.json()
        return found


def latency(rate: int, seconds: int, subscribers: int = 3) -> dict[str, Any]:
    """Ingest acknowledgement -> receipt at each of 3 subscribers, at a fixed event rate."""
    receiver_port, port = free_port(), free_port()
    with served("bench.apps:receiver", receiver_port), tempfile.TemporaryDirectory() as tmp:
        url = f"http://127.0.0.1:{receiver_port}"
        env = hub_env(Path(tmp), url, subscribers=subscribers)
        with served("hub.app:default_app", port, env, factory=True):
            acks = asyncio.run(_paced_sender(port, rate, seconds))
            expected = len(acks) * subscribers
            arrivals: list[list[Any]] = []
            deadline = time.monotonic() + 60
            while len(arrivals) < expected and time.monotonic() < deadline:
                arrivals += asyncio.run(_arrivals(url))
                time.sleep(0.2)
    samples = sorted((at - acks[wid]) * 1000 for wid, at, _ in arrivals if wid in acks)
    return {
        "rate": rate,
        "seconds": seconds,
        "subscribers": subscribers,
        "events": len(acks),
        "deliveries": len(samples),
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95)],
        "p99_ms": samples[int(len(samples) * 0.99)],
        "max_ms": samples[-1],
        "cdf_ms": samples[:: max(1, len(samples) // 500)],
    }


def state(seconds: int, repeats: int, rate: int, lag_seconds: int) -> dict[str, Any]:
    """Business state's cost and lag: ingest with the default rules against rules off (pairs
    in alternating order, so drift favours neither), and, at a paced rate with 3 order
    subscribers, the time from each 202 to the status event it caused at a subscriber."""
    on, off = Series(), Series()
    for n in range(repeats):
        for rules in (None, "off") if n % 2 == 0 else ("off", None):
            with tempfile.TemporaryDirectory() as tmp:
                got, _ = _hub_ingest(Path(tmp), seconds, subscribers=1, rules=rules)
            (off if rules == "off" else on).values.append(got["per_second"])
    # The ingest runs' databases are flushed now, not by the kernel during the lag window.
    os.sync()
    receiver_port, port = free_port(), free_port()
    with served("bench.apps:receiver", receiver_port), tempfile.TemporaryDirectory() as tmp:
        url = f"http://127.0.0.1:{receiver_port}"
        env = hub_env(Path(tmp), url, subscribers=3, state_subscriber=True)
        with served("hub.app:default_app", port, env, factory=True):
            acks = asyncio.run(_paced_sender(port, rate, lag_seconds))
            arrivals: list[list[Any]] = []
            deadline = time.monotonic() + 60
            while len(arrivals) < len(acks) * 5 and time.monotonic() < deadline:
                arrivals += asyncio.run(_arrivals(url))
                time.sleep(0.2)
    last: dict[str, float] = {}  # each order's two status events (begun, moved): the later
    for name, at, path in arrivals:
        if path.startswith("/state") and name in acks:
            last[name] = max(at, last.get(name, 0.0))
    lag = sorted((at - acks[name]) * 1000 for name, at in last.items())
    return {
        "ingest_rules_on": on.summary(),
        "ingest_rules_off": off.summary(),
        "ratio": statistics.median(on.values) / statistics.median(off.values),
        "rate": rate,
        "seconds": lag_seconds,
        "events": len(acks),
        "changed": len(lag),
        "lag_p50_ms": statistics.median(lag),
        "lag_p95_ms": lag[int(len(lag) * 0.95)],
        "lag_p99_ms": lag[int(len(lag) * 0.99)],
        "lag_max_ms": lag[-1],
    }


# What a production hub runs with, against counting nothing and logging only warnings.
OBSERVED = {"HUB_METRICS": "on", "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "info"}
UNOBSERVED = {"HUB_METRICS": "off", "HUB_LOG_FORMAT": "text", "HUB_LOG_LEVEL": "warning"}


def observability(seconds: int, repeats: int) -> dict[str, Any]:
    """Ingest with metrics on and JSON logs at info, against metrics off and warnings only
    (pairs in alternating order, rules off so business state adds no noise). The request-id
    middleware runs in both: its cost is counted by `bench.instructions` instead."""
    on, off = Series(), Series()
    for n in range(repeats):
        for extra in (OBSERVED, UNOBSERVED) if n % 2 == 0 else (UNOBSERVED, OBSERVED):
            with tempfile.TemporaryDirectory() as tmp:
                got, _ = _hub_ingest(Path(tmp), seconds, 1, rules="off", extra=dict(extra))
            (on if extra is OBSERVED else off).values.append(got["per_second"])
    return {
        "ingest_observed": on.summary(),
        "ingest_unobserved": off.summary(),
        "ratio": statistics.median(on.values) / statistics.median(off.values),
    }


def memory(deliveries: int, subscribers: int = 3) -> dict[str, Any]:
    """RSS of the hub while a backlog of pending deliveries grows with the receiver down."""
    port = free_port()
    samples: list[tuple[float, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = hub_env(Path(tmp), f"http://127.0.0.1:{free_port()}", subscribers=subscribers)
        db = Path(tmp) / "hub.db"
        with served("hub.app:default_app", port, env, factory=True) as process:
            started = time.perf_counter()
            events = deliveries // subscribers

            async def load() -> None:
                key = signing.decode_secret(SECRET)
                connector = aiohttp.TCPConnector(limit=50)
                async with aiohttp.ClientSession(connector=connector) as session:
                    for chunk in range(0, events, 1000):
                        numbers = range(chunk, min(chunk + 1000, events))
                        await asyncio.gather(*(_post(session, port, key, n) for n in numbers))
                        queued = count_rows(db, "SELECT count(*) FROM deliveries")
                        samples.append((time.perf_counter() - started, _rss(process), queued))

            asyncio.run(load())
    rss = [s[1] for s in samples]
    half = len(rss) // 2
    return {
        "deliveries": int(samples[-1][2]),
        "max_rss_mb": max(rss) / 2**20,
        "rss_first_half_mb": statistics.mean(rss[:half]) / 2**20,
        "rss_second_half_mb": statistics.mean(rss[half:]) / 2**20,
        "series": [(t, r / 2**20, d) for t, r, d in samples],
    }


def _rss(process: psutil.Process) -> int:
    return int(process.memory_info().rss)


async def _post(session: aiohttp.ClientSession, port: int, key: bytes, n: int) -> None:
    data = body(n)
    url = f"http://127.0.0.1:{port}/webhooks/standard"
    async with session.post(url, data=data, headers=signed(key, data)) as resp:
        if resp.status != 202:
            raise RuntimeError(f"ingest answered {resp.status}: {await resp.text()}")


def signed(key: bytes, data: bytes) -> dict[str, str]:
    """Headers of a Standard Webhooks request with a fresh id, signed now."""
    msg_id = new_id("msg")
    now = int(time.time())
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(now),
        "webhook-signature": signing.sign(key, msg_id, now, data),
    }


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _pending(db: Path) -> int:
    return count_rows(db, "SELECT count(*) FROM deliveries WHERE status = 'pending'")


def sustained(seconds: int, rates: list[int], subscribers: int = 3) -> dict[str, Any]:
    """The highest paced ingest rate at which all subscribers keep up (backlog stays flat).

    Rates are tried in ascending order against one hub; a rate keeps up when, at the end of
    its window, less than half a second of deliveries is still pending.
    """
    receiver_port, port = free_port(), free_port()
    windows: list[dict[str, Any]] = []
    best = 0
    with served("bench.apps:receiver", receiver_port), tempfile.TemporaryDirectory() as tmp:
        url = f"http://127.0.0.1:{receiver_port}"
        env = hub_env(Path(tmp), url, subscribers=subscribers)
        db = Path(tmp) / "hub.db"
        with served("hub.app:default_app", port, env, factory=True):
            for rate in rates:
                began = time.perf_counter()
                acks = asyncio.run(_paced_sender(port, rate, seconds))
                achieved = len(acks) / (time.perf_counter() - began)
                backlog = _pending(db)
                kept_up = backlog <= rate * subscribers * 0.5 and achieved >= rate * 0.95
                windows.append({"rate": rate, "achieved": achieved, "backlog_at_end": backlog,
                                "kept_up": kept_up})  # fmt: skip
                asyncio.run(_drain_arrivals(url))
                if not kept_up:
                    break
                best = rate
                while _pending(db) > 0:  # start the next window from an empty backlog
                    time.sleep(0.1)
    return {"seconds": seconds, "subscribers": subscribers, "highest_rate": best,
            "windows": windows}  # fmt: skip


async def _drain_arrivals(url: str) -> None:
    await _arrivals(url)  # the receiver keeps arrivals in memory; empty it between windows


def _build_large(db: Path, events: int, per_event: int, failed_share: float) -> None:
    """Fill a database with `events` events and `per_event` deliveries each (not measured).

    Filler rows carry a short payload: what this figure tests is row counts and index depth.
    """
    asyncio.run(_create_schema(db))
    now = time.time()
    with sqlite3.connect(db, isolation_level=None) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        every = max(1, int(1 / failed_share))
        for start in range(0, events, 50_000):
            conn.execute("BEGIN")
            rows, deliveries = [], []
            for n in range(start, min(start + 50_000, events)):
                event_id = new_id("evt")
                rows.append((event_id, "order.created", "/connectors/standard", "standard",
                             f"order/F-{n}", "USMF", now, now, "1.0", None,
                             json.dumps({"order_id": f"F-{n}", "total": "1.00"})))  # fmt: skip
                for s in range(per_event):
                    status = "failed" if (n * per_event + s) % every == 0 else "succeeded"
                    deliveries.append((new_id("dlv"), event_id, f"sub-{s}", "order.created",
                                       status, now, now, None, 1, 0, 200, None))  # fmt: skip
            conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            objects, aliases = _objects_of(rows, now)
            conn.executemany(f"INSERT INTO objects VALUES ({','.join('?' * 12)})", objects)
            conn.executemany("INSERT INTO aliases VALUES (?,?,?)", aliases)
            conn.executemany(
                "INSERT INTO deliveries (id, event_id, subscription_id, event_type, status, "
                "created_at, updated_at, next_attempt_at, attempts, retry_index, "
                "last_status_code, last_error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                deliveries,
            )
            conn.execute("COMMIT")
        # As a hub that has kept up: the state tracker and the search index are caught up.
        conn.execute("INSERT INTO event_text (event_text) VALUES ('rebuild')")
        last_rowid, last_id = conn.execute(
            "SELECT rowid, id FROM events ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("event_text_rowid", str(last_rowid)), ("state_cursor", last_id)],
        )


def _objects_of(
    events: list[tuple[Any, ...]], now: float
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str, str]]]:
    """One order per filler event, known by its subject and a storefront order number."""
    objects, aliases = [], []
    for row in events:
        object_id, key = new_id("obj"), row[4].split("/", 1)[1]
        objects.append((object_id, "order", key, "received", "open", "received", now, now, now,
                        "USMF", json.dumps({"total": "1.00"}), "{}"))  # fmt: skip
        aliases.append((f"subject:{row[4]}", row[4], object_id))
        aliases.append((f"shopify.order_number:#{key[2:]}", f"#{key[2:]}", object_id))
    return objects, aliases


async def _create_schema(db: Path) -> None:
    store = SqliteStore(str(db))
    await store.open()
    await store.close()


def scale(events: int, seconds: int, per_event: int = 3) -> dict[str, Any]:
    """Ingest, the failed-deliveries page and a 10,000-delivery bulk replay on a large store."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        began = time.perf_counter()
        # At least 1 % failed, and enough for the 10,000-delivery replay in a quick run too.
        share = min(0.5, max(0.01, 12_000 / (events * per_event)))
        _build_large(workdir / "hub.db", events, per_event, failed_share=share)
        built = time.perf_counter() - began
        port = free_port()
        pool = workdir / "pool.bin"
        write_pool(pool, 20_000 * seconds, f"127.0.0.1:{port}", new_id("run"))
        with served("bench.apps:bare", port):
            bare = wrk(port, pool, seconds)
        port = free_port()
        write_pool(pool, 20_000 * seconds, f"127.0.0.1:{port}", new_id("run"))
        # Every filler delivery's subscription exists: a bulk replay skips deleted ones.
        env = hub_env(workdir, "http://127.0.0.1:9", subscribers=per_event)
        with served("bench.apps:paused_hub", port, env, factory=True):
            got = wrk(port, pool, seconds)
            # The admin's figures on a quiet store: what wrk just posted is tracked and indexed
            # first (while the loops catch up, pages wait behind their batches).
            _settled(workdir / "hub.db")
            page_ms, replay_ms = asyncio.run(_admin_timings(port))
            searches = asyncio.run(_search_timings(port, workdir / "hub.db", events))
            pages = asyncio.run(_console_timings(port, workdir / "hub.db", events))
    return {
        "events": events,
        "deliveries": events * per_event,
        "build_s": built,
        "ingest_ratio": got["per_second"] / bare["per_second"],
        "ingest_per_second": got["per_second"],
        "bare_per_second": bare["per_second"],
        "failed_page_ms": page_ms,
        "bulk_replay_10k_ms": replay_ms,
        "search_ms": searches,
        "console_ms": pages,
    }


async def _console_timings(port: int, db: Path, events: int) -> dict[str, float]:
    """Console pages on the large store, signed in as the admin: median of 10 each."""
    middle = events // 2
    with sqlite3.connect(db) as conn:
        event_id, delivery_id = conn.execute(
            "SELECT e.id, d.id FROM events e JOIN deliveries d ON d.event_id = e.id "
            "WHERE e.subject = ? LIMIT 1", (f"order/F-{middle}",),
        ).fetchone()  # fmt: skip
    base = f"http://127.0.0.1:{port}/console"
    paths = {
        "overview": "/",
        "events": "/events",
        "event": f"/events/{event_id}",
        "failed deliveries": "/deliveries?status=failed",
        "delivery": f"/deliveries/{delivery_id}",
        "order journey": f"/objects/order/F-{middle}",
        "search": f"/search?q=%23{middle}",
    }
    timings: dict[str, float] = {}
    origin = {"origin": f"http://127.0.0.1:{port}"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        form = {"token": "bench-admin-token"}
        async with session.post(f"{base}/sign-in", data=form, headers=origin) as resp:
            assert resp.status == 200 and "Sign in" not in await resp.text(), resp.status
        for name, path in paths.items():
            took = []
            for _ in range(10):
                began = time.perf_counter()
                async with session.get(base + path) as resp:
                    assert resp.status == 200, (path, resp.status)
                    await resp.read()
                took.append((time.perf_counter() - began) * 1000)
            timings[name] = statistics.median(took)
    return timings


async def _search_timings(port: int, db: Path, events: int) -> dict[str, float]:
    """`GET /api/search` on the large store, median of 20 each: by an event id, an order
    number (an alias), a payload phrase, a word in every payload, and a miss."""
    middle = events // 2
    with sqlite3.connect(db) as conn:
        (event_id,) = conn.execute(
            "SELECT id FROM events WHERE subject = ?", (f"order/F-{middle}",)
        ).fetchone()
    queries = {"event_id": event_id, "order_number": f"#{middle}",
               "payload_phrase": f"F-{middle}", "common_word": "total",
               "miss": "no-such-thing-42"}  # fmt: skip
    auth = {"authorization": "Bearer bench-admin-token"}
    timings: dict[str, float] = {}
    async with aiohttp.ClientSession(headers=auth) as session:
        for name, q in queries.items():
            took = []
            for _ in range(20):
                began = time.perf_counter()
                async with session.get(f"http://127.0.0.1:{port}/api/search",
                                       params={"q": q}) as resp:  # fmt: skip
                    assert resp.status == 200, await resp.text()
                    hits = (await resp.json())["items"]
                took.append((time.perf_counter() - began) * 1000)
            if name != "miss" and not hits:
                raise RuntimeError(f"search for {q!r} found nothing")
            timings[name] = statistics.median(took)
    return timings


async def _admin_timings(port: int) -> tuple[float, float]:
    auth = {"authorization": "Bearer bench-admin-token"}
    base = f"http://127.0.0.1:{port}/api"
    async with aiohttp.ClientSession(headers=auth) as session:
        pages = []
        for _ in range(20):
            began = time.perf_counter()
            async with session.get(f"{base}/deliveries?status=failed&limit=50") as resp:
                assert resp.status == 200, await resp.text()
                await resp.read()
            pages.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        async with session.post(f"{base}/deliveries/replay",
                                json={"status": "failed", "limit": 10_000}) as resp:  # fmt: skip
            answer = await resp.json()
        replay_ms = (time.perf_counter() - began) * 1000
        if answer.get("queued") != 10_000:
            raise RuntimeError(f"bulk replay queued {answer}")
    return statistics.median(pages), replay_ms
