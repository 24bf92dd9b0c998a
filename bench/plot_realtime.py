"""Plots for the "Realtime fan-out and connections" section of docs/benchmarks.md, drawn from the
JSON that bench/fanout.py and bench/connections.py write with --json.

    .venv/bin/python bench/plot_realtime.py [--fanout bench/results/fanout.json]
        [--connections bench/results/connections.json] [--before bench/results/fanout-before.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
IMG = ROOT / "docs" / "img"
NAMES = {"ours": "(a) ours", "bare": "(b) bare python-socketio", "node": "(c) Node socket.io"}
COLORS = {"ours": "#d95f02", "bare": "#7570b3", "node": "#1b9e77", "before": "#bbbbbb"}


def load(path: Path) -> dict:
    return json.loads(path.read_text())["results"] if path.exists() else {}


def plot_fanout(results: dict, before: dict, out: Path) -> None:
    servers = [s for s in ("ours", "bare", "node") if s in results]
    scenarios = list(next(iter(results.values())).keys())
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.8))
    width = 0.8 / (len(servers) + (1 if before else 0))
    bars = ([("before", before)] if before else []) + [(s, results[s]) for s in servers]
    for i, (server, data) in enumerate(bars):
        xs = [n + i * width for n in range(len(scenarios))]
        ys = [data.get(sc, {}).get("saturate", {}).get("delivered_per_s", 0) for sc in scenarios]
        label = "(a0) ours, older checkout" if server == "before" else NAMES[server]
        left.bar(xs, ys, width, label=label, color=COLORS[server])
        for x, y in zip(xs, ys, strict=True):
            if y:
                left.text(x, y, f"{y:,.0f}", ha="center", va="bottom", fontsize=7)
    left.set_xticks([n + width * (len(bars) - 1) / 2 for n in range(len(scenarios))], scenarios)
    left.set_ylabel("deliveries / s (saturation, closed loop)")
    left.set_title("Fan-out throughput, 2 processes each, shared Redis")
    left.legend(fontsize=8)

    for i, (server, data) in enumerate(bars):
        xs = [n + i * width for n in range(len(scenarios))]
        ys = [
            data.get(sc, {}).get("saturate", {}).get("server_cpu_us_per_delivery", 0)
            for sc in scenarios
        ]
        middle.bar(xs, ys, width, color=COLORS[server])
        for x, y in zip(xs, ys, strict=True):
            if y:
                middle.text(x, y, f"{y:,.0f}", ha="center", va="bottom", fontsize=7)
    middle.set_xticks([n + width * (len(bars) - 1) / 2 for n in range(len(scenarios))], scenarios)
    middle.set_ylabel("server CPU µs per delivery (saturation)")
    middle.set_title("CPU cost per delivered message (lower is better)")

    labels, p50, p95, p99, colors = [], [], [], [], []
    for sc in scenarios:
        for server, data in bars:
            fixed = data.get(sc, {}).get("fixed")
            if fixed is None:
                continue
            labels.append(f"{sc}\n{'before' if server == 'before' else server}")
            p50.append(fixed["p50_ms"])
            p95.append(fixed["p95_ms"])
            p99.append(fixed["p99_ms"])
            colors.append(COLORS[server])
    xs = range(len(labels))
    right.bar(xs, p99, 0.7, color=colors, alpha=0.35, label="p99")
    right.bar(xs, p95, 0.7, color=colors, alpha=0.65, label="p95")
    right.bar(xs, p50, 0.7, color=colors, label="p50")
    right.axhline(20, color="black", linewidth=0.8, linestyle="--")  # issue 20's goal
    right.text(len(labels) - 0.5, 21, "goal: p99 ≤ 20 ms", ha="right", fontsize=8)
    right.set_xticks(list(xs), labels, fontsize=7)
    right.set_yscale("log")
    right.set_ylabel("send → receipt latency, ms (log)")
    right.set_title("Latency at ~1,000 deliveries/s (fixed rate)")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)


def plot_connections(results: dict, out: Path) -> None:
    servers = [s for s in ("ours", "bare", "node") if s in results]
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    metrics = [
        ("rss_per_conn_kb", "RSS per idle connection, KB", 20, "goal ≤ 20 KB"),
        ("connect_per_s", "connects / s", 1000, "goal ≥ 1,000/s (with auth)"),
        ("idle_cpu_pct", "server CPU while idle, % of a core", None, None),
    ]
    for axis, (key, title, goal, goal_label) in zip(axes, metrics, strict=True):
        values = [results[s][key] for s in servers]
        short = {"ours": "ours", "bare": "bare python-socketio", "node": "Node socket.io"}
        axis.bar([short[s] for s in servers], values, color=[COLORS[s] for s in servers])
        for x, y in enumerate(values):
            axis.text(x, y, f"{y:,.1f}", ha="center", va="bottom", fontsize=8)
        if goal is not None:
            axis.axhline(goal, color="black", linewidth=0.8, linestyle="--")
            axis.text(len(servers) - 0.5, goal, goal_label, ha="right", va="bottom", fontsize=8)
        axis.set_title(title, fontsize=10)
        axis.tick_params(axis="x", labelsize=8)
    count = next(iter(results.values()))["connections"]
    figure.suptitle(f"{count:,} idle websocket clients on one server process")
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fanout", type=Path, default=RESULTS / "fanout.json")
    parser.add_argument("--connections", type=Path, default=RESULTS / "connections.json")
    parser.add_argument("--before", type=Path, default=RESULTS / "fanout-before.json")
    args = parser.parse_args()
    IMG.mkdir(parents=True, exist_ok=True)
    fanout = load(args.fanout)
    if fanout:
        # `--servers ...,before` puts the older checkout in the same run; else a separate file
        before = fanout.pop("before", None) or load(args.before).get("ours", {})
        plot_fanout(fanout, before, IMG / "realtime-fanout.png")
        print(f"wrote {IMG / 'realtime-fanout.png'}")
    connections = load(args.connections)
    connections.update(load(RESULTS / "connections-bare.json"))  # `--servers bare` run, if any
    if connections:
        plot_connections(connections, IMG / "realtime-connections.png")
        print(f"wrote {IMG / 'realtime-connections.png'}")


if __name__ == "__main__":
    main()
