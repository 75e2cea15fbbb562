"""Words people read for the bank's keys and reasons (display only: the stored keys and
reasons stay as the bank wrote them, the hash chain covers them)."""

import re
from datetime import date

from zk_rules.cto import OPENING_REF

KIND_LABELS = {"workday": "workday", "rest_day": "rest day", "holiday": "holiday"}
# "ot:<employee>:<work date>:<kind>:v<version>[.<attempt>]" (zk_overtime_line._cto_ref)
OVERTIME_REF = re.compile(r"^ot:\d+:(\d{4}-\d{2}-\d{2}):([a-z_]+):v\d+(?:\.\d+)?$")
LEAVE_REF = re.compile(r"^leave:(\d+)$")
# Rule ids of the specifications ("C8 expiry", "(C9.1)", "E9.3 day recomputed: ...").
SPEC_CODE = re.compile(r"\s*\((?:[A-Z]\d+(?:\.\d+)*)(?:,\s*[A-Z]\d+(?:\.\d+)*)*\)"
                       r"|^(?:[A-Z]\d+(?:\.\d+)*:?\s+)")


def short_day(day):
    """28 Nov (the year is in the row's date)."""
    return f"{day.day} {day.strftime('%b')}"


def overtime_label(ref):
    """'Overtime 28 Nov, rest day' for an overtime credit key; None for other keys."""
    match = OVERTIME_REF.match(ref or "")
    if not match:
        return None
    day = date.fromisoformat(match.group(1))
    kind = KIND_LABELS.get(match.group(2), match.group(2).replace("_", " "))
    return f"Overtime {short_day(day)}, {kind}"


def is_opening(ref):
    """True for the ref of a balance migrated from a previous system (shown as "Opening
    balance", never as the key)."""
    return ref == OPENING_REF


def leave_id(ref):
    match = LEAVE_REF.match(ref or "")
    return int(match.group(1)) if match else None


def without_spec_codes(text):
    """'C8 expiry' -> 'Expiry'; '... blocks of 240 minutes per day (C9.1).' -> '... day.'"""
    if not text:
        return text
    cleaned = SPEC_CODE.sub("", text).strip()
    return cleaned[:1].upper() + cleaned[1:] if cleaned else cleaned


def hours_text(minutes):
    """Minutes as h:mm, as float_time shows them."""
    sign = "-" if (minutes or 0) < 0 else ""
    whole, rest = divmod(abs(int(minutes or 0)), 60)
    return f"{sign}{whole}:{rest:02d}"
