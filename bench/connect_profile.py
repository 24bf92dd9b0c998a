"""Connect-storm profile of our server: server CPU per connect, and optionally where it goes.

Starts our server as bench/connections.py does (one process, SQLite, Redis presence), connects
C authenticated websocket clients (200 in flight) and prints the connect rate, the server's CPU
per connect (all threads, from /proc) and the client's. With `--py-spy PATH` (py-spy installed
outside the project's venv, e.g. `pip install --target /tmp/pyspy py-spy`) it samples the
server's main thread while holding the GIL during the storm (and, with `--idle`, during an idle
window) and prints the CPU per connect by package: the profile table of docs/benchmarks.md
("Connect path and idle connections").

    .venv/bin/python bench/connect_profile.py --count 3000 --py-spy /tmp/pyspy/bin/py-spy
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    RawSocket,
    client_session,
    connect_all,
    cpu_seconds,
    raise_nofile,
)
from bench.connections import Ours  # noqa: E402

RATE = 250  # samples per second


def start_spy(py_spy: str | None, pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    if py_spy is None:
        return None
    args = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", str(RATE)]
    args += ["--gil", "--nonblocking", "--threads", "-o", str(out)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_spy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)


def by_package(raw: Path) -> collections.Counter[str]:
    """Main-thread samples by the package (or top-level module) of the frame running then."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if "MainThread" not in frames[0]:
            continue  # aiosqlite's threads
        leaf = frames[-1]
        where = leaf.split(" (", 1)[1] if len(frames) > 1 else "(no Python frame)"
        counts[where.split("/")[0].split(":")[0]] += int(n)
    return counts


def report(raw: Path, per: int, unit: str) -> None:
    if not raw.exists():
        print("  (py-spy wrote nothing: ptrace not permitted here?)")
        return
    counts = by_package(raw)
    total = sum(counts.values())
    for package, n in counts.most_common(14):
        print(f"  {package:<24} {1000 * n / RATE / per:7.3f} ms {unit} ({100 * n / total:4.1f} %)")
    print(f"  {'total':<24} {1000 * total / RATE / per:7.3f} ms {unit}")


async def run(args: argparse.Namespace, work: Path) -> None:
    server = Ours(work)
    auths = await server.start(args.count + 1)
    assert server.proc is not None
    pid, url = server.proc.pid, f"http://127.0.0.1:{server.port}"
    try:
        async with client_session() as session:
            warm = RawSocket(session, url, "/chat", auths[0])
            await warm.connect()
            await warm.close()
            sockets = [RawSocket(session, url, "/chat", auth) for auth in auths[1:]]
            spy = start_spy(args.py_spy, pid, work / "storm.txt")
            await asyncio.sleep(1.5 if spy else 0.5)
            cpu, clock = cpu_seconds(pid), time.process_time()
            seconds = await connect_all(sockets, concurrency=200, handshake_seconds=120)
            cpu, clock = cpu_seconds(pid) - cpu, time.process_time() - clock
            stop_spy(spy)
            print(
                f"{args.count} connects in {seconds:.1f}s = {args.count / seconds:.0f}/s; server "
                f"CPU {1000 * cpu / args.count:.2f} ms per connect, client "
                f"{1000 * clock / args.count:.2f} ms"
            )
            if spy:
                report(work / "storm.txt", args.count, "per connect")
            if args.idle:
                await idle_window(args, pid, work)
            await asyncio.gather(*(sock.close() for sock in sockets))
    finally:
        server.stop()
        await server.cleanup()


async def idle_window(args: argparse.Namespace, pid: int, work: Path) -> None:
    await asyncio.sleep(2)
    spy = start_spy(args.py_spy, pid, work / "idle.txt")
    cpu, started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(args.idle)
    cpu, window = cpu_seconds(pid) - cpu, time.monotonic() - started
    stop_spy(spy)
    print(f"idle: {cpu:.2f}s CPU over {window:.0f}s ({100 * cpu / window:.1f} % of a core)")
    if spy:
        report(work / "idle.txt", 1, "over the window")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="clients (default 3000)")
    parser.add_argument("--idle", type=float, default=0, help="then an idle window (seconds)")
    parser.add_argument("--py-spy", help="path of a py-spy binary: also sample the server")
    args = parser.parse_args()
    raise_nofile()
    import uvloop

    with (
        tempfile.TemporaryDirectory(prefix="connect-profile-") as tmp,
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        runner.run(run(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
