"""Input checking shared by the CTO bank modules.

Every bad value raises :class:`CtoInputError` (a ``ValueError``) whose message starts with the
path of the offending field (``events[3].approved_minutes``), so ``zk-replay bank`` and the
Odoo addon can show it as is (engine-rules.md Part G: "a clear error naming the field").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CtoInputError(ValueError):
    """A CTO bank input that does not follow Part C / Part G2; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def require_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CtoInputError(field, f"must be an object, got {type(value).__name__}")
    return value


def require_list(value: Any, field: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise CtoInputError(field, f"must be a list, got {type(value).__name__}")
    return value


def require_int(value: Any, field: str, *, minimum: int | None = 0) -> int:
    """An integer number of minutes (booleans and floats are refused: C units are integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CtoInputError(field, f"must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise CtoInputError(field, f"must be >= {minimum}, got {value}")
    return value


def require_date(value: Any, field: str) -> date:
    """A calendar date, ``YYYY-MM-DD`` text or a :class:`datetime.date` (not a datetime)."""
    if isinstance(value, date) and type(value) is date:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CtoInputError(field, f"must be a date YYYY-MM-DD, got {value!r}")


def require_ref(value: Any, field: str) -> str | int:
    """A reference (overtime line, request, lot): non-empty text or an integer, kept as given."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise CtoInputError(field, f"must be a non-empty string or an integer, got {value!r}")


def optional_text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise CtoInputError(field, f"must be text or null, got {value!r}")


def reject_unknown_keys(value: Mapping[str, Any], allowed: Sequence[str], field: str) -> None:
    """Refuse keys a document may not carry: a misspelt key would silently take a default."""
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        where = f"{field}.{unknown[0]}" if field else unknown[0]
        raise CtoInputError(where, f"unknown key (allowed: {', '.join(allowed)})")
