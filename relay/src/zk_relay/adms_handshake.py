"""ADMS answers (§4.1, §7): the terminal's zone and TimeZone option, the handshake option
block. Plain formatting, no I/O (shared/docs/adms-protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# --------------------------------------------------------------------------- time zone (§7)


def zone(name: str) -> ZoneInfo:
    """The IANA zone; ValueError with a clear message if the name is not one."""
    if not isinstance(name, str) or not name or name != name.strip() or ".." in name:
        raise ValueError(f"not an IANA time zone name: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. Europe/Paris, Asia/Manila)")\
            from None


def timezone_option(zone_name: str, at: datetime) -> str:
    """TimeZone option: the zone's current UTC offset in hours if whole, else minutes (§7, §11).

    ``at`` must be an aware datetime (normally now).
    """
    offset = at.astimezone(zone(zone_name)).utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    return str(minutes // 60) if minutes % 60 == 0 else str(minutes)


# --------------------------------------------------------------------------- responses (§4.1)


@dataclass(frozen=True, slots=True)
class Stamps:
    attlog: str | None = None
    operlog: str | None = None
    attphoto: str | None = None
    biodata: str | None = None


def option_block(serial: str, stamps: Stamps, timezone: str, *, delay: int, error_delay: int,
                 trans_times: str, trans_interval: int, trans_flag: str, realtime: bool,
                 server_ver: str, push_prot_ver: str) -> str:
    """Handshake answer: both stamp spellings, exact-case keys, per-device TimeZone (§4.1, §11)."""

    def s(value: str | None) -> str:
        return value if value else "None"

    lines = [
        f"GET OPTION FROM: {serial}",
        f"ATTLOGStamp={s(stamps.attlog)}",
        f"OPERLOGStamp={s(stamps.operlog)}",
        f"ATTPHOTOStamp={s(stamps.attphoto)}",
        f"BIODATAStamp={s(stamps.biodata)}",
        f"Stamp={s(stamps.attlog)}",
        f"OpStamp={s(stamps.operlog)}",
        f"PhotoStamp={s(stamps.attphoto)}",
        f"ErrorDelay={error_delay}",
        f"Delay={delay}",
        f"TransTimes={trans_times}",
        f"TransInterval={trans_interval}",
        f"TransFlag={trans_flag}",
        f"TimeZone={timezone}",
        f"Realtime={1 if realtime else 0}",
        "Encrypt=None",
        f"ServerVer={server_ver}",
        f"PushProtVer={push_prot_ver}",
        "PushOptionsFlag=1",
    ]
    return "\n".join(lines) + "\n"
