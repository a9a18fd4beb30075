"""Macros: canned replies with placeholders, in a language, that may also set status, priority and tags.

A macro's body names values in braces: ``{customer.first_name}``, ``{customer.name}``,
``{order.number}``, ``{order.tracking_url}``, ``{agent.name}``, ``{ticket.id}``. ``fill`` puts the
ticket's values in as plain text (one line, control characters removed: a customer's name can
never add markup or escape codes to a reply). A value the ticket does not have (no order linked)
becomes a visible gap, ``[[missing: order.number]]``, and is reported: a reply that still holds a
gap is refused (``gaps_in``), so it is never sent with a silent hole.

Any other braces stay as typed; a name that looks like a placeholder but is not one
(``{order.numbr}``) is refused when the macro is saved. Status, priority and tags apply when the
reply is sent, in the same change (services/tickets/ops.add_reply).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from dtc_tui import db
from dtc_tui.errors import Conflict, InvalidInput, NotFound
from dtc_tui.i18n import _
from dtc_tui.models import Macro, ReplyDraft
from dtc_tui.models.tickets import LANGUAGES, PRIORITIES, STATUSES
from dtc_tui.services.common import audit
from dtc_tui.services.common.text import clean_text, one_line

PLACEHOLDERS: dict[str, str] = {
    "customer.first_name": "the customer's first name",
    "customer.name": "the customer's full name",
    "order.number": "the linked order's number (#1001)",
    "order.tracking_url": "the tracking link of the order's latest shipment",
    "agent.name": "your name on the Team screen",
    "ticket.id": "the ticket number",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")
GAP = "[[missing: {name}]]"
_GAP = re.compile(r"\[\[missing: ([a-z_]+\.[a-z_]+)\]\]")


class MacroError(InvalidInput):
    """A macro that cannot be saved as typed (the message says which field and why)."""


class MacroNotFound(MacroError, NotFound):
    pass


class MacroExists(MacroError, Conflict):
    pass


@dataclass(frozen=True)
class MacroView:
    id: int
    name: str
    language: str
    body: str
    set_status: str = ""
    set_priority: str = ""
    add_tags: str = ""
    remove_tags: str = ""

    def actions(self) -> str:
        """What the macro changes besides the text, in words ("" when nothing)."""
        parts = []
        if self.set_status:
            parts.append(_("status {value}").format(value=self.set_status))
        if self.set_priority:
            parts.append(_("priority {value}").format(value=self.set_priority))
        tags = [f"+{t}" for t in self.add_tags.split()] + [f"-{t}" for t in self.remove_tags.split()]
        if tags:
            parts.append(_("tags {tags}").format(tags=" ".join(tags)))
        return ", ".join(parts)


@dataclass(frozen=True)
class Filled:
    """A macro's body with the ticket's values in; ``missing`` names each placeholder left as a gap."""

    text: str
    missing: tuple[str, ...]


def _view(macro: Macro) -> MacroView:
    return MacroView(
        macro.id or 0,
        macro.name,
        macro.language,
        macro.body,
        macro.set_status,
        macro.set_priority,
        macro.add_tags,
        macro.remove_tags,
    )


# --- placeholders ---------------------------------------------------------------------------------


def placeholders_in(body: str) -> list[str]:
    return list(dict.fromkeys(_PLACEHOLDER.findall(body)))


def unknown_placeholders(body: str) -> list[str]:
    return [name for name in placeholders_in(body) if name not in PLACEHOLDERS]


def fill(body: str, values: Mapping[str, str | None]) -> Filled:
    """``body`` with each known placeholder replaced by its value as plain one-line text, or a gap."""
    missing: list[str] = []

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        value = one_line(values.get(name) or "")
        if not value:
            if name not in missing:
                missing.append(name)
            return GAP.format(name=name)
        return value

    return Filled(_PLACEHOLDER.sub(value_of, clean_text(body)), tuple(missing))


def gaps_in(text: str) -> list[str]:
    """The placeholders a reply still has as gaps (see ``fill``)."""
    return list(dict.fromkeys(_GAP.findall(text)))


# --- picking by name ------------------------------------------------------------------------------


def fuzzy_score(query: str, text: str) -> float:
    """0 when the letters of ``query`` do not all appear in order in ``text``; higher for tighter
    matches, matches at word starts and a match at the very start ("wism" beats "w..i..s..m")."""
    query = "".join(query.lower().split())
    if not query:
        return 1.0
    text = text.lower()
    score = 0.0
    position = -1
    previous = -2
    for char in query:
        found = text.find(char, position + 1)
        if found < 0:
            return 0.0
        score += 1.0
        if found == previous + 1:
            score += 2.0  # contiguous
        if found == 0 or not text[found - 1].isalnum():
            score += 1.5  # a word start
        previous = position = found
    return score / (1 + 0.02 * len(text))


def rank(macros: Iterable[MacroView], query: str, language: str) -> list[MacroView]:
    """Macros whose name matches ``query`` (fuzzy), best first; the ticket's ``language`` before others
    at the same score, then by name. An empty query lists all, the ticket's language first."""
    scored = []
    for macro in macros:
        score = fuzzy_score(query, macro.name)
        if score > 0:
            scored.append((macro.language != language, -round(score, 3), macro.name.lower(), macro.language, macro))
    scored.sort(key=lambda entry: entry[:4])
    return [entry[-1] for entry in scored]


