"""Input checking shared by the CTO bank modules.

Every bad value raises :class:`CtoInputError` (a ``ValueError``) whose message starts with the
path of the offending field (``events[3].approved_minutes``), so ``zk-replay bank`` and the
Odoo addon can show it as is (engine-rules.md Part G: "a clear error naming the field").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zk_rules.inputs import Checks, FieldError


class CtoInputError(FieldError):
    """A CTO bank input that does not follow Part C / Part G2; the message names the field."""


_checks = Checks(CtoInputError)
require_mapping = _checks.mapping
require_list = _checks.list
require_int = _checks.int
require_date = _checks.date
require_ref = _checks.ref


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
