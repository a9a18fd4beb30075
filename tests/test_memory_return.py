"""Memory a finished import freed goes back to the system, so the next import does not stack on it."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dtc_tui.services.importers import pipeline
from tests.conftest import FIXED_NOW, FIXTURES

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")


@glibc_only
def test_freed_blocks_held_between_live_ones_are_returned() -> None:
    # Dicts of 30 keys live outside Python's small-object arenas, in malloc's heap; keeping one in
    # fifty pins the heap's top, so only malloc_trim can return the pages between them.
    script = textwrap.dedent(
        """
        import os
        from dtc_tui.services.common.memory import return_free_memory

        def rss_mb():
            return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

        rows = [{f"k{i}": i for i in range(30)} for _ in range(100_000)]
        keep = rows[::50]
        del rows
        held = rss_mb()
        released = return_free_memory()
        print(held, rss_mb(), released, len(keep))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    held, after, released, _kept = out.stdout.split()
    assert released == "True"
    assert float(held) - float(after) > 30, out.stdout  # ~70 MB measured


def test_every_import_returns_its_memory_when_done(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "return_free_memory", lambda: calls.append("trim") or True)
    summary = pipeline.run_import(engine, "zendesk", FIXTURES / "zendesk_tickets.csv", now=FIXED_NOW, actor="t")
    assert summary.written and summary.inserted > 0
    assert calls == ["trim"]
    bad = tmp_path / "bad.csv"
    bad.write_text("Id,Subject,Status,Created at\n1,hello,Open,yesterday-ish\n", encoding="utf-8")
    refused = pipeline.run_import(engine, "zendesk", bad, now=FIXED_NOW, actor="t")
    assert refused.errors and not refused.written
    assert calls == ["trim", "trim"]
