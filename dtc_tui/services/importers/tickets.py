"""Help-desk ticket exports: Zendesk (CSV and JSON) and Freshdesk (CSV).

Both upsert on (source, external id): ``zendesk`` / ``freshdesk`` plus the help desk's ticket
id. What is mapped and what is ignored is listed in docs/import-export.md.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common.language import UNKNOWN as UNKNOWN_LANGUAGE
from dtc_tui.services.common.language import Detector
from dtc_tui.services.common.language import release as release_language_model
from dtc_tui.services.common.memory import return_free_memory
from dtc_tui.services.common.text import one_line
from dtc_tui.services.importers.base import Importer, RowCheck, number_text
from dtc_tui.services.importers.columns import Columns, field
from dtc_tui.services.importers.errors import ImportFailed, RowError, ValueProblem
from dtc_tui.services.importers.jsonstream import iter_records
from dtc_tui.services.importers.ticket_writer import TicketWriter
from dtc_tui.services.importers.values import parse_number

TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = {"low": "low", "normal": "normal", "medium": "normal", "high": "high", "urgent": "urgent"}
CSAT_WORDS = {
    "good": 5,
    "bad": 1,
    "awesome": 5,
    "extremely happy": 5,
    "very happy": 4,
    "happy": 4,
    "just okay": 3,
    "neutral": 3,
    "not good": 1,
    "unhappy": 2,
    "very unhappy": 1,
    "extremely unhappy": 1,
}
CSAT_NONE = frozenset({"", "offered", "unoffered", "not offered", "-"})
# Tag / type / category words -> this app's ticket categories (first match in the row wins).
CATEGORY_WORDS = {
    "logistics": (
        "logistics",
        "shipping",
        "delivery",
        "wismo",
        "where_is_my_order",
        "tracking",
        "order_status",
        "shipment",
    ),
    "returns": ("returns", "return", "refund", "refunds", "exchange", "rma"),
    "payment": ("payment", "payments", "chargeback", "dispute", "billing", "stripe"),
    "site_incident": ("site_incident", "site incident", "checkout", "outage", "checkout_error", "site_down"),
    "presales": ("presales", "pre-sales", "pre_sales", "presale", "pre-sale", "sales_inquiry"),
    "product": ("product", "product_question"),
}
_CATEGORY_OF = {word: category for category, words in CATEGORY_WORDS.items() for word in words}
LANGUAGE_NAMES = {
    "english": "en",
    "german": "de",
    "deutsch": "de",
    "spanish": "es",
    "español": "es",
    "french": "fr",
    "français": "fr",
    "arabic": "ar",
    "italian": "it",
    "dutch": "nl",
    "portuguese": "pt",
    "japanese": "ja",
    "chinese": "zh",
}
_LOCALE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$")


# ``Via`` / ``Source`` values of tickets the team opened itself: not customer contacts, no SLA.
NOT_CUSTOMER_VIA = ("internal", "outbound", "side conversation", "side_conversation", "proactive")


def not_customer(via: str) -> bool:
    text = via.lower()
    return any(word in text for word in NOT_CUSTOMER_VIA)


def nearest_status(text: str) -> str:
    """A help desk's custom status -> the nearest standard one ("Waiting on Acme" -> pending)."""
    if "hold" in text:
        return "on_hold"
    if any(word in text for word in ("wait", "pending", "awaiting")):
        return "pending"
    if any(word in text for word in ("solved", "resolved", "closed", "done", "complete")):
        return "solved"
    return "open"


def channel_of(via: str) -> str:
    """Help-desk channel names (Zendesk ``Via``, Freshdesk ``Source``) -> this app's channels."""
    text = via.lower()
    if "whatsapp" in text:
        return "whatsapp"
    if "messenger" in text or "facebook" in text or "instagram" in text:
        return "messenger"
    if any(word in text for word in ("voice", "phone", "call")):
        return "phone"
    if any(word in text for word in ("chat", "messaging", "widget", "sdk", "sms", "bot")):
        return "chat"
    return "email"  # e-mail, web form, portal, API, help center and anything unknown


def category_of(*candidates: str) -> str:
    for candidate in candidates:
        for word in [candidate.lower().strip(), *re.split(r"[\s,]+", candidate.lower())]:
            if word in _CATEGORY_OF:
                return _CATEGORY_OF[word]
    return "product"


