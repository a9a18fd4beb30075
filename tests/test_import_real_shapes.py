"""Issue 15: the shapes real exports have (headers quoted from real downloads), each a bug on main.

Every test here failed before issue 15: silent revenue 0, breakdowns refused, day and month
swapped, first replies invented, apostrophes kept on SKUs...
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from dtc_tui import db
from dtc_tui.models import AdStatDaily, Campaign, Sku, SlaBreach, StockLevel, Ticket
from dtc_tui.services.importers.base import ImportSummary
from dtc_tui.services.importers.errors import ImportFailed
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, FIXTURES


def run(engine: Engine, kind: str, name: str | Path, **options: object) -> ImportSummary:
    return run_import(engine, kind, FIXTURES / name, now=FIXED_NOW, actor="tester", **options)  # type: ignore[arg-type]


def all_rows(engine: Engine, model: type) -> list:
    with db.read_session(engine) as session:
        return list(session.exec(select(model)))  # type: ignore[call-overload]


def stats_by_campaign_day(engine: Engine) -> dict[tuple[str, str], AdStatDaily]:
    names = {c.id: c.name for c in all_rows(engine, Campaign)}
    return {(names[s.campaign_id], str(s.day)): s for s in all_rows(engine, AdStatDaily)}


def tickets(engine: Engine) -> dict[str, Ticket]:
    return {t.external_id: t for t in all_rows(engine, Ticket)}


# --- ads ----------------------------------------------------------------------------------------


def test_meta_revenue_is_roas_times_spend_when_only_roas_is_exported(engine: Engine) -> None:
    summary = run(engine, "meta-ads", "meta_ads_roas_only.csv")
    assert summary.errors == []
    stats = stats_by_campaign_day(engine)
    assert stats[("Best sellers - Advantage+", "2026-11-17")].revenue == 1300.0  # 500 x 2.60
    assert stats[("Gift guide - Broad", "2026-11-17")].revenue == 639.0  # 300 x 2.13
    assert any(note.startswith("revenue = ROAS x spend") for note in summary.notes)
    assert any("note: revenue = ROAS x spend" in line for line in summary.lines())


def test_meta_age_and_gender_rows_are_summed_and_a_repeated_row_counted_once(engine: Engine) -> None:
    summary = run(engine, "meta-ads", "meta_ads_age_gender.csv")
    assert (summary.errors, summary.rejected) == ([], 0)
    assert summary.ignored_reasons == {"repeated rows (identical to an earlier row in every column; counted once)": 1}
    assert any("counted once (first at line 4)" in warning for warning in summary.warnings)
    day = stats_by_campaign_day(engine)[("Prospecting - Broad", "2026-11-17")]
    assert (day.spend, day.impressions, day.clicks, day.conversions, day.revenue) == (50.0, 5000, 91, 4.0, 165.0)
    assert "4 rows summed into 1 campaign days (the export splits them by Age, Gender)" in summary.notes
    campaign = all_rows(engine, Campaign)[0]
    assert campaign.currency == "GBP"


def test_google_ad_report_with_dash_ad_names_is_summed_per_campaign_day(engine: Engine) -> None:
    summary = run(engine, "google-ads", "google_ads_ad_report_dashes.csv")
    assert (summary.errors, summary.rejected) == ([], 0)
    stats = stats_by_campaign_day(engine)
    first = stats[("Search - Brand", "2026-11-17")]
    assert (first.spend, first.clicks, first.impressions, first.revenue) == (45.5, 60, 1900, 195.0)
    assert stats[("Search - Brand", "2026-11-18")].spend == 28.0
    assert summary.ignored_reasons == {"total rows": 1}


def test_google_video_interactions_are_not_clicks(engine: Engine) -> None:
    summary = run(engine, "google-ads", "google_ads_video_interactions.csv")
    assert summary.errors == []
    stats = stats_by_campaign_day(engine)
    video = [s for (name, _day), s in stats.items() if name == "Video views - summer"]
    search = [s for (name, _day), s in stats.items() if name == "Search - sand"]
    assert sum(s.clicks for s in video) == 0
    assert sum(s.clicks for s in search) == 120  # search: an interaction is a click
    assert "video campaigns: Interactions are views, not clicks (not counted as clicks)" in summary.notes


def test_all_time_report_gets_one_line_on_exporting_by_day(engine: Engine) -> None:
    with pytest.raises(ImportFailed) as caught:
        run(engine, "google-ads", "google_ads_all_time.csv", display_name="all.csv")
    assert [str(e) for e in caught.value.errors] == [
        "all.csv:1: date range: an 'All time' report has no dates: export with a daily breakdown "
        "(Meta: Breakdown > By time > Day; Google Ads: Segment > Time > Day)"
    ]


def test_meta_lifetime_rows_get_one_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "lifetime.csv"
    head = "Reporting starts,Reporting ends,Campaign name,Amount spent (USD),Impressions\n"
    rows = "".join(f"2019-01-01,2026-11-30,Campaign {n},100.00,1000\n" for n in range(40))
    path.write_text(head + rows, encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        run(engine, "meta-ads", path, display_name="lifetime.csv")
    assert len(caught.value.errors) == 1
    assert "a lifetime report (2,891 days in one row" in str(caught.value.errors[0])


def test_meta_no_data_available_is_no_data_not_a_broken_file(engine: Engine) -> None:
    summary = run(engine, "meta-ads", "meta_ads_no_data.csv")
    assert not summary.failed and summary.errors == []
    assert summary.notes == [
        "no data in this export (the platform wrote 'No data available.'): nothing to import; "
        "pick a period with activity"
    ]
    assert all_rows(engine, AdStatDaily) == []


# --- dates --------------------------------------------------------------------------------------


def test_day_first_column_is_read_day_first_everywhere(engine: Engine) -> None:
    summary = run(engine, "zendesk", "zendesk_day_first.csv", tz="Europe/London")
    assert summary.errors == []
    found = tickets(engine)
    # 01/02/2025 is 1 February (28/01/2025 in the same column proves day first), not 2 January.
    assert found["3102"].created_at == datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
    assert found["3102"].solved_at == datetime(2025, 2, 3, 11, 0, tzinfo=UTC)
    assert found["3103"].created_at == datetime(2025, 2, 5, 8, 30, tzinfo=UTC)


def test_ambiguous_dates_are_refused_with_one_line_and_date_order_settles_them(engine: Engine) -> None:
    with pytest.raises(ImportFailed) as caught:
        run(engine, "zendesk", "zendesk_ambiguous_dates.csv", display_name="amb.csv")
    assert [str(e) for e in caught.value.errors] == [
        "amb.csv:2: Created at: dates such as '01/02/2025 09:00' can be day-first or month-first and no value in "
        "the file decides; re-run with --date-order dmy (day first) or --date-order mdy (month first)"
    ]
    summary = run(engine, "zendesk", "zendesk_ambiguous_dates.csv", date_order="dmy")
    assert summary.errors == []
    assert tickets(engine)["3201"].created_at == datetime(2025, 2, 1, 9, 0, tzinfo=UTC)


def test_a_time_before_the_ticket_was_created_is_a_row_error(engine: Engine) -> None:
    summary = run(engine, "zendesk", "zendesk_solved_before_created.csv", display_name="t.csv", tz="UTC")
    assert [str(e) for e in summary.errors] == [
        "t.csv:3: Solved at: 2025-02-01 11:00 is before the ticket was created (2025-02-05 09:00)"
    ]
    assert tickets(engine) == {}


def test_naive_help_desk_times_without_tz_are_flagged(engine: Engine) -> None:
    summary = run(engine, "zendesk", "zendesk_solved_before_created.csv")
    assert any("read as UTC: re-run with --tz" in note for note in summary.notes)
    given = run(engine, "zendesk", "zendesk_day_first.csv", tz="Europe/London")
    assert not any("--tz" in note for note in given.notes)


# --- help desks ---------------------------------------------------------------------------------


def test_business_hours_only_first_reply_is_left_unknown_not_solved_at(engine: Engine) -> None:
    summary = run(engine, "zendesk", "zendesk_business_hours_only.csv", tz="UTC")
    assert summary.errors == []
    found = tickets(engine)
    assert found["4101"].first_response_at is None
    assert found["4102"].first_response_at is None
    assert found["4101"].solved_at == datetime(2026, 11, 9, 17, 0, tzinfo=UTC)
    breaches = [b.metric for b in all_rows(engine, SlaBreach)]
    assert "first_response" not in breaches  # no breach invented from an unknown time
    assert any("left unknown" in note for note in summary.notes)


def test_via_group_category_and_custom_status(engine: Engine) -> None:
    summary = run(
        engine,
        "zendesk",
        "zendesk_via_group_custom.csv",
        tz="UTC",
        mappings={"category": {"damaged item": "returns"}, "group": {"tier 2": "Logistics"}},
    )
    assert summary.errors == []
    assert summary.ignored_reasons == {
        "not customer tickets (Via: outbound email)": 1,
        "not customer tickets (Via: internal communication)": 1,
    }
    found = tickets(engine)
    assert set(found) == {"5101", "5102"}
    assert (found["5101"].team, found["5101"].category) == ("Returns Team", "returns")
    assert (found["5102"].team, found["5102"].status, found["5102"].category) == ("Logistics", "pending", "logistics")
    assert summary.warnings == [
        "status 'Waiting on Acme Logistics' is not a standard status: imported as pending "
        '(choose with --map status:"Waiting on Acme Logistics"=STATUS) (line 3)'
    ]
    mapped = run(
        engine,
        "zendesk",
        "zendesk_via_group_custom.csv",
        tz="UTC",
        mappings={"status": {"waiting on acme logistics": "on_hold"}},
    )
    assert mapped.warnings == []
    assert tickets(engine)["5102"].status == "on_hold"


# --- Shopify ------------------------------------------------------------------------------------


def test_shopify_apostrophes_skuless_variants_and_shared_skus(engine: Engine) -> None:
    summary = run(engine, "shopify-products", "shopify_products_apostrophe_skus.csv")
    assert (summary.errors, summary.rejected) == ([], 0)
    skus = {sku.code: sku for sku in all_rows(engine, Sku)}
    assert set(skus) == {"25970", "25971", "no-sku-candle/Fig", "no-sku-candle/Cedar"}
    assert skus["25970"].barcode == "7649988260544"
    assert skus["25970"].product_handle == "pine-soap"  # the first of the two products sharing it
    assert skus["no-sku-candle/Cedar"].variant == "Cedar"
    assert summary.warnings == [
        "SKU '25970' is on two products (a copied product?): imported once, from line 2 (line 4)"
    ]
    stock = run(engine, "shopify-inventory", "shopify_inventory_apostrophe_skus.csv")
    assert (stock.errors, stock.created) == ([], {"warehouse": 1})  # every row matched a product SKU
    assert len(all_rows(engine, StockLevel)) == 3


@pytest.mark.parametrize(
    ("kind", "name", "inserted"),
    [
        ("shopify-products", "shopify_products_barcode_apostrophe.csv", 2),
        ("shopify-products", "shopify_products_ayonne.csv", 133),
        ("shopify-inventory", "shopify_inventory_not_stocked_dup_sku.csv", 1535),
        ("google-ads", "google_ads_campaign_report_gbp_utf16.csv", 28),
    ],
)
def test_real_samples_import(engine: Engine, kind: str, name: str, inserted: int) -> None:
    summary = run(engine, kind, name)
    assert (summary.errors, summary.rejected, summary.inserted) == ([], 0, inserted)
    assert summary.written


def test_real_barcodes_lose_shopifys_apostrophe(engine: Engine) -> None:
    run(engine, "shopify-products", "shopify_products_barcode_apostrophe.csv")
    assert all(
        not (sku.barcode or "").startswith("'") and not sku.code.startswith("'") for sku in all_rows(engine, Sku)
    )
    assert any(sku.barcode == "7649988260544" for sku in all_rows(engine, Sku))


# --- re-import keeps the team's work ------------------------------------------------------------


def test_reimport_keeps_the_teams_work_and_lists_conflicts(engine: Engine, tmp_path: Path) -> None:
    from dtc_tui.models import AuditLog
    from dtc_tui.services.tickets import ops

    run(engine, "zendesk", "zendesk_tickets.csv", tz="UTC")
    new_ticket = tickets(engine)["1001"]
    assert (new_ticket.status, new_ticket.assignee_id, new_ticket.first_response_at) == ("new", None, None)
    ops.claim(engine, new_ticket.id or 0, "ops", FIXED_NOW)
    ops.add_reply(engine, new_ticket.id or 0, "Looking into it", "ops", FIXED_NOW, status_after="pending")
    worked = tickets(engine)["1001"]
    assert worked.status == "pending" and worked.assignee_id is not None

    same = run(engine, "zendesk", "zendesk_tickets.csv", tz="UTC")
    after = tickets(engine)["1001"]
    assert (after.status, after.assignee_id, after.first_response_at, after.agent_replies) == (
        "pending",
        worked.assignee_id,
        worked.first_response_at,
        worked.agent_replies,
    )
    assert same.updated == 0

    # The help desk moved on: 1002 got a new priority (the team never touched it), 1001 was set open there.
    text = (FIXTURES / "zendesk_tickets.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[1] = lines[1].replace(",New,Urgent,", ",Open,Urgent,")
    lines[2] = lines[2].replace(",Open,Normal,", ",Open,High,")
    changed = tmp_path / "zendesk_later.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    later = run(engine, "zendesk", changed, tz="UTC")
    found = tickets(engine)
    assert found["1002"].priority == "high"
    assert found["1001"].status == "pending"  # changed here and there: the team's value stays
    assert any(
        "fields changed both here and in the file" in w and "ticket 1001 status (here 'pending', file 'open')" in w
        for w in later.warnings
    )
    with db.read_session(engine) as session:
        audits = list(session.exec(select(AuditLog).where(AuditLog.entity == "ticket", AuditLog.action == "import")))  # type: ignore[call-overload]
    assert [a.entity_id for a in audits] == [str(found["1002"].id)]


def test_a_row_cut_short_is_an_error_not_empty_values(engine: Engine, tmp_path: Path) -> None:
    head = "Handle,Title,SKU,Location,On hand (current),Committed (not editable),Available (not editable)\n"
    full = tmp_path / "full.csv"
    full.write_text(head + "soap,Soap,S-1,Main,80,5,75\n", encoding="utf-8")
    run(engine, "shopify-inventory", full)
    cut = tmp_path / "cut.csv"
    cut.write_text(head + "soap,Soap,S-1,Main,80\n", encoding="utf-8")
    summary = run(engine, "shopify-inventory", cut, display_name="cut.csv")
    assert [str(e) for e in summary.errors] == [
        "cut.csv:2: row: 5 cells where the header has 7: the row is cut short (missing cells are not read as empty)"
    ]
    (level,) = all_rows(engine, StockLevel)
    assert (level.on_hand, level.committed) == (80, 5)


def test_a_map_to_an_unknown_status_is_refused_in_one_line(engine: Engine) -> None:
    with pytest.raises(ImportFailed) as caught:
        run(
            engine,
            "zendesk",
            "zendesk_via_group_custom.csv",
            mappings={"status": {"waiting on acme logistics": "parked"}},
        )
    assert "choose one of new, open, pending, on_hold, solved, closed" in str(caught.value)


# --- friction -----------------------------------------------------------------------------------


def test_xlsx_download_is_read_directly_and_its_kind_detected(engine: Engine, tmp_path: Path) -> None:
    from dtc_tui.services.importers.detect import detect_kind
    from tests.xlsx_writer import write_xlsx

    header = ["Ticket ID", "Subject", "Status", "Priority", "Source", "Group", "Created time", "Resolved time"]
    header += ["Agent interactions", "Email", "Contact ID"]
    path = write_xlsx(
        tmp_path / "freshdesk.xlsx",
        [
            header,
            [
                601,
                "Parcel late",
                "Resolved",
                "Medium",
                "Email",
                "Support",
                datetime(2026, 11, 2, 9, 30),
                datetime(2026, 11, 3, 10, 0),
                2,
                "ana@example.com",
                88001,
            ],
            [
                602,
                "Discount",
                "Open",
                "Low",
                "Portal",
                "Sales",
                datetime(2026, 11, 25, 8, 0),
                "",
                0,
                "bo@example.com",
                88002,
            ],
        ],
    )
    assert detect_kind(path).kind == "freshdesk"
    summary = run(engine, "freshdesk", path)
    assert (summary.errors, summary.inserted) == ([], 2)
    found = tickets(engine)
    assert found["601"].created_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # "601", not "601.0"
    assert found["601"].solved_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert found["602"].team == "Sales"


# --- currency -----------------------------------------------------------------------------------


def test_money_is_shown_in_its_own_currency() -> None:
    from dtc_tui.services.common.money import format_money, format_totals, per_currency

    assert format_money(1234.5, "GBP", 2) == "£1,234.50"
    assert format_money(56700, "INR") == "₹56,700"
    totals = per_currency([("USD", 1200.0), ("INR", 55500.0), ("USD", 300.0)])
    assert totals == {"INR": 55500.0, "USD": 1500.0}
    assert format_totals(totals) == "₹55,500 + $1,500"


def test_ads_report_never_adds_one_currency_to_another(engine: Engine, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dtc_tui.cli import main_group

    run(engine, "google-ads", "google_ads_campaign_report.csv")  # INR, July 2025
    usd = tmp_path / "meta_usd.csv"
    usd.write_text(
        "Day,Campaign name,Amount spent (USD),Impressions,Link clicks,Purchases,Purchases conversion value\n"
        "2025-07-20,Summer - US,100.00,5000,80,4,250.00\n",
        encoding="utf-8",
    )
    run(engine, "meta-ads", usd)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        main_group, ["--db", url, "ads", "report", "--from", "2025-07-08", "--to", "2025-07-31", "--by", "campaign"]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[1]
    assert first.startswith("Ad spend ₹2,566 + $100")
    assert "warning: no fx rate for USD->INR" in result.output  # store currency: most campaigns are in INR
    assert "totals shown per currency (INR, USD), never added up" in result.output
    campaign_lines = [line for line in result.output.splitlines() if "Summer - US" in line or "MH-m-sand" in line]
    assert any("$100" in line for line in campaign_lines if "Summer" in line)
    assert any("₹904" in line for line in campaign_lines if "MH-m-sand" in line)
