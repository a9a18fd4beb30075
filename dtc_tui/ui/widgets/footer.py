"""The footer of every screen: ``? Keys`` first, then the screen's shown keys that fit whole.

Textual's own footer lays every shown binding out in a row and lets the last ones run under the
command-palette hint, so at 80 columns it showed cut words ("q Qu") and remains of the hidden
ones ("^p palettev"); bindings in a group ran into the next ("raci Rolespace Clear"). This one
shows ``? Keys`` (the full list) first, then each shown binding in the screen's order while it fits
whole, a group as one entry ("r/a/c/i Role"), and the palette hint on the right. What does not fit
stays in the help (``?``) and the palette (``ctrl+p``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from dtc_tui.i18n import N_, _

if TYPE_CHECKING:
    from textual.screen import Screen

HELP_ACTIONS = ("help", "app.help")
# Textual's own words that our footer shows (the palette key it adds to every app), for the catalog.
TEXTUAL_MESSAGES = (
    N_("palette"),
    N_("Open the command palette"),
    # Textual's Screen bindings, listed by the help (?) and the palette.
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Copy selected text"),
)
PALETTE_WIDTH = 12  # "▏^p palette" and a cell of room


@dataclass(frozen=True)
class FooterEntry:
    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str

    @property
    def width(self) -> int:
        """Cells in the compact footer: key, a space, description, the gap after it (a Chinese
        character takes two cells)."""
        return cell_len(self.display) + 1 + cell_len(self.description) + 1


def footer_entries(widget: Widget) -> list[FooterEntry]:
    """What the footer would show, in order, before fitting: help first, one entry per action
    (or per group), only bindings with ``show=True`` (help is always there). Descriptions are
    marked ``N_`` where the bindings are declared and translated here, when shown."""
    app = widget.app
    entries: list[FooterEntry] = []
    seen: set[str] = set()
    groups: dict[str, list[str]] = {}
    group_of: dict[str, str] = {}  # action -> its group's (untranslated) description
    help_entry: FooterEntry | None = None
    for key, active in widget.screen.active_bindings.items():
        binding = active.binding
        if binding.action in HELP_ACTIONS:
            if help_entry is None:
                help_entry = FooterEntry(
                    key, app.get_key_display(binding), _(binding.description or N_("Keys")), binding.action, True, ""
                )
            continue
        if not binding.show or not binding.description or binding.action in seen:
            continue
        if key == app.COMMAND_PALETTE_BINDING:
            continue
        seen.add(binding.action)
        group = binding.group
        if group is not None:
            displays = groups.setdefault(group.description, [])
            displays.append(app.get_key_display(binding))
            if len(displays) > 1:
                continue
            group_of[binding.action] = group.description
            entries.append(
                FooterEntry(key, "", _(group.description), binding.action, active.enabled, _(binding.description))
            )
            continue
        entries.append(
            FooterEntry(
                key,
                app.get_key_display(binding),
                _(binding.description),
                binding.action,
                active.enabled,
                _(active.tooltip) if active.tooltip else "",
            )
        )
    entries = [
        FooterEntry(e.key, "/".join(groups[group_of[e.action]]), e.description, e.action, e.enabled, e.tooltip)
        if e.display == "" and e.action in group_of
        else e
        for e in entries
    ]
    return ([help_entry] if help_entry else []) + entries


def fitting(entries: list[FooterEntry], width: int) -> list[FooterEntry]:
    """The entries that fit whole in ``width`` cells, in order (the first that does not fit ends it)."""
    room = width - PALETTE_WIDTH
    shown: list[FooterEntry] = []
    for entry in entries:
        if entry.width > room:
            break
        shown.append(entry)
        room -= entry.width
    return shown


class KeysFooter(Footer):
    """A compact footer that never cuts a word; see the module's docstring.

    Textual's footer recomposes (removes its key widgets, mounts and styles new ones) whenever the
    screen's bindings change, which is on every focus change (every Enter or Esc of a filter box:
    the largest part of those keys' cost in the profiles of issue 20). This one works out the
    entries it would show and, when they differ from those shown, relabels its key widgets in
    place (a repaint of the changed keys), hides the ones no longer needed and shows them again
    later (a widget is mounted only when the footer shows more keys than ever before); when
    nothing differs it does nothing.
    """

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._fitted_width = 0
        self._shown: tuple[FooterEntry, ...] | None = None  # the entries the key widgets show now
        self._palette: FooterEntry | None = None
        self.recomposes = 0  # for tests: full recomposes (the first one included)

    def _palette_entry(self) -> FooterEntry | None:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        active = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if active is None:
            return None
        binding = active.binding
        return FooterEntry(
            binding.key,
            self.app.get_key_display(binding),
            _(binding.description),
            binding.action,
            active.enabled,
            _(binding.tooltip or binding.description),
        )

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self.recomposes += 1
        width = self.size.width or self.app.size.width
        self._fitted_width = width
        shown = fitting(footer_entries(self), width)
        self._shown = tuple(shown)
        yield from (self._key(entry) for entry in shown)
        self._palette = palette = self._palette_entry()
        if palette is not None:
            yield FooterKey(
                palette.key,
                palette.display,
                palette.description,
                palette.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=palette.tooltip,
            )

    def _key(self, entry: FooterEntry, *, bind: bool = True) -> FooterKey:
        key = FooterKey(
            entry.key,
            entry.display,
            entry.description,
            entry.action,
            disabled=not entry.enabled,
            tooltip=entry.tooltip,
        )
        if bind:  # in compose (data_bind needs the footer as the active message pump)
            return key.data_bind(compact=Footer.compact)
        key.compact = self.compact  # mounted later: this footer's compact never changes after compose
        return key

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.update_keys)

    async def update_keys(self) -> None:
        """Show the screen's current keys: in place when the footer has been composed with keys."""
        if not self.is_attached or not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        if self._shown is None or width != self._fitted_width or self._palette_entry() != self._palette:
            await self.recompose()
            return
        shown = tuple(fitting(footer_entries(self), width))
        if shown == self._shown:
            return
        # Every key widget this footer has, shown or hidden: a widget no longer needed is hidden,
        # not removed, so the next focus change shows it again instead of mounting a new one.
        keys = [key for key in self.query_children(FooterKey) if not key.has_class("-command-palette")]
        if len(keys) < len(self._shown):  # not what this footer composed: start over
            await self.recompose()
            return
        for index, (key, new) in enumerate(zip(keys, shown, strict=False)):
            old = self._shown[index] if index < len(self._shown) else None
            if old != new:
                _relabel(key, new, resized=old is None or old.width != new.width)
            if not key.display:
                key.display = True
        for key in keys[len(shown) :]:
            if key.display:
                key.display = False
        if len(shown) > len(keys):
            palette = self.query_children(".-command-palette")
            new_keys = [self._key(entry, bind=False) for entry in shown[len(keys) :]]
            if palette:
                self.mount_all(new_keys, before=palette.first())
            else:
                self.mount_all(new_keys)
        self._shown = shown

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready and event.size.width != self._fitted_width:
            self.call_after_refresh(self.recompose)


def _relabel(key: FooterKey, entry: FooterEntry, *, resized: bool) -> None:
    """Make a mounted key widget show ``entry`` (what ``FooterKey.__init__`` sets, set again)."""
    key.key = entry.key
    key.key_display = entry.display
    key.description = entry.description
    key.action = entry.action
    key._disabled = not entry.enabled  # FooterKey keeps it for its mouse handler
    key.set_class(not entry.enabled, "-disabled")
    key.tooltip = entry.tooltip or None
    key.refresh(layout=resized)
