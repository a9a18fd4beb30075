"""Overview sentences kept as message and values, so that one item is written twice: in English
(what ``--json`` carries and what an acknowledgement's fingerprint hashes, services/overview/acks.py)
and in the operator's language when shown. Message ids are marked ``N_`` where they are written;
format specs travel with the message (``{expected:%b %d}``, ``{spend:,.0f}``), so a translation
writes a date or a number its own way."""

from __future__ import annotations

from typing import Any

from dtc_tui.i18n import _

Message = tuple[str, tuple[tuple[str, Any], ...]]  # (message id, its values)


def message(msgid: str, **values: Any) -> Message:
    return msgid, tuple(values.items())


def english(msg: Message) -> str:
    return msg[0].format(**dict(msg[1]))


def translated(msg: Message) -> str:
    return _(msg[0]).format(**dict(msg[1]))