def language_of(value: str) -> str | None:
    """The language code the export names (``German``, ``de-AT``, ``pt_BR``), or None if it names none."""
    text = value.strip().lower()
    if not text:
        return None
    if text in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[text]
    found = _LOCALE.match(text)
    return found.group(1) if found else None


def tags_of(value: str) -> str:
    return " ".join(dict.fromkeys(one_line(value).lower().replace(",", " ").split()))


def csat_of(check: RowCheck, name: str) -> int | None:
    text = check.raw(name).lower()
    if text in CSAT_NONE:
        return None
    if text in CSAT_WORDS:
        return CSAT_WORDS[text]
    try:
        number = parse_number(text)
    except ValueProblem:
        return None  # a survey answer this app has no scale for
    if number is not None and 1 <= number <= 5 and number == int(number):
        return int(number)
    return None


def hours_to_minutes(text: str) -> float | None:
    """Freshdesk durations: ``01:23:45`` (h:m:s) or decimal hours."""
    value = text.strip()
    if not value:
        return None
    if ":" in value:
        parts = value.split(":")
        try:
            numbers = [float(part) for part in parts]
        except ValueError as exc:
            raise ValueProblem(_("{value!r} is not a duration (hh:mm:ss)").format(value=value)) from exc
        while len(numbers) < 3:
            numbers.append(0.0)
        return numbers[0] * 60 + numbers[1] + numbers[2] / 60
    number = parse_number(value)
    return None if number is None else number * 60


