"""Configuration: defaults < TOML file < ZK_RELAY_* environment < command-line flags.

The result is a frozen :class:`Config`; every value is validated once, at start, and a bad value
stops the relay with a message naming the key and where it came from.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


# private (RFC 1918, RFC 4193 unique-local), link-local and loopback addresses
DEFAULT_ADMS_ALLOW: tuple[str, ...] = (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8",
    "fc00::/7", "fe80::/10", "::1/128",
)


@dataclass(frozen=True, slots=True)
class Config:
    # [server]
    host: str = "0.0.0.0"  # noqa: S104 - device-facing service; terminals are on the LAN
    port: int = 8080
    threads: int = 16
    max_body_bytes: int = 16 * 1024 * 1024
    # [store]
    data_dir: str = "./data"
    db_file: str = "relay.sqlite3"
    busy_timeout_ms: int = 10_000
    retention_days: int = 90
    retention_interval_seconds: float = 3600.0
    # [adms]  (values of the handshake option block, adms-protocol.md §4.1, §11)
    delay: int = 10
    error_delay: int = 30
    trans_interval: int = 1
    trans_times: str = "00:00;14:05"
    trans_flag: str = "TransData AttLog\tOpLog\tEnrollUser\tChgUser"
    realtime: bool = True
    server_ver: str = "2.4.1"
    push_prot_ver: str = "2.4.1"
    server_name: str = "zk-relay"
    # addresses allowed to speak ADMS (CIDRs); others get 403, never OK
    adms_allow: tuple[str, ...] = DEFAULT_ADMS_ALLOW
    # PUSH 3.x ``Cookie: token=`` (§4.10): "enforce" refuses a missing or wrong token,
    # "warn" serves it and logs a warning (for firmware that computes it wrongly)
    push3_session_check: str = "enforce"
    # unknown serials (§8): at most this many pending rows (the least recently seen is dropped)
    # and at most this many knocks of unknown serials per source address and minute
    pending_max: int = 100
    knocks_per_minute: int = 30
    # a command handed to a terminal (state "sent") without a result after this many seconds
    # is re-queued once (kinds safe to repeat) or marked "timed_out"
    command_timeout_seconds: float = 900.0
    # [poll]  (terminals registered with an address, polled with pyzk)
    poll_interval_seconds: float = 300.0
    poll_backoff_base_seconds: float = 10.0
    poll_backoff_cap_seconds: float = 1800.0
    poll_timeout_seconds: float = 15.0
    poll_concurrency: int = 4  # terminals polled at the same time (one hung terminal waits alone)
    # fingerprint templates enrolled at a polled terminal are read back at most this often
    # (with a biometric key; a full table read, so not on every poll); 0: never
    poll_templates_interval_seconds: float = 900.0
    # [odoo]  (push mode: the deliverer that sends signed pages to Odoo, issue 10)
    push_page_size: int = 500
    push_interval_seconds: float = 2.0
    push_backoff_base_seconds: float = 5.0
    push_backoff_cap_seconds: float = 600.0
    push_timeout_seconds: float = 30.0
    # [recon]  (reconciliation per terminal and day, health, clock repair: issue 17)
    recon_schedule: bool = True  # re-read closed days on a schedule (on demand works always)
    recon_window: str = "01:00-05:00"  # terminal-local hours for scheduled queries
    recon_lookback_days: int = 7  # unconfirmed days this far back are asked again each night
    recon_answer_timeout_seconds: float = 900.0  # no acknowledgement by then: not answered
    recon_settle_seconds: float = 30.0  # uploads still counted after the acknowledgement
    recon_concurrency: int = 2  # terminals re-uploading a day at the same time
    offline_after_seconds: float = 600.0  # not seen for this long: the terminal is offline
    health_interval_seconds: float = 60.0  # health recomputed, schedule looked at, this often
    clock_repair_after_seconds: float = 120.0  # drift that triggers a repair (0: never)
    # [biometric]  (templates and punch photos, issue 19; README "Biometric data")
    biometric_key: str = field(default="", repr=False)  # 32 bytes, urlsafe base64; "" = off
    biometric_key_file: str = ""  # a file holding the key (instead of biometric_key)
    biometric_retention_days: int = 30  # templates Odoo took are deleted this long after
    photo_retention_days: int = 90  # punch photos are deleted this long after arriving

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / self.db_file


# key -> (TOML section, env var, parser)
def _int_in(lo: int, hi: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"must be an integer, got {value!r}")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError(f"must be an integer, got {value!r}") from None
        if not isinstance(value, int):
            raise ValueError(f"must be an integer, got {value!r}")
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _float_in(lo: float, hi: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number, got {value!r}") from None
        if not lo <= number <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {number}")
        return number

    return parse


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def _text(*, allow_empty: bool = False, single_line: bool = True) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {value!r}")
        if not allow_empty and not value.strip():
            raise ValueError("must not be empty")
        if single_line and ("\n" in value or "\r" in value):
            raise ValueError("must be a single line")
        return value

    return parse


def _trans_times(value: Any) -> str:
    text = _text()(value)
    parts = text.split(";")
    if len(parts) > 10:
        raise ValueError("at most 10 times (HH:MM;HH:MM;...)")
    for part in parts:
        hh, _, mm = part.partition(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError(f"must be HH:MM separated by ';', got {text!r}")
    return text


def _hour_window(value: Any) -> str:
    """``HH:MM-HH:MM`` (terminal-local; may cross midnight; ``00:00-24:00`` is all day)."""
    text = _text()(value).strip()
    start, sep, end = text.partition("-")
    for part in (start, end):
        hh, colon, mm = part.partition(":")
        if not (sep and colon and hh.isdigit() and mm.isdigit() and int(mm) < 60
                and (int(hh) < 24 or (part is end and part == "24:00"))):
            raise ValueError(f"must be HH:MM-HH:MM, e.g. 01:00-05:00, got {text!r}")
    if start == end:
        raise ValueError(f"start and end are the same ({text!r}): use 00:00-24:00 for all day")
    return text


def _version(value: Any) -> str:
    text = _text()(value)
    if not all(p.isdigit() for p in text.split(".")):
        raise ValueError(f"must look like 2.4.1, got {text!r}")
    return text


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text()(value).strip().lower()
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return text

    return parse


def _cidrs(value: Any) -> tuple[str, ...]:
    """A TOML list of CIDRs, or (environment) one string separated by commas/spaces."""
    if isinstance(value, str):
        items = [v for v in value.replace(",", " ").split() if v]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValueError(f"must be a list of CIDRs, got {value!r}")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"must be a list of CIDR strings, got {item!r}")
        try:
            out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP network (e.g. 192.168.1.0/24)") from None
    return tuple(out)


_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "host": ("server", _text()),
    "port": ("server", _int_in(0, 65535)),
    "threads": ("server", _int_in(1, 512)),
    "max_body_bytes": ("server", _int_in(1024, 1024 * 1024 * 1024)),
    "data_dir": ("store", _text()),
    "db_file": ("store", _text()),
    "busy_timeout_ms": ("store", _int_in(0, 600_000)),
    "retention_days": ("store", _int_in(0, 36500)),
    "retention_interval_seconds": ("store", _float_in(0.05, 7 * 86400)),
    "delay": ("adms", _int_in(1, 3600)),
    "error_delay": ("adms", _int_in(1, 3600)),
    "trans_interval": ("adms", _int_in(0, 1440)),
    "trans_times": ("adms", _trans_times),
    "trans_flag": ("adms", _text()),
    "realtime": ("adms", _bool),
    "server_ver": ("adms", _version),
    "push_prot_ver": ("adms", _version),
    "server_name": ("adms", _text()),
    "adms_allow": ("adms", _cidrs),
    "push3_session_check": ("adms", _choice("enforce", "warn")),
    "pending_max": ("adms", _int_in(1, 100_000)),
    "knocks_per_minute": ("adms", _int_in(1, 100_000)),
    "command_timeout_seconds": ("adms", _float_in(0.05, 7 * 86400)),
    "poll_interval_seconds": ("poll", _float_in(0.05, 7 * 86400)),
    "poll_backoff_base_seconds": ("poll", _float_in(0.01, 86400)),
    "poll_backoff_cap_seconds": ("poll", _float_in(0.01, 7 * 86400)),
    "poll_timeout_seconds": ("poll", _float_in(0.1, 600)),
    "poll_concurrency": ("poll", _int_in(1, 64)),
    "poll_templates_interval_seconds": ("poll", _float_in(0, 7 * 86400)),
    "push_page_size": ("odoo", _int_in(1, 5000)),
    "push_interval_seconds": ("odoo", _float_in(0.01, 3600)),
    "push_backoff_base_seconds": ("odoo", _float_in(0.01, 86400)),
    "push_backoff_cap_seconds": ("odoo", _float_in(0.01, 7 * 86400)),
    "push_timeout_seconds": ("odoo", _float_in(0.1, 600)),
    "recon_schedule": ("recon", _bool),
    "recon_window": ("recon", _hour_window),
    "recon_lookback_days": ("recon", _int_in(1, 60)),
    "recon_answer_timeout_seconds": ("recon", _float_in(0.05, 7 * 86400)),
    "recon_settle_seconds": ("recon", _float_in(0, 3600)),
    "recon_concurrency": ("recon", _int_in(1, 64)),
    "offline_after_seconds": ("recon", _float_in(1, 7 * 86400)),
    "health_interval_seconds": ("recon", _float_in(0.05, 86400)),
    "clock_repair_after_seconds": ("recon", _float_in(0, 86400)),
    "biometric_key": ("biometric", _text(allow_empty=True)),
    "biometric_key_file": ("biometric", _text(allow_empty=True)),
    "biometric_retention_days": ("biometric", _int_in(0, 36500)),
    "photo_retention_days": ("biometric", _int_in(0, 36500)),
}
SECTIONS = ("server", "store", "adms", "poll", "odoo", "recon", "biometric")
assert set(_KEYS) == {f.name for f in fields(Config)}

ENV_PREFIX = "ZK_RELAY_"


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def _apply(values: dict[str, Any], key: str, raw: Any, origin: str) -> None:
    _section, parse = _KEYS[key]
    try:
        values[key] = parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc} (from {origin})") from None


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the configuration; raise :class:`ConfigError` with a readable message."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = env[ENV_PREFIX + "CONFIG"]
    if path is not None:
        file = Path(path)
        try:
            document = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file not found: {file}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read configuration file {file}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {file} is not valid TOML: {exc}") from None
        for section, table in document.items():
            if not isinstance(table, dict) or section not in SECTIONS:
                raise ConfigError(f"{file}: unknown section [{section}] (expected "
                                  + ", ".join(f"[{s}]" for s in SECTIONS) + ")")
            for key, raw in table.items():
                if key not in _KEYS or _KEYS[key][0] != section:
                    raise ConfigError(f"{file}: unknown key {key!r} in [{section}]")
                _apply(values, key, raw, f"{file} [{section}]")
    for key in _KEYS:
        name = env_name(key)
        if name in env:
            _apply(values, key, env[name], f"environment {name}")
    for key, raw in (overrides or {}).items():
        if raw is not None:
            _apply(values, key, raw, "command line")
    config = replace(Config(), **values)
    if config.poll_backoff_cap_seconds < config.poll_backoff_base_seconds:
        raise ConfigError("poll_backoff_cap_seconds: must not be below"
                          " poll_backoff_base_seconds")
    if config.push_backoff_cap_seconds < config.push_backoff_base_seconds:
        raise ConfigError("push_backoff_cap_seconds: must not be below"
                          " push_backoff_base_seconds")
    return config


def describe_keys() -> list[tuple[str, str, str, Any]]:
    """(section, key, env var, default) for every key: used by the README and `config` command."""
    default = Config()
    return [(section, key, env_name(key), getattr(default, key)) for key, (section, _) in
            _KEYS.items()]