# --- reads and writes -----------------------------------------------------------------------------


def list_macros(session: Session) -> list[MacroView]:
    rows = session.execute(select(Macro).order_by(col(Macro.name), col(Macro.language))).scalars()
    return [_view(m) for m in rows]


def get_macro(session: Session, macro_id: int) -> MacroView | None:
    macro = session.get(Macro, macro_id)
    return _view(macro) if macro else None


def _tags(value: str) -> str:
    return " ".join(dict.fromkeys(one_line(value).lower().replace(",", " ").replace("+", " ").split()))


def validate(
    *, name: str, language: str, body: str, set_status: str, set_priority: str, add_tags: str, remove_tags: str
) -> dict[str, str]:
    """The macro's fields cleaned, or ``MacroError`` naming the first wrong one."""
    clean = {
        "name": one_line(name, 120),
        "language": one_line(language).lower() or "en",
        "body": clean_text(body).strip("\n"),
        "set_status": one_line(set_status).lower(),
        "set_priority": one_line(set_priority).lower(),
        "add_tags": _tags(add_tags),
        "remove_tags": _tags(remove_tags.replace("-", " ")),
    }
    if not clean["name"]:
        raise MacroError(_("a macro needs a name"))
    if len(clean["language"]) > 8 or not clean["language"].replace("-", "").isalpha():
        raise MacroError(
            _("language {language!r} is not a language code such as {codes}").format(
                language=clean["language"], codes=", ".join(LANGUAGES)
            )
        )
    if not clean["body"].strip():
        raise MacroError(_("a macro needs some text"))
    unknown = unknown_placeholders(clean["body"])
    if unknown:
        raise MacroError(
            _("unknown placeholder {placeholder}; use one of {known}").format(
                placeholder="{" + unknown[0] + "}", known=", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            )
        )
    if clean["set_status"] and clean["set_status"] not in STATUSES:
        raise MacroError(
            _("status {value!r} is not one of {known} (or empty)").format(
                value=clean["set_status"], known=", ".join(STATUSES)
            )
        )
    if clean["set_priority"] and clean["set_priority"] not in PRIORITIES:
        raise MacroError(
            _("priority {value!r} is not one of {known} (or empty)").format(
                value=clean["set_priority"], known=", ".join(PRIORITIES)
            )
        )
    both = set(clean["add_tags"].split()) & set(clean["remove_tags"].split())
    if both:
        raise MacroError(_("tag {tag!r} is both added and removed").format(tag=sorted(both)[0]))
    return clean


def save_macro(
    engine: Engine,
    *,
    operator: str,
    now: datetime,
    macro_id: int | None = None,
    name: str,
    language: str = "en",
    body: str,
    set_status: str = "",
    set_priority: str = "",
    add_tags: str = "",
    remove_tags: str = "",
) -> MacroView:
    """Create (``macro_id`` None) or change a macro; one audit row either way."""
    clean = validate(
        name=name,
        language=language,
        body=body,
        set_status=set_status,
        set_priority=set_priority,
        add_tags=add_tags,
        remove_tags=remove_tags,
    )
    with db.write_session(engine) as session:
        clash = session.execute(
            select(col(Macro.id)).where(col(Macro.name) == clean["name"], col(Macro.language) == clean["language"])
        ).scalar()
        if clash is not None and clash != macro_id:
            raise MacroExists(f"a macro named {clean['name']!r} in {clean['language']} exists already")
        if macro_id is None:
            macro = Macro(**clean, updated_at=now)  # type: ignore[arg-type]
            session.add(macro)
            session.flush()
            audit.record(
                session, actor=operator, now=now, entity="macro", entity_id=macro.id, action="create", after=clean
            )
            return _view(macro)
        found = session.get(Macro, macro_id)
        if found is None:
            raise MacroNotFound(_("macro {id} does not exist (deleted by someone else?)").format(id=macro_id))
        macro = found
        before = {k: getattr(macro, k) for k in clean if getattr(macro, k) != clean[k]}
        if not before:
            return _view(macro)
        for key, value in clean.items():
            setattr(macro, key, value)
        macro.updated_at = now
        session.add(macro)
        audit.record(
            session,
            actor=operator,
            now=now,
            entity="macro",
            entity_id=macro_id,
            action="update",
            before=before,
            after={k: clean[k] for k in before},
        )
        return _view(macro)


def delete_macro(engine: Engine, macro_id: int, *, operator: str, now: datetime) -> None:
    """Delete a macro; drafts that used it keep their text and lose only its pending changes."""
    with db.write_session(engine) as session:
        macro = session.get(Macro, macro_id)
        if macro is None:
            raise MacroNotFound(_("macro {id} does not exist (deleted by someone else?)").format(id=macro_id))
        before = {"name": macro.name, "language": macro.language}
        session.execute(update(ReplyDraft).where(col(ReplyDraft.macro_id) == macro_id).values(macro_id=None))
        session.delete(macro)
        audit.record(
            session, actor=operator, now=now, entity="macro", entity_id=macro_id, action="delete", before=before
        )