class _TicketImporter(TicketWriter, Importer):
    entity = "ticket"
    area = "tickets"
    tables = ("ticket", "customer", "sla_breach", "ticket_message")
    source_name = ""
    statuses: dict[str, str] = {}
    status_names = ""

    def key(self, record: dict[str, Any]) -> Hashable | None:
        return record["external_id"]

    def describe_key(self, key: Hashable) -> str:
        return f"ticket {key}"

    def begin(self, source: Any, *, writing: bool) -> None:
        super().begin(source, writing=writing)
        if not hasattr(self, "detect_language"):  # one per run: a second pass re-parses the same rows
            self.detect_language = Detector()
            self.guessed_languages: dict[str, str] = {}
        if writing:  # every language is decided (pass 1): the model's ~40 MB go before the writes
            release_language_model()
            return_free_memory()
        # Per distinct cell value: what the pure converters below made of it. An export repeats a
        # few dozen statuses, channels, tag sets... over 100k rows; only answers that raise no
        # problem and no warning are kept, so messages are given row by row as before.
        self._seen_status: dict[str, str] = {}
        self._seen_priority: dict[str, str] = {}
        self._seen_via: dict[str, tuple[bool, str]] = {}
        self._seen_language: dict[str, str | None] = {}
        self._seen_tags: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._seen_category: dict[tuple[str, str, str], str] = {}
        self._seen_csat: dict[str, int | None] = {}
        allowed = {"status": TICKET_STATUSES, "category": tuple(CATEGORY_WORDS)}
        for name, choices in allowed.items():
            for value, target in self.mappings.get(name, {}).items():
                if target not in choices:
                    raise ImportFailed(
                        [
                            RowError(
                                source.name,
                                0,
                                f"--map {name}",
                                _("{value!r}={target!r}: choose one of {choices}").format(
                                    value=value, target=target, choices=", ".join(choices)
                                ),
                            )
                        ]
                    )

    def _mapped(self, name: str, text: str) -> str | None:
        """The user's ``--map name:"file value"=value`` for this cell, if any."""
        return self.mappings.get(name, {}).get(text.strip().lower())

    def _status(self, check: RowCheck) -> str:
        cell = check.row.get("status")
        status = self._seen_status.get(cell)
        if status is not None:
            return status
        text = cell.strip().lower()
        status = self._mapped("status", text) or self.statuses.get(text)
        if status is not None:
            self._seen_status[cell] = status
        if status is None:
            shown = check.raw("status")
            if not shown:
                check.problem("status", _("empty (expected {choices})").format(choices=self.status_names))
                return "open"
            status = nearest_status(text)
            self.warn(
                _(
                    "status {shown!r} is not a standard status: imported as {status} "
                    '(choose with --map status:"{value}"=STATUS)'
                ).format(shown=shown, status=status, value=shown),
                line=check.row.line,
            )
        return status

    def _not_before_created(self, check: RowCheck, created: Any, values: dict[str, Any]) -> None:
        """A time before the ticket was created is a swapped date or a broken export: a row error."""
        if created is None:
            return
        for name, value in values.items():
            if value is not None and value < created:
                check.problem(
                    name,
                    _("{time} is before the ticket was created ({created})").format(
                        time=f"{value:%Y-%m-%d %H:%M}", created=f"{created:%Y-%m-%d %H:%M}"
                    ),
                )

    def _category(self, *candidates: str) -> str:
        for candidate in candidates:
            mapped = self._mapped("category", candidate) if candidate else None
            if mapped:
                return mapped
        return category_of(*candidates)

    def note_lines(self) -> list[str]:
        lines = super().note_lines()
        guessed = list(getattr(self, "guessed_languages", {}).values())
        if guessed:
            unknown = guessed.count(UNKNOWN_LANGUAGE)
            found = len(guessed) - unknown
            line = ngettext(
                "language not in the file: detected from the text for {count} ticket",
                "language not in the file: detected from the text for {count} tickets",
                found,
            ).format(count=number_text(found))
            if unknown:
                line += _("; {count} left unknown ({code}), too little text to tell").format(
                    count=number_text(unknown), code=UNKNOWN_LANGUAGE
                )
            lines.append(line)
        if not self.tz_given and self.naive_times:
            lines.append(
                ngettext(
                    "{count} row with times written without an offset, read as UTC: "
                    "re-run with --tz (the help desk's time zone, e.g. Europe/London) if they are local times",
                    "{count} rows with times written without an offset, read as UTC: "
                    "re-run with --tz (the help desk's time zone, e.g. Europe/London) if they are local times",
                    self.naive_times,
                ).format(count=number_text(self.naive_times))
            )
        return lines

    def _priority(self, check: RowCheck) -> str:
        cell = check.row.get("priority")
        known = self._seen_priority.get(cell)
        if known is not None:
            return known
        text = cell.strip().lower()
        if text in ("", "-", "none"):
            self._seen_priority[cell] = "normal"
            return "normal"
        if text not in PRIORITIES:
            shown = check.raw("priority")
            check.problem(
                "priority", _("unknown priority {shown!r} (expected low, normal, high, urgent)").format(shown=shown)
            )
            return "normal"
        self._seen_priority[cell] = PRIORITIES[text]
        return PRIORITIES[text]

    def _via(self, check: RowCheck) -> tuple[bool, str]:
        """(not a customer ticket, channel) of the row's ``Via`` / ``Source``."""
        cell = check.row.get("via")
        known = self._seen_via.get(cell)
        if known is None:
            text = cell.strip()
            known = self._seen_via[cell] = (not_customer(text), channel_of(text))
        return known

    def _tags(self, check: RowCheck) -> tuple[str, tuple[str, ...]]:
        """The row's tags as stored, and split (category candidates)."""
        cell = check.row.get("tags")
        known = self._seen_tags.get(cell)
        if known is None:
            tags = tags_of(cell.strip())
            known = self._seen_tags[cell] = (tags, tuple(tags.split()))
        return known

    def _language_cell(self, check: RowCheck) -> str | None:
        cell = check.row.get("language")
        if cell in self._seen_language:
            return self._seen_language[cell]
        language = self._seen_language[cell] = language_of(cell.strip())
        return language

    def _csat(self, check: RowCheck) -> int | None:
        cell = check.row.get("csat")
        if cell in self._seen_csat:
            return self._seen_csat[cell]
        value = self._seen_csat[cell] = csat_of(check, "csat")
        return value

    def _category_of_row(self, category: str, tags: tuple[str, ...], ticket_type: str) -> str:
        key = (category, " ".join(tags), ticket_type)
        known = self._seen_category.get(key)
        if known is None:
            known = self._seen_category[key] = self._category(category, *tags, ticket_type)
        return known

    def _common(self, check: RowCheck) -> dict[str, Any]:
        created = check.moment("created_at", required=True)
        record: dict[str, Any] = {
            "external_id": check.text("external_id", required=True, max_length=64),
            "subject": check.text("subject", limit=500) or "(no subject)",
            "status": self._status(check),
            "priority": self._priority(check),
            "channel": self._via(check)[1],
            "language": self._language_cell(check),
            "language_detected": False,
            "tags": self._tags(check)[0],
            "created_at": created,
            "updated_at": check.moment("updated_at"),
            "solved_at": check.moment("solved_at"),
            "requester_name": check.text("requester", limit=200),
            "requester_email": check.text("requester_email", max_length=200),
            "requester_id": check.text("requester_id", max_length=40),
            "assignee": check.text("assignee", limit=120),
            "team": self._mapped("group", check.raw("group")) or check.text("group", limit=60) or None,
            "csat": self._csat(check),
            "agent_replies": check.integer("replies"),
            "description": check.text("description", multiline=True),
        }
        if check.row.has("order_ref"):
            record["order_ref"] = check.text("order_ref", max_length=40) or None
        record["category"] = self._category_of_row(
            check.raw("category"), self._tags(check)[1], check.raw("ticket_type")
        )
        self._not_before_created(check, created, {"updated_at": record["updated_at"], "solved_at": record["solved_at"]})
        if record["language"] is None:
            # The export names no language: guess from the customer's words, or keep it unknown.
            language = self.detect_language(check.raw("subject"), record["description"] or "")
            record["language"] = language
            self.guessed_languages[record["external_id"]] = language
            record["language_detected"] = language != UNKNOWN_LANGUAGE
        return record


