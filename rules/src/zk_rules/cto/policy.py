"""CTO bank policy: the per-company parameters of Part C, their defaults and validation.

Rates, caps, validity and usage blocks vary by jurisdiction (engine-rules.md A1, "Takeaway"), so
they are parameters; the defaults follow the CSC rules (Part C, Part E): rates 1.0/1.5/1.5,
monthly cap 2400 min (C4), balance cap 7200 min (C5), 12-month rolling validity (C7), 4 h / 8 h
blocks and 5 days per request (C9). Over-cap and separation minutes are forfeited (C6, C12).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from zk_rules.cto.inputs import (
    CtoInputError,
    reject_unknown_keys,
    require_int,
    require_list,
    require_mapping,
)

KINDS = ("workday", "rest_day", "holiday")
EXPIRY_MODES = ("rolling_months", "end_of_following_year", "none")
DISPOSITIONS = ("forfeit", "payout")

DEFAULT_RATES = MappingProxyType({"workday": "1.0", "rest_day": "1.5", "holiday": "1.5"})
DEFAULT_MONTHLY_CAP_MINUTES = 2400
DEFAULT_BALANCE_CAP_MINUTES = 7200
DEFAULT_EXPIRY_MONTHS = 12
DEFAULT_DAY_BLOCKS_MINUTES = (240, 480)
DEFAULT_MAX_DAYS_PER_REQUEST = 5

POLICY_KEYS = (
    "rates",
    "monthly_cap_minutes",
    "balance_cap_minutes",
    "expiry",
    "allowed_day_blocks_minutes",
    "max_days_per_request",
    "cap_overflow",
    "separation",
)


def parse_rate(value: Any, field_name: str) -> tuple[Fraction, str]:
    """Exact rate from its decimal text (C2): ``1.5`` is 3/2, never 1.4999…; -> (rate, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise CtoInputError(field_name, f"must be a decimal number, got {value!r}")
    # repr() of a float is its shortest round-tripping decimal text: 1.5 -> "1.5".
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        exact = Decimal(text)
    except InvalidOperation:
        raise CtoInputError(field_name, f"must be a decimal number, got {value!r}") from None
    if not exact.is_finite() or exact < 0:
        raise CtoInputError(field_name, f"must be a finite number >= 0, got {value!r}")
    return Fraction(exact), text


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, the day clamped to the end of the month (C7)."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month_index + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Expiry:
    """How long a lot stays valid (C7): ``rolling_months`` (default 12), CSC JC 2-A, or none."""

    mode: str = "rolling_months"
    months: int = DEFAULT_EXPIRY_MONTHS

    def valid_until(self, earned_date: date) -> date | None:
        """Last day a lot earned on ``earned_date`` may be used; None = never expires (C7)."""
        if self.mode == "rolling_months":
            # C7 example: earned 2024-03-15, 12 months -> 2025-03-15 - 1 day = 2025-03-14.
            return add_months(earned_date, self.months) - timedelta(days=1)
        if self.mode == "end_of_following_year":
            return date(earned_date.year + 1, 12, 31)
        return None

    @classmethod
    def from_mapping(cls, value: Any, field_name: str = "policy.expiry") -> Expiry:
        data = require_mapping(value, field_name)
        reject_unknown_keys(data, ("mode", "months"), field_name)
        mode = data.get("mode", "rolling_months")
        if mode not in EXPIRY_MODES:
            raise CtoInputError(
                f"{field_name}.mode", f"must be one of {', '.join(EXPIRY_MODES)}, got {mode!r}"
            )
        months = data.get("months", DEFAULT_EXPIRY_MONTHS)
        if months is None:
            months = DEFAULT_EXPIRY_MONTHS
        months = require_int(months, f"{field_name}.months", minimum=1)
        return cls(mode=mode, months=months)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "months": self.months}


