"""The fast paths added for issue 10 (performance) give the same answers as the slow ones.

No timings here (bench/ measures them): these tests pin behaviour, so a fast path can never
quietly change what the user sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dtc_tui import db


def test_head_read_from_the_version_files_is_alembics_head() -> None:
    assert db._head_from_files() == db.head_revision()


def test_an_up_to_date_database_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    code = ("import sys\n"
            "from dtc_tui import db\n"
            f"result = db.ensure_current(db.make_engine({url!r}))\n"
            "print(result.before == result.after == db._head_from_files(), 'alembic' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_a_new_database_is_still_migrated_by_alembic(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    result = db.ensure_current(engine)
    assert result.before is None
    assert result.after == db.head_revision() == db.current_revision(engine)