ZENDESK_STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "on-hold": "on_hold",
    "on hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
_COMMON_FIELDS = (
    field("subject", "Subject"),
    field("assignee", "Assignee", "Assignee name", "Agent"),
    field("tags", "Tags"),
    field("language", "Language", "Locale", "Requester language", "Requester locale"),
    field("category", "Category", "Ticket category", re.compile(r"[\w ]*\b(reason|category)\b[\w ]*\[\w+\]")),
    field("order_ref", re.compile(r"order (number|id|no\.?|#)( \[\w+\])?"), "Order"),
    field("description", "Description"),
    field("group", "Group", "Group name", "Team"),
)
ZENDESK_COLUMNS = Columns(
    (
        field("external_id", "Id", "Ticket id", required=True),
        field("status", "Status", required=True),
        field("created_at", "Created at", required=True),
        *_COMMON_FIELDS,
        field("requester", "Requester", "Requester name"),
        field("requester_id", "Requester id"),
        field("requester_email", "Requester email"),
        field("priority", "Priority"),
        field("via", "Via", "Channel"),
        field("ticket_type", "Ticket type", "Type"),
        field("updated_at", "Updated at"),
        field("solved_at", "Solved at"),
        field("first_reply_minutes", "First reply time in minutes"),
        field("first_reply_business_minutes", "First reply time in minutes within business hours"),
        field("replies", "Replies"),
        field("csat", "Satisfaction Score", "Satisfaction rating"),
        field("on_hold_minutes", "On hold time in minutes"),
        field("agent_wait_minutes", "Agent wait time in minutes"),
    )
)
# Zendesk Tickets API objects: field -> path in the object.
ZENDESK_JSON_PATHS = {
    "external_id": ("id",),
    "status": ("status",),
    "created_at": ("created_at",),
    "subject": ("subject",),
    "priority": ("priority",),
    "via": ("via", "channel"),
    "ticket_type": ("type",),
    "tags": ("tags",),
    "updated_at": ("updated_at",),
    "requester_id": ("requester_id",),
    "csat": ("satisfaction_rating", "score"),
    "description": ("description",),
}


