"""Where Enter on an overview row jumps: one small frozen dataclass per kind of place.

The field names are the keys the JSON output (``dtc-tui overview --json``) always had, so
``dataclasses.asdict`` of a target is the dict it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketTarget:
    """One ticket, opened in the ticket view."""

    ticket_id: int


@dataclass(frozen=True)
class QueueTarget:
    """The ticket queue with this filter (in the queue's filter language)."""

    filter: str


@dataclass(frozen=True)
class MoreTarget:
    """The rest of one kind of overview item ("... and 12 more"): the screen's matching view."""

    more: str  # the item kind, e.g. ticket_breached


@dataclass(frozen=True)
class SkuTarget:
    """A SKU's line over all warehouses on the reorder board."""

    sku_id: int


@dataclass(frozen=True)
class PurchaseOrderTarget:
    """The purchase order list."""

    po: str  # the PO number


@dataclass(frozen=True)
class CampaignTarget:
    """A campaign (and the SKU it promotes, if any)."""

    campaign_id: int
    sku_id: int | None = None


@dataclass(frozen=True)
class TeamTarget:
    """A cell of the RACI matrix (duty, person) or a category's route."""

    duty_code: str | None = None
    person_handle: str | None = None
    category: str | None = None


Target = TicketTarget | QueueTarget | MoreTarget | SkuTarget | PurchaseOrderTarget | CampaignTarget | TeamTarget | None