@dataclass(frozen=True)
class Policy:
    """All bank parameters of one company. Build it with :meth:`from_mapping` (defaults fill in).

    ``monthly_cap_minutes`` / ``balance_cap_minutes`` may be None for "no cap" (FLSA-style
    policies without a monthly cap). ``cap_overflow`` and ``separation`` are the C6 / C12
    switches: ``forfeit`` (default, CSC) or ``payout`` (an export line for payroll; the bank
    entries are the same, COC never becomes money inside the bank).
    """

    rates: Mapping[str, Fraction] = field(
        default_factory=lambda: MappingProxyType(
            {kind: parse_rate(text, kind)[0] for kind, text in DEFAULT_RATES.items()}
        )
    )
    rate_texts: Mapping[str, str] = field(default_factory=lambda: DEFAULT_RATES)
    monthly_cap_minutes: int | None = DEFAULT_MONTHLY_CAP_MINUTES
    balance_cap_minutes: int | None = DEFAULT_BALANCE_CAP_MINUTES
    expiry: Expiry = field(default_factory=Expiry)
    allowed_day_blocks_minutes: tuple[int, ...] = DEFAULT_DAY_BLOCKS_MINUTES
    max_days_per_request: int = DEFAULT_MAX_DAYS_PER_REQUEST
    cap_overflow: str = "forfeit"
    separation: str = "forfeit"

    @classmethod
    def from_mapping(cls, value: Any = None, field_name: str = "policy") -> Policy:
        """Validate a G2 ``policy`` object; missing keys take the Part C defaults."""
        data = require_mapping({} if value is None else value, field_name)
        reject_unknown_keys(data, POLICY_KEYS, field_name)
        rates_in = require_mapping(data.get("rates") or {}, f"{field_name}.rates")
        reject_unknown_keys(rates_in, KINDS, f"{field_name}.rates")
        rates: dict[str, Fraction] = {}
        texts: dict[str, str] = {}
        for kind in KINDS:
            raw = rates_in.get(kind, DEFAULT_RATES[kind])
            rates[kind], texts[kind] = parse_rate(raw, f"{field_name}.rates.{kind}")
        blocks_in = data.get("allowed_day_blocks_minutes", list(DEFAULT_DAY_BLOCKS_MINUTES))
        blocks_field = f"{field_name}.allowed_day_blocks_minutes"
        blocks = tuple(
            require_int(item, f"{blocks_field}[{index}]", minimum=1)
            for index, item in enumerate(require_list(blocks_in, blocks_field))
        )
        if not blocks:
            raise CtoInputError(blocks_field, "must list at least one block")
        return cls(
            rates=MappingProxyType(rates),
            rate_texts=MappingProxyType(texts),
            monthly_cap_minutes=_optional_cap(
                data, "monthly_cap_minutes", DEFAULT_MONTHLY_CAP_MINUTES, field_name
            ),
            balance_cap_minutes=_optional_cap(
                data, "balance_cap_minutes", DEFAULT_BALANCE_CAP_MINUTES, field_name
            ),
            expiry=Expiry.from_mapping(data.get("expiry") or {}, f"{field_name}.expiry"),
            allowed_day_blocks_minutes=blocks,
            max_days_per_request=require_int(
                data.get("max_days_per_request", DEFAULT_MAX_DAYS_PER_REQUEST),
                f"{field_name}.max_days_per_request",
                minimum=1,
            ),
            cap_overflow=_disposition(data, "cap_overflow", field_name),
            separation=_disposition(data, "separation", field_name),
        )

    def credit_raw(self, kind: str, approved_minutes: int) -> int:
        """C2: floor(approved_minutes × rate[kind]) in exact arithmetic (1.5 × 41 = 61)."""
        product = approved_minutes * self.rates[kind]
        return product.numerator // product.denominator

    def valid_until(self, earned_date: date) -> date | None:
        return self.expiry.valid_until(earned_date)

    def to_dict(self) -> dict[str, Any]:
        """The policy as a G2 ``policy`` object (rates as their decimal text)."""
        return {
            "rates": dict(self.rate_texts),
            "monthly_cap_minutes": self.monthly_cap_minutes,
            "balance_cap_minutes": self.balance_cap_minutes,
            "expiry": self.expiry.to_dict(),
            "allowed_day_blocks_minutes": list(self.allowed_day_blocks_minutes),
            "max_days_per_request": self.max_days_per_request,
            "cap_overflow": self.cap_overflow,
            "separation": self.separation,
        }


def _optional_cap(data: Mapping[str, Any], key: str, default: int, field_name: str) -> int | None:
    """A cap in minutes; an explicit null switches the cap off."""
    if key not in data:
        return default
    if data[key] is None:
        return None
    return require_int(data[key], f"{field_name}.{key}", minimum=0)


def _disposition(data: Mapping[str, Any], key: str, field_name: str) -> str:
    value = data.get(key, "forfeit")
    if value not in DISPOSITIONS:
        raise CtoInputError(
            f"{field_name}.{key}", f"must be one of {', '.join(DISPOSITIONS)}, got {value!r}"
        )
    return value
