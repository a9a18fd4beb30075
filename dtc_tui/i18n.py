"""The language the app and the CLI speak: English or Simplified Chinese, with standard gettext.

Chosen once per process, before the command and screen modules are imported (their help texts and
key descriptions are read at import): the ``language`` setting (``dtc-tui.toml`` or
``DTC_TUI_LANGUAGE``), else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
``zh_CN.UTF-8`` -> ``zh-CN``), else English. Machine output (``--json``, ``--csv``, exit codes,
setting keys, binding ids) never goes through here.

Catalogs: ``dtc_tui/locale/<ll_CC>/LC_MESSAGES/dtc_tui.po``, compiled to ``.mo`` beside it and
shipped in the package. Adding a language and updating catalogs: docs/language.md.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DOMAIN = "dtc_tui"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
# Language tag (what settings and the palette show) -> gettext catalog directory name.
SUPPORTED: dict[str, str] = {"en": "en", "zh-CN": "zh_CN"}
NAMES: dict[str, str] = {"en": "English", "zh-CN": "简体中文"}
# Babel locale used for numbers, money and dates in each language.
BABEL_LOCALES: dict[str, str] = {"en": "en_US", "zh-CN": "zh_Hans_CN"}

_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = DEFAULT
_saved_language_variable: str | None = None  # LANGUAGE as it was before a catalog language set it


class UnknownLanguage(ValueError):
    pass


def normalise(tag: str) -> str | None:
    """``zh_CN.UTF-8``, ``zh-cn``, ``zh-Hans``, ``zh`` -> ``zh-CN``; ``en_GB`` -> ``en``; else None."""
    text = tag.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if not text or text in ("c", "posix"):
        return None
    if text in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg"):
        return "zh-CN"
    if text.split("-")[0] == "en":
        return "en"
    return None


def from_locale(environ: Mapping[str, str]) -> str:
    """The language the user's locale asks for (the first locale variable set wins, like libc)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return normalise(value) or DEFAULT
    return DEFAULT


def resolve(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: an explicit setting (checked), else the locale's."""
    environ = os.environ if environ is None else environ
    if setting.strip():
        language = normalise(setting)
        if language is None:
            raise UnknownLanguage(f"unknown language {setting!r}: use one of {', '.join(SUPPORTED)}")
        return language
    return from_locale(environ)


def activate(language: str) -> None:
    """Speak ``language`` from now on (a supported tag; English needs no catalog)."""
    global _translation, _current
    if language not in SUPPORTED:
        raise UnknownLanguage(f"unknown language {language!r}: use one of {', '.join(SUPPORTED)}")
    if language == DEFAULT:
        _translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[SUPPORTED[language]], fallback=True)
    _current = language
    _route_library_messages(language)


def _route_library_messages(language: str) -> None:
    """Click (and argparse) translate their own words ("Usage:", "Options:", "Error:") with the
    standard library's global gettext: point it at this catalog, which carries them too."""
    global _saved_language_variable
    if language == DEFAULT:
        gettext.textdomain("messages")
        if _saved_language_variable is not None:  # undo what an earlier activation set
            os.environ.pop("LANGUAGE", None)
            if _saved_language_variable:
                os.environ["LANGUAGE"] = _saved_language_variable
            _saved_language_variable = None
        return
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    # The global gettext picks its language from these variables; LANGUAGE outranks the rest.
    if _saved_language_variable is None:
        _saved_language_variable = os.environ.get("LANGUAGE", "")
    os.environ["LANGUAGE"] = SUPPORTED[language]


def current() -> str:
    return _current


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak ``language`` inside the block, then the language spoken before (tests, machine output)."""
    before = _current
    activate(language)
    try:
        yield
    finally:
        activate(before)


def babel_locale() -> str:
    return BABEL_LOCALES[_current]


class ContextualMessage(str):
    """An English text that means different things in different places ("Open" as a verb on a key,
    "Open" as the quantity not yet received): it carries its gettext context to ``_``."""

    context: str


def NC_(context: str, message: str) -> str:
    """Like ``N_``, with a gettext context (``msgctxt``) that tells the translator which meaning."""
    marked = ContextualMessage(message)
    marked.context = context
    return marked


def pgettext(context: str, message: str) -> str:
    """The message in the active language, for the meaning ``context`` names."""
    return _translation.pgettext(context, message)


def _(message: str) -> str:
    """The message in the active language (the English text when it has no translation yet)."""
    if isinstance(message, ContextualMessage):
        return _translation.pgettext(message.context, message)
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translation.ngettext(singular, plural, count)


def translate_commands(group: Any) -> None:
    """Put the active language into a click command tree: help texts, short helps and option
    helps (click reads them from docstrings and decorators at import, in English). The English
    texts are kept on each object, so translating again (another language in the same process,
    a test) starts from them, never from a translation."""
    for command in _walk(group):
        for obj, name in _help_fields(command):
            english = _english(obj, name)
            if english:
                setattr(obj, name, _(english))


def _help_fields(command: Any) -> Iterator[tuple[Any, str]]:
    yield command, "help"
    yield command, "short_help"
    for param in command.params:
        if hasattr(param, "help"):
            yield param, "help"


def _english(obj: Any, name: str) -> str | None:
    """The text ``obj.name`` was declared with (remembered the first time it is asked for)."""
    originals: dict[str, str | None] = obj.__dict__.setdefault("_dtc_english_help", {})
    if name not in originals:
        originals[name] = getattr(obj, name)
    return originals[name]


def _walk(command: Any, *, load: bool = False) -> Iterator[Any]:
    """The command and its subcommands; ``load``: those not imported yet too (the main group
    imports a command's module when it is first used, translating it then)."""
    yield command
    load_all = getattr(command, "load_all", None)
    if load and load_all is not None:
        load_all()
    for child in list(getattr(command, "commands", {}).values()):
        yield from _walk(child, load=load)


def command_messages(group: Any) -> list[str]:
    """Every help text of a click command tree, in order (for the catalog)."""
    found: dict[str, None] = {}
    for command in _walk(group, load=True):
        for obj, name in _help_fields(command):
            text = _english(obj, name)
            if text:
                found[text] = None
    return list(found)


def N_(message: str) -> str:
    """Marks a message for extraction where it must stay English until shown (translate with ``_``)."""
    return message


# Click's own words, translated through this catalog (see ``_route_library_messages``); listed
# here so that extraction keeps them in the catalog.
LIBRARY_MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("{value!r} is not a valid {number_type}."),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("Aborted!"),
)
