"""`make bench`: every figure as a ratio against its bare baseline, measured in the same run.

    python -m bench.run            # the full run (about 10 minutes)
    python -m bench.run --quick    # under 2 minutes, for development
    python -m bench.run --only scale,sustained   # re-measure some figures, keep the rest

Writes bench/results/latest.json and renders BENCHMARKS.md with plots in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

from bench import measures
from bench.processes import ROOT

RESULTS = ROOT / "bench" / "results"
PACKAGES = ["starlette", "uvicorn", "uvloop", "httptools", "aiohttp", "aiosqlite",
            "jsonschema-rs", "orjson"]  # fmt: skip

# The slowest figure takes about 6 minutes in a full run; one that runs for much longer is stuck.
FIGURE_BUDGET_S = {False: 20 * 60, True: 5 * 60}
PLANS = {
    # figure: (full, quick)
    "ingest": ({"seconds": 10, "repeats": 3}, {"seconds": 5, "repeats": 1}),
    "drain": ({"count": 20_000, "repeats": 3}, {"count": 5_000, "repeats": 1}),
    "latency": ({"rate": 200, "seconds": 60}, {"rate": 200, "seconds": 10}),
    "memory": ({"deliveries": 100_000}, {"deliveries": 15_000}),
    "fanout": ({"seconds": 10, "counts": [1, 3, 10]}, {"seconds": 3, "counts": [1, 3, 10]}),
    "sustained": (
        # Steps of 125 where the hub lands, so one window's luck moves the figure less.
        {"seconds": 60, "rates": [250, 375, 500, 625, 750, 1000, 1500, 2000]},
        {"seconds": 5, "rates": [250, 500, 1000, 1500]},
    ),
    "scale": ({"events": 1_000_000, "seconds": 10}, {"events": 100_000, "seconds": 5}),
    "observability": ({"seconds": 10, "repeats": 4}, {"seconds": 5, "repeats": 2}),
    "state": (
        {"seconds": 10, "repeats": 4, "rate": 200, "lag_seconds": 60},
        {"seconds": 5, "repeats": 2, "rate": 200, "lag_seconds": 10},
    ),
}


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: version(name) for name in PACKAGES},
    }


def run(quick: bool, only: list[str]) -> dict[str, Any]:
    """Measure each figure, saving after each one so a failure late in a run loses nothing."""
    if not measures.have_wrk():
        sys.exit("bench: wrk is missing; `make bench` installs it (apt-get install wrk)")
    latest = RESULTS / "latest.json"
    report: dict[str, Any] = json.loads(latest.read_text()) if only and latest.exists() else {}
    report.update({"quick": quick, "machine": machine(), "started": time.time()})
    for figure, plans in PLANS.items():
        if only and figure not in only:
            continue
        plan = plans[1] if quick else plans[0]
        print(f"bench: {figure} {plan}", flush=True)
        began = time.perf_counter()
        with deadline(figure, FIGURE_BUDGET_S[quick]):
            report[figure] = getattr(measures, figure)(**plan)
        report[figure]["took_s"] = round(time.perf_counter() - began, 1)
        latest.write_text(json.dumps(report, indent=2))
    return report


class FigureStalled(RuntimeError):
    """A figure ran past its budget: the server under test, or the harness, is stuck."""


@contextmanager
def deadline(figure: str, seconds: int) -> Iterator[None]:
    """Fail a figure that runs past `seconds`, naming it, instead of hanging the whole run."""

    def expired(signum: int, frame: Any) -> None:
        raise FigureStalled(f"bench: {figure} did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def plots(report: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def figure(name: str, title: str, xlabel: str, ylabel: str, draw: Any) -> str:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        draw(ax)
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(RESULTS / name, dpi=100)
        plt.close(fig)
        return name

    cdf = report["latency"]["cdf_ms"]
    series = report["memory"]["series"]
    points = report["fanout"]["points"]
    bare = report["ingest"]["bare_per_second"]["median"]

    def latency(ax: Any) -> None:
        ax.plot(cdf, [i / len(cdf) for i in range(len(cdf))])
        ax.set_xscale("log")

    def memory(ax: Any) -> None:
        ax.plot([s[2] for s in series], [s[1] for s in series], marker=".")
        ax.set_ylim(bottom=0)

    def fanout(ax: Any) -> None:
        ax.plot([p["subscribers"] for p in points], [p["per_second"] for p in points], marker="o")
        ax.axhline(bare, linestyle="--", color="grey", label="bare endpoint")
        ax.set_ylim(bottom=0)
        ax.legend()

    rate = report["latency"]["rate"]
    return [
        figure("latency_cdf.png", f"End-to-end latency at {rate} events/s, 3 subscribers",
               "ingest ack → receipt at subscriber (ms)", "fraction of deliveries", latency),
        figure("rss.png", "Memory while the backlog grows", "pending deliveries (receiver down)",
               "hub RSS (MB)", memory),
        figure("fanout.png", "Ingest throughput versus subscribers",
               "matching subscriptions per event", "durable accepts/s", fanout),
    ]  # fmt: skip


def _range(summary: dict[str, float]) -> str:
    return f"{summary['median']:,.0f} ({summary['min']:,.0f}–{summary['max']:,.0f})"


def _fanout_line(report: dict[str, Any]) -> str:
    points = report["fanout"]["points"]
    return ", ".join(f"{p['subscribers']}: {p['per_second']:,.0f}/s" for p in points)


def _windows_line(sustained: dict[str, Any]) -> str:
    return "; ".join(
        f"{w['rate']}/s {'kept up' if w['kept_up'] else 'fell behind'} "
        f"(backlog {w['backlog_at_end']:,})"
        for w in sustained["windows"]
    )


def _observability_rows(report: dict[str, Any]) -> list[str]:
    ob = report.get("observability")
    if ob is None:
        return []
    return [
        f"| observability: ingest with metrics on and JSON logs at info, against metrics off "
        f"and warnings only (pairs, {ob['ingest_observed']['runs']} each) "
        f"| {_range(ob['ingest_observed'])} | {_range(ob['ingest_unobserved'])} (off) "
        f"| **{ob['ratio']:.2f}×** | cost ≤ 3 % (≥ 0.97×) |",
    ]


def _search_rows(scale: dict[str, Any]) -> list[str]:
    """The search figures on the large store (absent from results made before them)."""
    took = scale.get("search_ms")
    if not took:
        return []
    each = ", ".join(f"{name.replace('_', ' ')} {ms:.1f} ms" for name, ms in took.items())
    rows = [f"| scale: `GET /api/search` (median of 20 each; the store also holds one order "
            f"per event) | {each} | — | — | ≤ 200 ms |"]  # fmt: skip
    pages = scale.get("console_ms")
    if pages:
        shown = ", ".join(f"{name} {ms:.0f} ms" for name, ms in pages.items())
        rows.append(f"| scale: console pages, signed in (median of 10 each) | {shown} | — | — "
                    f"| — |")  # fmt: skip
    return rows


def _state_rows(report: dict[str, Any]) -> list[str]:
    st = report.get("state")
    if st is None:
        return []
    return [
        f"| business state: ingest with the default rules, against rules off (pairs, "
        f"{st['ingest_rules_on']['runs']} each) | {_range(st['ingest_rules_on'])} "
        f"| {_range(st['ingest_rules_off'])} (rules off) | **{st['ratio']:.2f}×** "
        f"| drop ≤ 5 % (≥ 0.95×) |",
        f"| business state: lag from the 202 to its `order.status_changed` at a subscriber, "
        f"{st['rate']} events/s for {st['seconds']} s, 3 order subscribers besides "
        f"({st['changed']:,} orders) | p50 {st['lag_p50_ms']:.1f} ms, p95 {st['lag_p95_ms']:.1f} "
        f"ms, p99 {st['lag_p99_ms']:.1f} ms | — | — | p99 ≤ 50 ms |",
    ]


def _signing_drain_row(dr: dict[str, Any]) -> list[str]:
    if "bare_signing_per_second" not in dr:  # a report from before this figure existed
        return []
    return [
        f"| delivery drain, against a forwarder: the same backlog "
        f"| {_range(dr['hub_per_second'])} | {_range(dr['bare_signing_per_second'])} (bare "
        f"aiohttp client that builds and signs each message, as any forwarder must) "
        f"| **{dr['ratio_signing']:.2f}×** | ≥ 0.5× |"
    ]


def markdown(report: dict[str, Any], images: list[str]) -> str:
    ing, dr, lat, mem = report["ingest"], report["drain"], report["latency"], report["memory"]
    sus, sc = report["sustained"], report["scale"]
    m = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Rendered by `make bench` from `bench/results/latest.json`"
        + (" (**--quick** run: shorter, one repetition)" if report["quick"] else "")
        + ".",
        f"Machine: {m['cores']} cores, Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + ".",
        "Medians over the runs, with the range in parentheses. Every ratio is against a bare",
        "baseline measured in the same run; absolute figures vary ±20 % on these shared machines.",
        "",
        "| figure | hub | bare baseline | ratio | target |",
        "|---|---|---|---|---|",
        f"| ingest: durable accepts/s (signed 1 KB order, `standard` connector, schema on, "
        f"1 subscription, worker paused; wrk -t1 -c50) | {_range(ing['hub_per_second'])} "
        f"| {_range(ing['bare_per_second'])} (Starlette endpoint: read body, 202) "
        f"| **{ing['ratio']:.2f}×** | ≥ 0.5× |",
        f"| delivery drain: deliveries/s for a backlog of {dr['backlog']:,} "
        f"(concurrency {dr['concurrency']}) | {_range(dr['hub_per_second'])} "
        f"| {_range(dr['bare_per_second'])} (bare aiohttp client, same bodies, signed) "
        f"| **{dr['ratio']:.2f}×** | — |",
        *_signing_drain_row(dr),
        f"| end-to-end latency at {lat['rate']} events/s for {lat['seconds']} s, "
        f"{lat['subscribers']} subscribers ({lat['deliveries']:,} deliveries) "
        f"| p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms "
        f"| — | — | p50 ≤ 5 ms, p99 ≤ 20 ms |",
        f"| memory: RSS holding {mem['deliveries']:,} pending deliveries, receiver down "
        f"| max {mem['max_rss_mb']:.0f} MB (first half {mem['rss_first_half_mb']:.0f} MB, "
        f"second half {mem['rss_second_half_mb']:.0f} MB) | — | — | ≤ 200 MB, flat |",
        f"| sustained: highest paced ingest rate with all {sus['subscribers']} subscribers "
        f"keeping up ({sus['seconds']} s windows) | {sus['highest_rate']:,} events/s "
        f"({sus['highest_rate'] * sus['subscribers']:,} deliveries/s) "
        f"| {ing['bare_per_second']['median']:,.0f} | "
        f"**{sus['highest_rate'] / ing['bare_per_second']['median']:.2f}×** | aim ≥ 0.25× |",
        f"| scale: ingest with {sc['events']:,} events and {sc['deliveries']:,} deliveries "
        f"stored | {sc['ingest_per_second']:,.0f} | {sc['bare_per_second']:,.0f} "
        f"| **{sc['ingest_ratio']:.2f}×** (empty store: {ing['ratio']:.2f}×) | drop ≤ 10 % |",
        f"| scale: `GET /api/deliveries?status=failed` first page | {sc['failed_page_ms']:.1f} ms "
        f"| — | — | ≤ 50 ms |",
        f"| scale: bulk replay of 10,000 failed deliveries | {sc['bulk_replay_10k_ms']:,.0f} ms "
        f"| — | — | ≤ 2,000 ms |",
        *_search_rows(sc),
        *_state_rows(report),
        *_observability_rows(report),
        "",
        "Throughput versus subscribers (ingest, worker paused): " + _fanout_line(report) + ".",
        "",
        "Sustained windows: " + _windows_line(sus) + ".",
        "",
    ]
    lines += [f"![{name}](bench/results/{name})" for name in images]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated figures to re-measure")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = run(args.quick, [f for f in args.only.split(",") if f])
    images = plots(report)
    (ROOT / "BENCHMARKS.md").write_text(markdown(report, images))
    print((ROOT / "BENCHMARKS.md").read_text())


if __name__ == "__main__":
    main()
