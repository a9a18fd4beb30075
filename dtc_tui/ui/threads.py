"""Read-only computations off the UI thread that never hold up quitting the app.

A Textual thread worker runs in the event loop's executor, whose threads the interpreter joins
when it exits: quitting while the overview, the reorder board or the support KPIs are being
computed (1-2 s at a million tickets or 10k SKUs, seconds for a 90-day KPI period) waited for
the computation, whose result nobody would see. ``in_daemon_thread`` runs the work on a daemon
thread instead, which the interpreter drops at exit. Only for work that reads: a write must be
allowed to finish (the breach recording and the checkpoint stay thread workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


async def in_daemon_thread(work: Callable[[], _T], name: str) -> _T:
    """``work()`` in a daemon thread, awaited (call it from an async worker: cancelling the worker
    stops the wait, not the thread, whose result is then dropped). An exception raised by the
    work is raised here, as a thread worker would raise it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def run() -> None:
        settle: Callable[[], object]
        try:
            outcome = work()
        except BaseException as exc:  # handed to the awaiting worker
            error = exc
            settle = lambda: future.set_exception(error)  # noqa: E731
        else:
            settle = lambda: future.set_result(outcome)  # noqa: E731
        with contextlib.suppress(RuntimeError):  # the app has quit and its loop is closed
            loop.call_soon_threadsafe(lambda: None if future.done() else settle())  # done: cancelled

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future