class JsonRow:
    """One JSON record seen through a field -> path map, as text (like a CSV cell)."""

    __slots__ = ("line", "obj", "paths")

    def __init__(self, line: int, obj: Any, paths: dict[str, tuple[str, ...]]) -> None:
        self.line = line
        self.obj = obj
        self.paths = paths

    def get(self, name: str) -> str:
        value: Any = self.obj
        for part in self.paths.get(name, ()):
            value = value.get(part) if isinstance(value, dict) else None
        if name not in self.paths or value is None or isinstance(value, dict):
            return ""
        if isinstance(value, list):
            return " ".join(str(item) for item in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def has(self, name: str) -> bool:
        return name in self.paths

    def label(self, name: str) -> str:
        return ".".join(self.paths.get(name, (name,)))


class JsonSource:
    decimal_comma = False
    header = None
    preamble: list[list[str]] = []

    def __init__(self, path: Path, name: str, paths: dict[str, tuple[str, ...]]) -> None:
        self.path = path
        self.name = name
        self.paths = paths
        self.size = path.stat().st_size
        self.position = 0

    def rows(self) -> Iterator[JsonRow]:
        for line, obj in iter_records(self.path, self.name):
            self.position = min(self.position + 1, self.size)
            yield JsonRow(line, obj, self.paths)
        self.position = self.size


def looks_like_json(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


class ZendeskTickets(_TicketImporter):
    kind = "zendesk"
    title = "Zendesk tickets (CSV or JSON)"
    source_name = "zendesk"
    statuses = ZENDESK_STATUSES
    status_names = "new, open, pending, hold, solved, closed"
    columns = ZENDESK_COLUMNS
    pauses_in_calendar_minutes = True  # on-hold and agent-wait minutes are wall-clock time

    def open(self, path: Path, name: str) -> Any:
        if looks_like_json(path):
            return JsonSource(path, name, ZENDESK_JSON_PATHS)
        return super().open(path, name)

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        if isinstance(row, JsonRow) and not isinstance(row.obj, dict):
            check.problems.append(("record", _("not a JSON object")))
            return None
        if check.raw("status").lower() == "deleted":
            self.ignore(N_("deleted tickets"))
            return None
        if self._via(check)[0]:
            self.ignore(_("not customer tickets (Via: {via})").format(via=check.raw("via").lower()))
            return None
        record = self._common(check)
        first_reply = check.number("first_reply_minutes")
        if first_reply is not None and record["created_at"] is not None:
            record["first_response_at"] = record["created_at"] + timedelta(minutes=first_reply)
        else:
            record["first_response_at"] = None
            if check.row.has("first_reply_business_minutes") and check.raw("first_reply_business_minutes"):
                # Business minutes cannot be laid on the calendar without the help desk's schedule.
                self.note(
                    _(
                        "first reply given only in business hours: the first-response time of those tickets is "
                        "left unknown (no first-response clock), not guessed"
                    )
                )
        waits = [check.number("on_hold_minutes"), check.number("agent_wait_minutes")]
        record["paused_minutes"] = float(sum(w for w in waits if w))
        return record


FRESHDESK_STATUSES = {
    "open": "open",
    "pending": "pending",
    "resolved": "solved",
    "closed": "closed",
    "waiting on customer": "pending",
    "waiting on third party": "on_hold",
    "new": "new",
}
FRESHDESK_COLUMNS = Columns(
    (
        field("external_id", "Ticket ID", "Ticket Id", "ID", required=True),
        field("status", "Status", required=True),
        field("created_at", "Created time", "Created at", required=True),
        *_COMMON_FIELDS,
        field("requester", "Full name", "Requester name", "Contact name", "Requester", "Contact"),
        field("requester_email", "Email", "Requester email", "Contact email"),
        field("requester_id", "Contact ID", "Requester ID"),
        field("priority", "Priority"),
        field("via", "Source"),
        field("ticket_type", "Type"),
        field("updated_at", "Last update time", "Last updated time"),
        field("resolved_at", "Resolved time"),
        field("closed_at", "Closed time"),
        field("first_response_time", "Initial response time"),
        field("first_response_hours", "First response time (in hrs)"),
        field("replies", "Agent interactions"),
        field("csat", "Survey results", "Survey result"),
    )
)


class FreshdeskTickets(_TicketImporter):
    kind = "freshdesk"
    title = "Freshdesk tickets (CSV)"
    source_name = "freshdesk"
    statuses = FRESHDESK_STATUSES
    status_names = "Open, Pending, Resolved, Closed, Waiting on Customer, Waiting on Third Party"
    columns = FRESHDESK_COLUMNS

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        if self._via(check)[0]:
            self.ignore(_("not customer tickets (Source: {via})").format(via=check.raw("via").lower()))
            return None
        record = self._common(check)
        resolved, closed = check.moment("resolved_at"), check.moment("closed_at")
        record["solved_at"] = resolved or closed
        record["category"] = self._category(check.raw("ticket_type"), check.raw("category"), *record["tags"].split())
        first = check.moment("first_response_time") if check.raw("first_response_time") else None
        self._not_before_created(
            check,
            record["created_at"],
            {"resolved_at": resolved, "closed_at": closed, "first_response_time": first},
        )
        if first is None and check.raw("first_response_hours") and record["created_at"] is not None:
            try:
                minutes = hours_to_minutes(check.raw("first_response_hours"))
            except ValueProblem as exc:
                check.problem("first_response_hours", str(exc))
                minutes = None
            if minutes is not None:
                first = record["created_at"] + timedelta(minutes=minutes)
        record["first_response_at"] = first
        record["paused_minutes"] = 0.0
        return record


__all__ = ["FreshdeskTickets", "ZendeskTickets"]
