"""Default business calendar and SLA policies, written once into a new database.

Targets from shared/domain.md: first response 12 h, pre-sales inquiries 2 h, nothing past the
24 h ceiling; urgent and site incidents tighter. The operator edits them afterwards.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from dtc_tui.models import BusinessCalendar, SlaPolicy

DEFAULT_CALENDAR = "Support hours"
WEEKDAY_HOURS = {str(day): [["09:00", "12:30"], ["13:30", "18:00"]] for day in range(1, 6)}

DEFAULT_POLICIES: list[tuple[str, dict[str, Any], int, int, int, bool]] = [
    # name, match fields, first response, next response, resolution (minutes), business hours
    ("Site incident", {"match_category": "site_incident"}, 30, 60, 240, False),
    ("Urgent", {"match_priority": "urgent"}, 60, 120, 480, False),
    ("Pre-sales", {"match_category": "presales"}, 120, 240, 1440, False),
    ("VIP customers", {"match_tier": "vip"}, 240, 480, 1440, False),
    ("Standard", {}, 720, 720, 2880, False),
]


def ensure_defaults(session: Session) -> bool:
    """Create the default calendar and policies when the database has none. Idempotent."""
    if session.exec(select(SlaPolicy.id)).first() is not None:
        return False
    calendar = session.exec(select(BusinessCalendar).where(BusinessCalendar.name == DEFAULT_CALENDAR)).first()
    if calendar is None:
        calendar = BusinessCalendar(
            name=DEFAULT_CALENDAR, timezone="Europe/Berlin", weekly_hours=json.dumps(WEEKDAY_HOURS)
        )
        session.add(calendar)
        session.flush()
    for position, (name, match, first, nxt, resolution, business) in enumerate(DEFAULT_POLICIES):
        session.add(
            SlaPolicy(
                name=name,
                position=position,
                first_response_minutes=first,
                next_response_minutes=nxt,
                resolution_minutes=resolution,
                business_hours=business,
                calendar_id=calendar.id,
                **match,
            )
        )
    session.flush()
    return True
