"""Field checks shared by the rule modules' input parsers (CTO bank, payroll layout).

Each rule set raises its own ValueError subclass (so callers can tell them apart) whose message
starts with the field path; `Checks(error)` binds the common checks to that class.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class FieldError(ValueError):
    """An input that breaks its documented shape; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Checks:
    """The common field checks, raising `error(field, problem)`."""

    def __init__(self, error: type[FieldError]) -> None:
        self.error = error

    def mapping(self, value: Any, field: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(field, f"must be an object, got {type(value).__name__}")
        return value

    def list(self, value: Any, field: str) -> Sequence[Any]:
        if not isinstance(value, list | tuple):
            raise self.error(field, f"must be a list, got {type(value).__name__}")
        return value

    def int(self, value: Any, field: str, *, minimum: int | None = 0) -> int:
        """Whole minutes: booleans and floats are refused (every measure is an integer)."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, f"must be an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(field, f"must be >= {minimum}, got {value}")
        return value

    def date(self, value: Any, field: str) -> date:
        """``YYYY-MM-DD`` text or a :class:`datetime.date` (a datetime is refused)."""
        if type(value) is date:
            return value
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(field, f"must be a date YYYY-MM-DD, got {value!r}")

    def ref(self, value: Any, field: str) -> str | int:
        """A reference: non-empty text or an integer, kept as given."""
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.error(field, f"must be a non-empty string or an integer, got {value!r}")
