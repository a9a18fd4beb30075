"""The fast ticket import writes exactly what the plain one wrote (issue 20, part 5).

Every scenario below (the help-desk fixtures, a generated file imported, imported again unchanged,
then again changed after the team edited some tickets) is run and reduced to a digest of every
table's rows plus the summary (counts, notes, warnings, errors as ``file:line: column: problem``).

- ``REFERENCE`` holds the SQLite digests taken by the code before the fast path (commit 3610e3b,
  ``python -m tests.test_import_fast_path --write-reference`` run there). The fast path must
  reproduce them byte for byte. Never regenerate them from the fast code.
- On both backends, the big-import paths (secondary indexes dropped and rebuilt, small apply
  windows) are forced on and off and must give the same digests.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from dtc_tui import db
from dtc_tui.services.importers.errors import ImportFailed
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, FIXTURES

REFERENCE = Path(__file__).resolve().parent / "data" / "import_fast_path_reference.json"
FIXTURE_FILES = (
    ("zendesk", "zendesk_tickets.csv"),
    ("zendesk", "zendesk_tickets.json"),
    ("zendesk", "zendesk_ambiguous_dates.csv"),
    ("zendesk", "zendesk_business_hours_only.csv"),
    ("zendesk", "zendesk_day_first.csv"),
    ("zendesk", "zendesk_solved_before_created.csv"),
    ("zendesk", "zendesk_via_group_custom.csv"),
    ("freshdesk", "freshdesk_tickets.csv"),
)
HEADER = [
    "Id",
    "Requester",
    "Requester id",
    "Requester email",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Solved at",
    "Satisfaction Score",
    "Replies",
    "First reply time in minutes",
    "On hold time in minutes",
    "Language",
    "Description",
]
SUBJECTS = (
    "Question about order #{n}",
    "Wo ist meine Bestellung {n}? Ich warte seit einer Woche",
    "¿Dónde está mi pedido {n}? Lo necesito para el viernes",
    "Je voudrais retourner ma commande {n}, elle est trop petite",
    "Refund please",
    "ok",
    "The checkout page shows an error when I pay with my card",
)
STATUSES = ("Solved", "Solved", "Closed", "New", "Open", "Pending", "Hold", "Waiting on Acme", "Deleted")
VIAS = ("Mail", "Web form", "Chat", "WhatsApp", "Facebook", "Voice", "Internal", "Mail")
TAGS = ("wismo", "refund,return", "chargeback", "checkout", "presales", "product", "", "Shipping VIP")
LANGUAGES = ("", "", "", "German", "de-AT", "pt_BR", "English", "klingon")


def generated_rows(count: int, seed: int, changed: float = 0.0) -> list[list[str]]:
    """Help-desk rows with the shapes the importer decides on (statuses, channels, tags,
    languages, deleted and internal tickets, late replies, pauses, a few repeats); ``changed``
    re-rolls that share of the rows' mutable fields (a later export of the same tickets)."""
    rng = random.Random(seed)
    again = random.Random(seed + 1)
    rows = []
    for number in range(1, count + 1):
        status = rng.choice(STATUSES)
        created = FIXED_NOW - timedelta(minutes=rng.uniform(5, 60 * 24 * 200))
        first = None if status == "New" else rng.uniform(10, 60 * 14)
        if first is not None and created + timedelta(minutes=first) > FIXED_NOW:
            first = None
        updated = min(created + timedelta(minutes=(first or 0) + rng.uniform(1, 900)), FIXED_NOW)
        solved = updated if status in ("Solved", "Closed") else None
        customer = rng.randrange(1, count // 3 + 2)
        priority = rng.choice(("Low", "Normal", "High", "Urgent", ""))
        assignee = rng.choice(("Ana Weber", "Eli Ramos", "", "Someone New"))
        if changed and again.random() < changed:
            status = again.choice(("Solved", "Open", "Pending"))
            priority = again.choice(("Low", "High"))
            solved = updated if status == "Solved" else None
        rows.append(
            [
                str(number),
                f"Customer {customer}",
                str(900000 + customer) if customer % 5 else "",
                f"c{customer}@example.com",
                assignee,
                rng.choice(("Support", "Billing", "")),
                rng.choice(SUBJECTS).format(n=10000 + number),
                rng.choice(TAGS),
                status,
                priority,
                rng.choice(VIAS),
                rng.choice(("Question", "Problem", "Incident")),
                created.strftime("%Y-%m-%d %H:%M:%S"),
                updated.strftime("%Y-%m-%d %H:%M:%S"),
                solved.strftime("%Y-%m-%d %H:%M:%S") if solved else "",
                rng.choice(("Good", "Bad", "Offered", "", "4")),
                str(rng.randint(1, 4)) if first else "0",
                f"{first:.0f}" if first else "",
                str(rng.choice((0, 0, 0, 30, 125))),
                rng.choice(LANGUAGES),
                rng.choice(("", "", "Hallo, ich habe eine Frage zu meiner Rechnung.", "Hi, my parcel never came.")),
            ]
        )
    rows.extend(rows[index] for index in range(0, count, 97))  # identical repeats: counted once
    return rows


def write_file(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def summary_form(summary: Any) -> dict[str, Any]:
    return {
        "rows": summary.rows,
        "counts": summary.counts(),
        "created": summary.created,
        "ignored_reasons": summary.ignored_reasons,
        "notes": summary.notes,
        "warnings": summary.warnings,
        "warning_count": summary.warning_count,
        "errors": [str(error) for error in summary.errors],
        "written": summary.written,
    }


def database_form(engine: Engine) -> dict[str, str]:
    """Every table's rows, in a stable order, as one digest per table (plus its row count)."""
    out: dict[str, str] = {}
    # Not the overview's stock snapshot: a cache newer than the reference, and empty here.
    kept_aside = {"alembic_version", "stock_snapshot", "stock_snapshot_sku"}
    names = sorted(name for name in inspect(engine).get_table_names() if name not in kept_aside)
    with engine.connect() as connection:
        for name in names:
            columns = [column["name"] for column in inspect(connection).get_columns(name)]
            order = ", ".join(f'"{column}"' for column in columns)
            rows = connection.execute(text(f'SELECT {order} FROM "{name}" ORDER BY {order}')).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()[:16]
            out[name] = f"{len(rows)}:{digest}"
    return out


def team_edits(engine: Engine) -> None:
    """What agents do between two imports: a priority here, a status there (version bumped)."""
    with db.write_session(engine) as session:
        session.execute(
            text(
                "UPDATE ticket SET priority = 'urgent', version = version + 1 "
                "WHERE source = 'zendesk' AND CAST(external_id AS INTEGER) % 37 = 1"
            )
        )
        session.execute(
            text(
                "UPDATE ticket SET status = 'solved', is_open = :closed, version = version + 1 "
                "WHERE source = 'zendesk' AND CAST(external_id AS INTEGER) % 53 = 2"
            ),
            {"closed": False},
        )


def run(engine: Engine, kind: str, path: Path) -> dict[str, Any]:
    try:
        summary = run_import(engine, kind, path, now=FIXED_NOW, actor="tester", display_name=path.name)
    except ImportFailed as exc:  # the file as a whole refused: its messages are the output
        return {"failed": [str(error) for error in exc.errors], "database": database_form(engine)}
    return {"summary": summary_form(summary), "database": database_form(engine)}


def scenarios(make_engine: Callable[[], Engine], directory: Path, count: int = 1500) -> dict[str, Any]:
    """Every scenario's digests: each fixture into a fresh database, then the generated sequence."""
    out: dict[str, Any] = {}
    for kind, name in FIXTURE_FILES:
        out[f"fixture {name}"] = run(make_engine(), kind, FIXTURES / name)
    engine = make_engine()
    first = write_file(directory / "generated.csv", generated_rows(count, seed=5))
    out["generated: first import"] = run(engine, "zendesk", first)
    out["generated: same file again"] = run(engine, "zendesk", first)
    team_edits(engine)
    later = write_file(directory / "generated_later.csv", generated_rows(count + count // 5, seed=5, changed=0.1))
    out["generated: changed file after team edits"] = run(engine, "zendesk", later)
    broken = generated_rows(200, seed=9)
    broken[17][12] = "2026-13-45 10:00:00"  # Created at
    broken[40][15] = "Meh"
    broken[41][9] = "Whenever"  # Priority
    out["generated: file with errors"] = run(make_engine(), "zendesk", write_file(directory / "broken.csv", broken))
    return out


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The big-import paths off (what a small import always takes)."""
    from dtc_tui.services.importers import plan

    monkeypatch.setattr(plan, "INDEX_REBUILD_MIN_ROWS", 10**9, raising=False)
    monkeypatch.setattr(plan, "APPLY_WINDOW", 10**9)


def _forced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The big-import paths on for these small files: indexes rebuilt, many small apply windows."""
    from dtc_tui.services.importers import plan

    monkeypatch.setattr(plan, "INDEX_REBUILD_MIN_ROWS", 1, raising=False)
    monkeypatch.setattr(plan, "APPLY_WINDOW", 700)


def test_sqlite_import_matches_the_reference_taken_before_the_fast_path(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _from_template

    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    counter = iter(range(1000))

    def make() -> Engine:
        return _from_template(f"sqlite:///{tmp_path / f'db{next(counter)}.db'}", "empty", tmp_path_factory)

    for setup in (lambda: None, lambda: _forced(monkeypatch)):
        setup()
        got = scenarios(make, tmp_path)
        assert list(got) == list(reference)
        for name in reference:
            assert got[name] == reference[name], name


def test_big_import_paths_write_what_the_plain_path_writes(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _drop_schema, _from_template, _postgres_schema_url, postgres_base_url

    results = []
    schemas: list[tuple[str, str]] = []
    for label, setup in (("plain", _plain), ("forced", _forced)):
        setup(monkeypatch)
        made: list[Engine] = []
        schemas.clear()
        directory = tmp_path_factory.mktemp(label)

        def make(made: list[Engine] = made, directory: Path = directory) -> Engine:
            if db.sqlite_path(database_url) is not None:
                url = f"sqlite:///{directory / f'db{len(made)}.db'}"
            else:  # PostgreSQL: a fresh schema each (ids and sequences start afresh)
                base = postgres_base_url()
                assert base is not None
                url, schema = _postgres_schema_url(base)
                schemas.append((base, schema))
            made.append(_from_template(url, "empty", tmp_path_factory))
            return made[-1]

        try:
            results.append(scenarios(make, directory, count=900))
        finally:
            for engine in made:
                engine.dispose()
            for base, schema in schemas:
                _drop_schema(base, schema)
    plain, forced = results
    for name in plain:
        assert forced[name] == plain[name], name


def index_definitions(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        else:
            sql = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        return sorted((str(name), str(ddl)) for name, ddl in connection.exec_driver_sql(sql))


def test_a_big_first_import_rebuilds_the_indexes_it_dropped(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dtc_tui.services.importers import plan

    _forced(monkeypatch)
    rebuilt: list[str] = []
    original = plan.RebuiltIndexes.rebuild

    def spy(self: Any, connection: Any) -> None:
        rebuilt.extend(table for table, _ddl in self.dropped)
        original(self, connection)

    monkeypatch.setattr(plan.RebuiltIndexes, "rebuild", spy)
    before = index_definitions(engine)
    path = write_file(tmp_path / "first.csv", generated_rows(300, seed=3))
    summary = run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester")
    assert summary.written and summary.inserted > 200
    if engine.dialect.name == "sqlite":
        assert {"ticket", "sla_breach", "ticket_message"} <= set(rebuilt)
    else:  # a DROP INDEX would lock the team's readers out of the table until the commit
        assert rebuilt == []
    assert index_definitions(engine) == before
    rebuilt.clear()
    again = run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester")  # nothing new: nothing dropped
    assert again.unchanged == summary.inserted and not rebuilt
    assert index_definitions(engine) == before


def test_a_failed_apply_leaves_the_indexes_in_place(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing, the DDL included: an apply that fails after the drop rolls it back."""
    from dtc_tui.services.importers import plan

    if engine.dialect.name != "sqlite":
        pytest.skip("indexes are dropped and rebuilt on SQLite only (plan.RebuiltIndexes.drop)")

    _forced(monkeypatch)
    before = index_definitions(engine)

    def broken(self: Any, connection: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(plan.RebuiltIndexes, "rebuild", broken)
    path = write_file(tmp_path / "first.csv", generated_rows(300, seed=3))
    with pytest.raises(RuntimeError):
        run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester")
    assert index_definitions(engine) == before
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM ticket").scalar() == 0


def _write_reference() -> None:  # pragma: no cover - run by hand, on the code before the fast path
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        counter = iter(range(1000))

        def make() -> Engine:
            from dtc_tui.services.tickets.sla_defaults import ensure_defaults

            eng = db.make_engine(f"sqlite:///{directory / f'db{next(counter)}.db'}")
            db.upgrade(eng)
            with db.write_session(eng) as session:
                ensure_defaults(session)
            return eng

        data = scenarios(make, directory)
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


if __name__ == "__main__" and "--write-reference" in sys.argv:
    _write_reference()
