"""Runs N worker processes on one port (SO_REUSEPORT) and restarts any that die."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

from settings import Settings

log = logging.getLogger("studysync.supervisor")
RESTART_DELAY_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 15.0


def supervise(settings: Settings, workers: int, run_worker: Callable[[Settings], None]) -> int:
    context = multiprocessing.get_context("spawn")  # no inherited event loops or sockets
    stopping = False

    def start(index: int) -> BaseProcess:
        process = context.Process(target=run_worker, args=(settings,), name=f"worker-{index}")
        process.start()
        log.info("started %s (pid %s)", process.name, process.pid)
        return process

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    processes = [start(index) for index in range(workers)]
    while not stopping:
        time.sleep(0.2)
        for index, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                log.warning("%s exited with %s; restarting", process.name, process.exitcode)
                time.sleep(RESTART_DELAY_SECONDS)
                processes[index] = start(index)
    _stop_all(processes)
    return 0


def _stop_all(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            process.terminate()  # SIGTERM: aiohttp shuts down gracefully, running cleanup_ctx
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
