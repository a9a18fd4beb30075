"""Every importer on the real sample files (fixtures/, unchanged) and on hand-made exports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from dtc_tui import db
from dtc_tui.models import AdChannel, AdStatDaily, Campaign, Customer, Sku, SlaBreach, StockLevel, Ticket, Warehouse
from dtc_tui.services.importers.base import ImportSummary
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.tickets.sla import FAR_FUTURE
from tests.conftest import FIXED_NOW, FIXTURES


def run(engine: Engine, kind: str, name: str, **options: object) -> ImportSummary:
    return run_import(engine, kind, FIXTURES / name, now=FIXED_NOW, actor="tester", **options)  # type: ignore[arg-type]


def rows(engine: Engine, model: type, *where: object, order: object = None) -> list:
    with db.read_session(engine) as session:
        query = select(model).where(*where)
        if order is not None:
            query = query.order_by(order)
        return list(session.exec(query))  # type: ignore[call-overload]


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()  # type: ignore[attr-defined]


def test_real_samples_are_unchanged_copies() -> None:
    shared = Path("/work/shared/formats")
    if not shared.is_dir():
        pytest.skip("the shared samples are not on this machine")
    for sample in shared.glob("*.csv"):
        assert (FIXTURES / sample.name).read_bytes() == sample.read_bytes(), sample.name


# --- Shopify products ------------------------------------------------------------------------


def test_shopify_product_template_legacy_dialect(engine: Engine) -> None:
    summary = run(engine, "shopify-products", "shopify_product_template.csv")
    assert summary.counts() == {"inserted": 16, "updated": 0, "unchanged": 0, "rejected": 0, "ignored": 1}
    assert summary.ignored_reasons == {"image-only rows": 1}
    skus = {sku.code: sku for sku in rows(engine, Sku)}
    shirt = skus["SRT_COT_222"]  # a continuation row: title and status come from line 2
    assert (shirt.name, shirt.product_handle, shirt.variant, shirt.status) == (
        "Example T-Shirt",
        "example-shirt",
        "Blue / M",
        "active",
    )
    assert (shirt.price, shirt.weight_grams, shirt.cost) == (25.0, 145.0, 0.0)
    jeans = skus["PNT_DEN_285"]
    assert (jeans.name, jeans.variant, jeans.status, jeans.cost, jeans.price) == (
        "Example Jeans",
        "28",
        "draft",
        50.0,
        95.0,
    )
    assert jeans.weight_grams == pytest.approx(226.796185)  # fractional grams kept
    hat = skus["HAT_GRY_275"]
    assert (hat.variant, hat.status, hat.cost, hat.price) == ("", "archived", 8.5, 17.99)  # "Default Title" -> ""
    # 3.65275E+11: the spreadsheet dropped the digits, so no barcode is stored and the lines are named.
    assert all(sku.barcode is None for sku in skus.values())
    assert summary.warnings == [
        "barcode in scientific notation (a spreadsheet dropped its digits): not imported "
        "(lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 6 more)"
    ]


def test_shopify_product_current_dialect(engine: Engine) -> None:
    summary = run(engine, "shopify-products", "shopify_products_current.csv")
    assert (summary.inserted, summary.ignored) == (4, 1)
    skus = {sku.code: sku for sku in rows(engine, Sku)}
    black = skus["LT-BLK"]
    assert (black.name, black.variant, black.barcode) == ("Linen Tote", "Black", "0012345678912")
    assert (skus["BC-500"].status, skus["BC-500"].weight_grams, skus["BC-500"].cost) == ("draft", 120.0, 4.6)


def test_shopify_product_update_keeps_fields_the_file_does_not_carry(engine: Engine, tmp_path: Path) -> None:
    run(engine, "shopify-products", "shopify_products_current.csv")
    with db.write_session(engine) as session:
        sku = session.exec(select(Sku).where(Sku.code == "LT-NAT")).one()  # type: ignore[call-overload]
        sku.lead_time_days, sku.buffer_days = 30, 10
    changed = tmp_path / "products.csv"
    changed.write_text("Handle,Title,Variant SKU,Variant Price\nlinen-tote,Linen Tote Bag,LT-NAT,31.00\n")
    summary = run_import(engine, "shopify-products", changed, now=FIXED_NOW, actor="tester")
    assert (summary.updated, summary.unchanged) == (1, 0)
    sku = rows(engine, Sku, Sku.code == "LT-NAT")[0]
    assert (sku.name, sku.price, sku.cost, sku.lead_time_days, sku.buffer_days, sku.version) == (
        "Linen Tote Bag",
        31.0,
        9.4,
        30,
        10,
        2,
    )


# --- Shopify inventory -----------------------------------------------------------------------


def test_shopify_inventory_export(engine: Engine) -> None:
    summary = run(engine, "shopify-inventory", "shopify_inventory_export.csv")
    # 119 data rows: 71 "not stocked", 48 stock records (3 of them without a SKU: keyed on the handle).
    assert summary.rows == 119
    assert summary.ignored_reasons == {"not stocked at the location (no stock record)": 71}
    assert (summary.inserted, summary.rejected) == (48, 0)
    assert summary.created == {"sku": 48, "warehouse": 1}
    assert "rows without a SKU are matched on handle and options (code 'handle/option values')" in summary.notes
    assert (
        "negative on hand kept (sold before it was received, or a count error) (lines 62, 63, 99, 100)"
        in summary.warnings
    )
    warehouse = rows(engine, Warehouse)[0]
    assert (warehouse.name, warehouse.code) == ("Underground Sports Shop", "UNDERGROUND-SPORTS")
    stock = {sku.code: level for level, sku in _stock(engine)}
    book = stock["book-McConaughey-Poems-Prayers"]
    assert (book.on_hand, book.committed) == (609, 0)
    assert stock["medallion-graduation-set-Capella"].on_hand == -5  # kept, flagged
    assert (stock["Summit-VTMP"].on_hand, stock["Summit-VTMP"].committed) == (-1, 40)
    assert "nsls-coin" not in stock  # "not stocked": no stock record
    assert stock["avery-label-sheet"].on_hand == 4  # no SKU: keyed on its handle (single variant)
    sku = rows(engine, Sku, Sku.code == "book-McConaughey-Poems-Prayers")[0]
    assert (sku.name, sku.product_handle, sku.variant) == (
        "Poems & Prayers by Matthew McConaughey",
        "poems-prayers-matthew-mcconaughey",
        "",
    )


def _stock(engine: Engine) -> list:
    with db.read_session(engine) as session:
        return list(session.exec(select(StockLevel, Sku).join(Sku, Sku.id == StockLevel.sku_id)))  # type: ignore[call-overload]


def test_inventory_matches_an_existing_warehouse_by_name_and_updates_stock(engine: Engine, tmp_path: Path) -> None:
    with db.write_session(engine) as session:
        session.add(Warehouse(code="US-W", name="US West"))
    first = tmp_path / "inv.csv"
    first.write_text("SKU,Location,Committed (not editable),On hand (current)\nA-1,us west,2,10\n")
    assert run_import(engine, "shopify-inventory", first, now=FIXED_NOW, actor="t").created == {"sku": 1}
    first.write_text("SKU,Location,Committed (not editable),On hand (current)\nA-1,US West,3,8\n")
    summary = run_import(engine, "shopify-inventory", first, now=FIXED_NOW, actor="t")
    assert (summary.updated, summary.created) == (1, {})
    level = rows(engine, StockLevel)[0]
    assert (level.on_hand, level.committed, level.version) == (8, 3, 2)


# --- Google Ads ------------------------------------------------------------------------------


def test_google_ads_campaign_report(engine: Engine) -> None:
    summary = run(engine, "google-ads", "google_ads_campaign_report.csv")
    assert summary.ignored_reasons == {"total rows": 4}
    assert summary.created == {"channel": 1, "campaign": 2}
    assert summary.inserted == 48  # 2 campaigns x 24 days (July 8-31)
    assert summary.warnings == ["no daily breakdown: figures for 2025-07-08 to 2025-07-31 spread evenly over 24 days"]
    channel = rows(engine, AdChannel)[0]
    assert channel.code == "google"
    campaigns = {c.name: c for c in rows(engine, Campaign)}
    video, sand = campaigns["Video views - 2025-07-19"], campaigns["MH-m-sand"]
    assert (video.currency, video.status, video.daily_budget) == ("INR", "active", 0.0)  # "Campaign Total" budget
    assert (sand.currency, sand.daily_budget) == ("INR", 500.0)
    stats = rows(engine, AdStatDaily, AdStatDaily.campaign_id == sand.id, order=AdStatDaily.day)
    assert (stats[0].day, stats[-1].day) == (date(2025, 7, 8), date(2025, 7, 31))
    # The period totals survive the spread exactly: 904.26 INR, "20,287" impressions, "1,934" clicks.
    assert round(sum(s.spend for s in stats), 2) == 904.26
    assert sum(s.impressions for s in stats) == 20287
    assert sum(s.clicks for s in stats) == 1934
    assert round(sum(s.conversions for s in stats), 2) == 15.0
    # 90426 cents over 24 days: 3767 cents each, the 18-cent remainder on the first 18 days.
    assert (stats[0].spend, stats[17].spend, stats[18].spend) == (37.68, 37.68, 37.67)
    # Revenue = cost x "Conv. value / Cost" (0.02, already rounded by Google): 904.26 x 0.02 = 18.09.
    assert round(sum(s.revenue for s in stats), 2) == 18.09


def test_google_ads_utf16_tab_separated_daily_report(engine: Engine) -> None:
    summary = run(engine, "google-ads", "edge/google_ads_daily_utf16.csv")
    assert (summary.inserted, summary.ignored) == (2, 1)
    stats = rows(engine, AdStatDaily, order=AdStatDaily.day)
    assert [(s.day, s.spend, s.impressions, s.clicks, s.conversions, s.revenue) for s in stats] == [
        (date(2026, 11, 16), 1234.5, 12345, 410, 12.0, 2880.0),
        (date(2026, 11, 17), 1100.0, 11002, 380, 10.5, 2455.1),
    ]
    assert rows(engine, Campaign)[0].currency == "EUR"


# --- Meta and TikTok -------------------------------------------------------------------------


def test_meta_daily_export_sums_ad_sets_per_campaign_and_day(engine: Engine) -> None:
    summary = run(engine, "meta-ads", "meta_ads_daily.csv")
    assert (summary.rows, summary.inserted) == (6, 4)
    campaigns = {c.name: c for c in rows(engine, Campaign)}
    assert {c.currency for c in campaigns.values()} == {"GBP"}  # from "Amount spent (GBP)"
    broad = rows(
        engine, AdStatDaily, AdStatDaily.campaign_id == campaigns["Prospecting - Broad"].id, order=AdStatDaily.day
    )
    # Nov 17: 40.20 + 19.80 spend, 5,012 + 2,206 impressions, 61 + 25 link clicks, 3 + 1 purchases.
    assert [(s.spend, s.impressions, s.clicks, s.conversions, s.revenue) for s in broad] == [
        (60.0, 7218, 86, 4.0, 193.5),
        (61.0, 6912, 80, 2.0, 96.0),
    ]


def test_meta_period_export_is_spread_over_its_days(engine: Engine) -> None:
    run(engine, "meta-ads", "meta_ads_period.csv")
    campaigns = {c.name: c for c in rows(engine, Campaign)}
    assert campaigns["Lookalike 1%"].status == "paused"  # delivery "inactive"
    stats = rows(
        engine, AdStatDaily, AdStatDaily.campaign_id == campaigns["Advantage+ Shopping"].id, order=AdStatDaily.day
    )
    assert len(stats) == 7
    assert [s.spend for s in stats] == [34.29] * 4 + [34.28] * 3  # 240.00 / 7 to the cent
    assert sum(s.impressions for s in stats) == 27950


def test_tiktok_export(engine: Engine) -> None:
    summary = run(engine, "tiktok-ads", "tiktok_ads_export.csv")
    assert summary.inserted == 6
    campaign = rows(engine, Campaign, Campaign.name == "Spark Ads - UGC")[0]
    assert (campaign.external_id, campaign.currency) == ("1780001234567890", "USD")
    stats = rows(engine, AdStatDaily, AdStatDaily.campaign_id == campaign.id, order=AdStatDaily.day)
    # Destination clicks, complete payments and their value (not "Conversions", not "Clicks (all)").
    assert [(s.spend, s.impressions, s.clicks, s.conversions, s.revenue) for s in stats][0] == (
        55.2,
        12480,
        230,
        6.0,
        318.0,
    )


def test_a_second_file_replaces_a_campaign_day(engine: Engine, tmp_path: Path) -> None:
    run(engine, "tiktok-ads", "tiktok_ads_export.csv")
    fix = tmp_path / "fix.csv"
    fix.write_text("Date,Campaign name,Cost,Impressions\n2026-11-18,Video Shopping,31.40,6500\n")
    summary = run_import(engine, "tiktok-ads", fix, now=FIXED_NOW, actor="t")
    assert (summary.inserted, summary.updated) == (0, 1)
    campaign = rows(engine, Campaign, Campaign.name == "Video Shopping")[0]
    day = rows(engine, AdStatDaily, AdStatDaily.campaign_id == campaign.id, AdStatDaily.day == date(2026, 11, 18))[0]
    assert (day.spend, day.impressions) == (31.4, 6500)


# --- tickets ---------------------------------------------------------------------------------


def _tickets(engine: Engine, source: str) -> dict[str, Ticket]:
    return {t.external_id: t for t in rows(engine, Ticket, Ticket.source == source)}


def test_zendesk_csv(engine: Engine) -> None:
    summary = run(engine, "zendesk", "zendesk_tickets.csv", tz="Europe/Berlin")
    assert (summary.inserted, summary.created) == (8, {"customer": 8})
    assert summary.warnings[0] == "assignee 'Ana Weber' is not in the team (3 tickets left unassigned)"
    tickets = _tickets(engine, "zendesk")
    incident = tickets["1001"]
    # "2026-11-20 12:30:00" in Berlin is 11:30 UTC; site incidents get the 30-minute policy.
    assert incident.created_at == datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
    assert (incident.category, incident.priority, incident.status, incident.channel, incident.order_ref) == (
        "site_incident",
        "urgent",
        "new",
        "email",
        "#20931",
    )
    assert (incident.next_due_metric, incident.next_due_at) == (
        "first_response",
        datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    )
    wismo = tickets["1002"]
    assert wismo.category == "logistics"
    assert wismo.first_response_at == datetime(2026, 11, 19, 7, 45, tzinfo=UTC)  # created + 45 minutes
    assert wismo.awaiting_since == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # open since its last update
    assert (wismo.next_due_metric, wismo.next_due_at) == ("next_response", datetime(2026, 11, 20, 20, 0, tzinfo=UTC))
    hold = tickets["1004"]
    assert (hold.status, hold.channel, hold.paused_since, hold.paused_minutes, hold.due_sort_at) == (
        "on_hold",
        "whatsapp",
        datetime(2026, 11, 18, 10, 0, tzinfo=UTC),
        1200.0,
        FAR_FUTURE,
    )
    solved = tickets["1005"]
    assert (solved.is_open, solved.csat, solved.channel, solved.agent_replies) == (False, 5, "messenger", 2)
    assert solved.solved_at == datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    assert (tickets["1006"].csat, tickets["1006"].category, tickets["1006"].channel) == (1, "payment", "phone")
    assert tickets["1008"].csat is None  # "Offered": no answer yet
    assert tickets["1003"].category == "returns"  # from "Contact reason [list]"
    assert tickets["1007"].subject == 'Do you ship the "Linen Tote" to Austria?'
    assert all(t.due_sort_at is not None for t in tickets.values())
    customer = rows(engine, Customer, Customer.external_id == "zendesk:9007")[0]
    assert (customer.name, customer.email) == ("Zoë Müller", "zoe@example.de")


def test_zendesk_records_breaches_that_already_happened(engine: Engine) -> None:
    run(engine, "zendesk", "zendesk_tickets.csv", tz="Europe/Berlin")
    tickets = _tickets(engine, "zendesk")
    breaches = {(b.ticket_id, b.metric): b for b in rows(engine, SlaBreach)}
    # Site incident created 11:30 UTC with a 30-minute first response: breached at 12:00, before 14:00.
    incident = breaches[(tickets["1001"].id, "first_response")]
    assert (incident.due_at, incident.recorded_at) == (datetime(2026, 11, 20, 12, 0, tzinfo=UTC), FIXED_NOW)
    # Closed ticket answered after 900 minutes against a 720-minute target: a breach in the past.
    assert (tickets["1006"].id, "first_response") in breaches
    assert (tickets["1002"].id, "first_response") not in breaches  # answered in 45 minutes


def test_team_members_are_matched_as_assignees(engine: Engine) -> None:
    from dtc_tui.models import Person

    with db.write_session(engine) as session:
        session.add(Person(name="Ana Weber", handle="ana"))
        session.flush()
    summary = run(engine, "zendesk", "zendesk_tickets.csv")
    ana = rows(engine, Person)[0]
    assert {t.external_id for t in _tickets(engine, "zendesk").values() if t.assignee_id == ana.id} == {
        "1002",
        "1004",
        "1006",
    }
    assert not any("Ana Weber" in warning for warning in summary.warnings)


def test_zendesk_json(engine: Engine) -> None:
    summary = run(engine, "zendesk", "zendesk_tickets.json")
    assert (summary.inserted, summary.rejected) == (3, 0)
    tickets = _tickets(engine, "zendesk")
    open_ticket = tickets["2001"]
    assert (open_ticket.category, open_ticket.channel, open_ticket.status) == ("logistics", "email", "open")
    assert open_ticket.tags == "wismo de"
    solved = tickets["2002"]
    # No reply times in the API object: the first response stays unknown (never "when solved").
    assert (solved.csat, solved.solved_at, solved.first_response_at, solved.next_due_at) == (
        5,
        datetime(2026, 11, 16, 10, 0, tzinfo=UTC),
        None,
        None,
    )
    new = tickets["2003"]
    assert (new.created_at, new.channel, new.priority) == (
        datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        "whatsapp",
        "normal",
    )
    with db.read_session(engine) as session:
        from dtc_tui.models import TicketMessage

        messages = list(session.exec(select(TicketMessage).where(TicketMessage.ticket_id == open_ticket.id)))  # type: ignore[call-overload]
    assert [m.body for m in messages] == ["Hallo, meine Bestellung ist seit einer Woche unterwegs.\nViele Grüße"]


def test_freshdesk_csv(engine: Engine) -> None:
    summary = run(engine, "freshdesk", "freshdesk_tickets.csv")
    assert summary.inserted == 4
    tickets = _tickets(engine, "freshdesk")
    parcel = tickets["301"]
    assert (parcel.category, parcel.priority, parcel.tags) == ("logistics", "normal", "shipping wismo")
    assert parcel.first_response_at == datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # "Initial response time"
    refund = tickets["302"]
    assert (refund.status, refund.category, refund.csat, refund.agent_replies) == ("solved", "returns", 5, 3)
    incident = tickets["303"]
    assert (incident.status, incident.category, incident.priority) == ("on_hold", "site_incident", "urgent")
    presales = tickets["304"]
    # "First response time (in hrs)" 2.5 when no initial response time: created 15:00 + 2 h 30.
    assert (presales.channel, presales.first_response_at) == ("phone", datetime(2026, 11, 18, 17, 30, tzinfo=UTC))
    assert count(engine, Customer) == 4
