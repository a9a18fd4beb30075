"""The bench's table: the once-only parts (orders, mail, SLA re-apply, write lock) are judged and
shown like the rest (the figures themselves come from ``python -m bench``, not from tests)."""

from __future__ import annotations

from bench.run import Figure, Report, markdown, sort_figures


def test_once_only_figures_are_judged_and_grouped() -> None:
    report = Report()
    report.add(Figure("writes", "SLA re-apply at 100k open tickets: nothing changed", "once", "s", [2.5], target=2.0))
    report.add(
        Figure("import", "mail fetch: messages/s", "once", "messages/s", [812.4], target=500.0, higher_is_better=True)
    )
    report.add(Figure("lookup", "orders: ticket order panel", "once", "ms", [4.2], target=10.0))
    report.add(Figure("headless", "floor", "1k", "s", [0.3]))
    sort_figures(report, ["1k"])
    assert [f.group for f in report.figures] == ["headless", "import", "lookup", "writes"]
    assert [report.verdict(f) for f in report.figures] == ["", "ok", "ok", "MISS"]
    table = markdown(report)
    assert "| mail fetch: messages/s | messages/s | median >= 500 |  | 812 ✓ |" in table
    assert "| **writes** |" in table and "2.50 **✗**" in table
