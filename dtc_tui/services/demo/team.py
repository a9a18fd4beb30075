"""Demo team: six people across time zones and a growth-stage matrix in which every check of
the Team screen fires at least once (at the test clock, Friday 14:00 UTC):

- SEO and social media have nobody accountable; social media has nobody doing it either;
- Email / CRM has two accountable people;
- Ana is accountable for seven duties in four functions, and manages CS while holding
  pre-sales and after-sales;
- delivery copy does not consult the warehouse owner (Chen is only informed), live-site changes
  have no tester, refund status leaves order processing (Chen) out;
- site incidents escalate to Dana (outsourced tech in Manila, off duty in the European afternoon)
  with no backup.
"""

from __future__ import annotations

import random

from sqlmodel import Session

from dtc_tui.models import Assignment, Duty, Person, RoutingRule
from dtc_tui.services.team.templates import CATEGORY_DUTY, duties_for

PEOPLE = [
    # name, handle, os user, time zone, hours, days
    ("Ana Weber", "ana", "ana", "Europe/Berlin", "09:00-18:00", "12345"),
    ("Ben Carter", "ben", "ben", "America/New_York", "09:00-17:00", "12345"),
    ("Chen Li", "chen", "chen", "Asia/Shanghai", "09:00-18:00", "123456"),
    ("Dana Santos", "dana", "dana", "Asia/Manila", "09:00-18:00", "12345"),
    ("Eli Ramos", "eli", "eli", "America/Mexico_City", "08:00-16:00", "12345"),
    ("Farah Haddad", "farah", "farah", "Asia/Dubai", "09:00-18:00", "712345"),
]

# duty code -> {handle: role}
MATRIX: dict[str, dict[str, str]] = {
    "site_build": {"dana": "A", "ana": "I"},
    "site_release": {"dana": "A"},  # no tester consulted: a sign-off gap
    "payments": {"ana": "A", "dana": "R"},
    "content_listings": {"farah": "A", "ben": "C"},
    "seo": {"farah": "R"},  # nobody accountable
    "paid_ads": {"ben": "A", "farah": "C"},
    "social_kol": {"farah": "C", "ben": "I"},  # nobody does it
    "email_crm": {"farah": "A", "ben": "A"},  # two accountable
    "delivery_copy": {"ben": "A", "chen": "I"},  # the warehouse owner is only informed
    "cs_manager": {"ana": "A"},
    "presales": {"ana": "A", "eli": "R"},
    "aftersales": {"ana": "A", "eli": "R"},
    "wismo": {"eli": "A", "ana": "R"},
    "refund_status": {"ana": "A", "eli": "I"},  # order processing (chen) left out
    "order_processing": {"chen": "A", "ana": "I"},
    "purchasing": {"chen": "A"},
    "warehouse": {"chen": "A", "ben": "I"},
    "logistics": {"ana": "A", "chen": "R"},
    "analytics": {"ana": "A", "farah": "R"},
}

# Routing backups by duty; site_build (site incidents) has none on purpose.
BACKUPS = {"wismo": "ana", "aftersales": "eli", "presales": "eli", "payments": "dana"}


def build(session: Session, rng: random.Random) -> dict[str, int]:
    people: dict[str, int] = {}
    for name, handle, os_user, tz, hours, days in PEOPLE:
        person = Person(name=name, handle=handle, os_user=os_user, timezone=tz, work_hours=hours, work_days=days)
        session.add(person)
        session.flush()
        people[handle] = person.id or 0
    duties: dict[str, int] = {}
    for position, (code, name, function, _stage) in enumerate(duties_for("growth")):
        duty = Duty(code=code, name=name, function=function, position=position)
        session.add(duty)
        session.flush()
        duties[code] = duty.id or 0
    for code, roles in MATRIX.items():
        for handle, role in roles.items():
            session.add(Assignment(person_id=people[handle], duty_id=duties[code], role=role))
    for category, code in CATEGORY_DUTY.items():
        backup = BACKUPS.get(code)
        session.add(
            RoutingRule(category=category, duty_id=duties[code], backup_person_id=people[backup] if backup else None)
        )
    session.flush()
    return people
