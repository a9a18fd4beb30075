"""One typed settings object: defaults < TOML file < DTC_TUI_* environment < command line.

The file is ``dtc-tui.toml`` in the working directory, else ``config.toml`` in the user's
config directory, else the file named by ``DTC_TUI_CONFIG``. ``dtc-tui config show`` prints
every value with the place it came from.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

APP_NAME = "dtc-tui"
ENV_PREFIX = "DTC_TUI_"


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def user_config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def _default_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still need a name for the audit log
        return "operator"


@dataclass
class Settings:
    database_url: str = ""
    demo_database_url: str = ""
    operator: str = field(default_factory=_default_operator)
    theme: str = "textual-dark"
    language: str = ""  # "en" or "zh-CN"; empty: from the locale (LANG=zh_CN.UTF-8 -> zh-CN), see i18n.py
    glyphs: str = "auto"  # state glyphs: auto (ASCII on the Linux console, TERM=linux) | unicode | ascii
    tick_seconds: float = 1.0
    sync_seconds: float = 1.0
    default_escalation_owner: str = ""
    keymap: dict[str, str] = field(default_factory=dict)
    # The [mail] table, kept as written; services/mail/settings.py reads and checks it.
    mail: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def resolved_database_url(self) -> str:
        return self.database_url or path_to_url(user_data_dir() / "dtc.db")

    def resolved_demo_database_url(self) -> str:
        return self.demo_database_url or path_to_url(user_data_dir() / "demo.db")


_SETTING_NAMES = [f.name for f in fields(Settings) if f.name != "sources"]


def path_to_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def normalise_db_argument(value: str) -> str:
    """``--db`` takes a SQLAlchemy URL or a plain file path."""
    if "://" in value:
        return value
    return path_to_url(value)


def config_file_candidates(cwd: Path | None = None) -> list[Path]:
    env_file = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if env_file:
        return [Path(env_file)]
    cwd = cwd or Path.cwd()
    return [cwd / "dtc-tui.toml", user_config_dir() / "config.toml"]


class ConfigError(Exception):
    pass


def _coerce(name: str, raw: Any) -> Any:
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"setting {name!r}: {raw!r} is not a number") from exc
    if isinstance(default, dict):
        if not isinstance(raw, dict):
            raise ConfigError(f"setting {name!r} must be a table")
        if name == "mail":
            return dict(raw)
        return {str(k): str(v) for k, v in raw.items()}
    return str(raw)


def load_settings(cwd: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ) if environ is None else environ
    settings = Settings()
    sources = {name: "default" for name in _SETTING_NAMES}
    for candidate in config_file_candidates(cwd):
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{candidate}: {exc}") from exc
            for key, raw in data.items():
                if key not in _SETTING_NAMES:
                    raise ConfigError(f"{candidate}: unknown setting {key!r}")
                setattr(settings, key, _coerce(key, raw))
                sources[key] = str(candidate)
            break
    for name in _SETTING_NAMES:
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if env_name in environ and name not in ("keymap", "mail"):
            setattr(settings, name, _coerce(name, environ[env_name]))
            sources[name] = f"env {env_name}"
    settings.sources = sources
    return settings


def settings_file(cwd: Path | None = None) -> Path:
    """The file ``load_settings`` reads (the first candidate that exists), else the user's
    ``config.toml`` (or the ``DTC_TUI_CONFIG`` file): where a setting chosen in the app is saved."""
    candidates = config_file_candidates(cwd)
    return next((path for path in candidates if path.is_file()), candidates[-1])


def save_setting(name: str, value: str, cwd: Path | None = None) -> Path:
    """Write one top-level string setting (``language = "zh-CN"``) into the settings file, keeping
    every other line as it is; returns the file written."""
    if name not in _SETTING_NAMES:
        raise ConfigError(f"unknown setting {name!r}")
    path = settings_file(cwd)
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    new_line = f'{name} = "{escaped}"'
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    for index in range(first_table):
        key = lines[index].split("=", 1)[0].strip()
        if "=" in lines[index] and key == name:
            lines[index] = new_line
            break
    else:
        lines.insert(first_table, new_line)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never leave a file the next start cannot read
    path.write_text(text, encoding="utf-8")
    return path
