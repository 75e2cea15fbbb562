"""The append-only, hash-chained CTO ledger (C11).

Each entry stores the hash of the previous one; its own hash is
``"v1$" + sha256(previous_hash + canonical_json(payload))`` where the payload is every field of
the entry but the two hashes, encoded as JSON with sorted keys, ``(",", ":")`` separators and
ASCII escapes (the scheme of Odoo 18's ``account.move`` inalterability hash, versioned so a
future change of payload can coexist). The first entry chains on the empty string.
:func:`verify_chain` recomputes the chain and names the first entry that does not match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from zk_rules.cto.inputs import (
    CtoInputError,
    optional_text,
    require_date,
    require_int,
    require_ref,
)
from zk_rules.hashchain import (  # noqa: F401 - canonical_json, HASH_VERSION re-exported
    GENESIS_HASH,
    HASH_VERSION,
    canonical_json,
    entry_hash,
)

ENTRY_TYPES = (
    "opening",
    "earn",
    "cap_monthly",
    "cap_balance",
    "use",
    "use_cancel",
    "expire",
    "reverse",
    "forfeit",
)
# The extra G2 field each entry type carries (and only that type).
EXTRA_FIELD = {
    "earn": "raw_minutes",
    "cap_monthly": "uncredited_minutes",
    "cap_balance": "uncredited_minutes",
    "reverse": "shortfall_minutes",
}
REPLAY_FIELDS = ("seq", "date", "type", "minutes", "lot", "ref", "balance_after")


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger line. ``minutes`` is the signed balance effect; cap entries have 0 (C6)."""

    seq: int
    date: date
    type: str
    minutes: int
    lot: str | None
    ref: str | int | None
    balance_after: int
    raw_minutes: int | None = None
    uncredited_minutes: int | None = None
    shortfall_minutes: int | None = None
    actor: str | None = None
    timestamp: str | None = None
    reason: str | None = None
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def payload(self) -> dict[str, Any]:
        """The hashed fields: everything but ``prev_hash`` and ``hash``, dates as ISO text."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        del data["prev_hash"], data["hash"]
        data["date"] = self.date.isoformat()
        return data

    def to_dict(self) -> dict[str, Any]:
        """Every stored field (what the Odoo addon keeps, hashes included)."""
        return {**self.payload(), "prev_hash": self.prev_hash, "hash": self.hash}

    def to_replay_dict(self) -> dict[str, Any]:
        """The G2 ``ledger[]`` item: the fixed fields plus the one extra of its type."""
        data = {name: getattr(self, name) for name in REPLAY_FIELDS}
        data["date"] = self.date.isoformat()
        extra = EXTRA_FIELD.get(self.type)
        if extra:
            data[extra] = getattr(self, extra)
        return data

    @classmethod
    def from_mapping(cls, value: Any, field: str = "entry") -> LedgerEntry:
        """Rebuild a stored entry (``to_dict`` or G2 ``ledger[]`` shape)."""
        if isinstance(value, LedgerEntry):
            return value
        if not isinstance(value, Mapping):
            raise CtoInputError(field, f"must be an object, got {type(value).__name__}")
        kind = value.get("type")
        if kind not in ENTRY_TYPES:
            raise CtoInputError(f"{field}.type", f"must be one of {', '.join(ENTRY_TYPES)}")
        optional_ints = {}
        for name in ("raw_minutes", "uncredited_minutes", "shortfall_minutes"):
            raw = value.get(name)
            optional_ints[name] = (
                None if raw is None else require_int(raw, f"{field}.{name}", minimum=None)
            )
        lot = value.get("lot")
        if lot is not None and not isinstance(lot, str):
            raise CtoInputError(f"{field}.lot", f"must be a string or null, got {lot!r}")
        ref = value.get("ref")
        return cls(
            seq=require_int(value.get("seq"), f"{field}.seq", minimum=1),
            date=require_date(value.get("date"), f"{field}.date"),
            type=kind,
            minutes=require_int(value.get("minutes"), f"{field}.minutes", minimum=None),
            lot=lot,
            ref=None if ref is None else require_ref(ref, f"{field}.ref"),
            balance_after=require_int(value.get("balance_after"), f"{field}.balance_after"),
            actor=optional_text(value.get("actor"), f"{field}.actor"),
            timestamp=optional_text(value.get("timestamp"), f"{field}.timestamp"),
            reason=optional_text(value.get("reason"), f"{field}.reason"),
            prev_hash=optional_text(value.get("prev_hash"), f"{field}.prev_hash") or "",
            hash=optional_text(value.get("hash"), f"{field}.hash") or "",
            **optional_ints,
        )


def seal(entry: LedgerEntry, prev_hash: str) -> LedgerEntry:
    """Return ``entry`` chained after ``prev_hash`` with its own hash computed."""
    return replace(entry, prev_hash=prev_hash, hash=entry_hash(prev_hash, entry.payload()))


def verify_chain(entries: Iterable[LedgerEntry | Mapping[str, Any]]) -> int | None:
    """Recompute the chain; return the ``seq`` of the first bad entry, or None if intact.

    An entry is bad when its seq breaks the 1, 2, 3, … sequence, its ``prev_hash`` is not the
    previous entry's hash, its hash does not match its own fields (an edit), or it no longer
    reads as an entry (then its position is returned).
    """
    previous = GENESIS_HASH
    for position, raw in enumerate(entries, start=1):
        try:
            entry = LedgerEntry.from_mapping(raw, f"ledger[{position - 1}]")
        except CtoInputError:  # edited into something that is not an entry at all
            return position
        if entry.seq != position or entry.prev_hash != previous:
            return entry.seq
        if entry.hash != entry_hash(previous, entry.payload()):
            return entry.seq
        previous = entry.hash
    return None


class Ledger:
    """The entries in order; :meth:`append` numbers, chains and tracks the balance."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter(self._entries)

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return tuple(self._entries)

    @property
    def balance(self) -> int:
        return self._entries[-1].balance_after if self._entries else 0

    @property
    def last_hash(self) -> str:
        return self._entries[-1].hash if self._entries else GENESIS_HASH

    def append(self, *, date: date, type: str, minutes: int, **extra: Any) -> LedgerEntry:
        """Write the next entry; ``balance_after`` follows from ``minutes`` (C11)."""
        if type not in ENTRY_TYPES:  # pragma: no cover - internal misuse
            raise ValueError(f"unknown ledger entry type {type!r}")
        entry = LedgerEntry(
            seq=len(self._entries) + 1,
            date=date,
            type=type,
            minutes=minutes,
            lot=extra.pop("lot", None),
            ref=extra.pop("ref", None),
            balance_after=self.balance + minutes,
            **extra,
        )
        entry = seal(entry, self.last_hash)
        self._entries.append(entry)
        return entry

    def adopt(self, entry: LedgerEntry) -> None:
        """Take a stored entry as is (rebuild); the caller has checked it."""
        self._entries.append(entry)
