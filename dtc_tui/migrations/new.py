"""Write a new migration from the difference between the models and the newest schema.

    python -m dtc_tui.migrations.new "add campaign notes"

It upgrades a scratch SQLite database to the current head, lets Alembic autogenerate the
difference, and writes ``versions/NNNN_<slug>.py`` with the next number. Review the file:
autogenerate misses renames and data changes.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from dtc_tui import db


def next_revision_id() -> str:
    script = ScriptDirectory(str(db.MIGRATIONS_DIR))
    numbers = [int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        engine = db.make_engine(url)
        if db.known_revisions():
            db.upgrade(engine)
        cfg = Config()
        cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", url)
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.revision(cfg, message=message, autogenerate=True, rev_id=next_revision_id())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit('usage: python -m dtc_tui.migrations.new "what changed"')
    main(sys.argv[1])
