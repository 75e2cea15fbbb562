"""How Odoo takes a page of relay events, whichever way it came (issue 10).

Pull (Odoo fetched it) and push (the relay sent it) end in the same import, so the rules that
decide *whether* a page may be imported and *where the cursor goes* live here, once:

* a page of a store Odoo does not know is taken as a new store only when it starts at the
  beginning (``after`` 0); otherwise it is a store mismatch (the relay was rebuilt);
* a page that starts beyond Odoo's cursor would leave a gap: nothing is imported, Odoo answers
  its own cursor and the relay goes back to it;
* otherwise the page is imported (fingerprints make the overlap harmless) and the cursor moves
  to ``max(cursor, next_after)``, never backwards.

Also here: the shape check of a page (a clear message per defect, before anything is imported),
enrolment codes and tokens — Odoo's delivery tokens and the relay's API tokens alike (only
their SHA-256 is stored) — and the per-relay rate window. Plain module: no Odoo import.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

# Crockford base32: no I, L, O, U, so a code read aloud or typed on a Pi is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 40 bits; codes are single-use, expire, and enrolment attempts are limited
_CODE_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")

Action = Literal["import", "gap", "store_mismatch"]


class PageShapeError(ValueError):
    """A page that is not the contract's shape; the message names the defect."""


@dataclass(frozen=True)
class PageVerdict:
    action: Action
    store_id: str  # the store Odoo knows once the page is taken (unchanged on a mismatch)
    cursor: int  # Odoo's cursor the page is judged against (0 when a new store is adopted)
    committed_up_to: int  # Odoo's cursor once the page is committed (or kept, if not imported)

    @property
    def imports(self) -> bool:
        return self.action == "import"


@dataclass(frozen=True)
class Page:
    store_id: str
    after: int
    next_after: int
    has_more: bool
    events: list[dict[str, Any]]


def _non_negative_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PageShapeError(f"{name} must be a non-negative integer")
    return value


def parse_page(payload: Any, after: int | None = None) -> Page:
    """Check a page's shape. ``after`` is the cursor a pulled page was asked from (pull
    pages carry no ``after``); a pushed page states its own."""
    if not isinstance(payload, dict):
        raise PageShapeError("the page is not a JSON object")
    store_id = payload.get("store_id")
    if not isinstance(store_id, str) or not store_id.strip():
        raise PageShapeError("store_id is missing")
    start = _non_negative_int(payload.get("after", after), "after")
    next_after = _non_negative_int(payload.get("next_after"), "next_after")
    has_more = payload.get("has_more")
    if not isinstance(has_more, bool):
        raise PageShapeError("has_more must be true or false")
    events = payload.get("events")
    if not isinstance(events, list):
        raise PageShapeError("events must be a list")
    previous = start
    for index, event in enumerate(events):
        where = f"event {index + 1}"
        if not isinstance(event, dict):
            raise PageShapeError(f"{where} is not an object")
        event_id = _non_negative_int(event.get("id"), f"{where}: id")
        if event_id <= previous:
            raise PageShapeError(f"{where}: ids must increase and follow 'after' ({start})")
        previous = event_id
        for key in ("serial", "pin", "local_time"):
            if not isinstance(event.get(key), str) or not event[key]:
                raise PageShapeError(f"{where} (id {event_id}): {key} is missing")
        if not LOCAL_TIME.fullmatch(event["local_time"]):
            raise PageShapeError(f"{where} (id {event_id}): local_time is not "
                                 "'YYYY-MM-DD HH:MM:SS'")
    if events and next_after != previous:
        raise PageShapeError(f"next_after ({next_after}) is not the last event id ({previous})")
    if not events and next_after < start:
        raise PageShapeError("next_after is before after")
    return Page(store_id, start, next_after, has_more, events)


def judge_page(known_store: str | None, cursor: int, page: Page) -> PageVerdict:
    """Whether a (verified, well-shaped) page is imported, and Odoo's cursor afterwards."""
    store = known_store or page.store_id
    if known_store and page.store_id != known_store:
        if page.after != 0:
            return PageVerdict("store_mismatch", known_store, cursor, cursor)
        store, cursor = page.store_id, 0
    if page.after > cursor:
        return PageVerdict("gap", store, cursor, cursor)
    return PageVerdict("import", store, cursor, max(cursor, page.next_after))


# --------------------------------------------------------------------------- credentials


def secret_hash(secret: str) -> str:
    """What Odoo stores of a code or token: SHA-256 hex (they are random, so no salt)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A bearer token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def new_enrolment_code() -> str:
    """A one-time enrolment code such as ``K7Q2-9XFD``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    """The canonical form of a code as typed: case, spaces and dashes do not matter, and
    O/I/L read as 0/1."""
    cleaned = re.sub(r"[\s-]", "", code or "").upper().translate(_CODE_READ_AS)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return ""
    return f"{cleaned[:4]}-{cleaned[4:]}"


# --------------------------------------------------------------------------- rate window


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    window_start: datetime
    count: int  # requests counted in the window, this one included when allowed
    retry_after: int  # seconds (0 when allowed)


def rate_window(window_start: datetime | None, count: int, now: datetime, limit: int,
                seconds: int = 60) -> RateDecision:
    """A fixed window per relay: at most ``limit`` requests per ``seconds``."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if window_start is None or now >= window_start + timedelta(seconds=seconds) \
            or now < window_start:
        return RateDecision(True, now, 1, 0)
    if count >= limit:
        left = (window_start + timedelta(seconds=seconds) - now).total_seconds()
        return RateDecision(False, window_start, count, max(1, int(left + 0.999)))
    return RateDecision(True, window_start, count + 1, 0)
