"""Hash chains for append-only records (CTO ledger C11, audit trail of issue 7).

Each entry stores the previous entry's hash; its own is
``"v1$" + sha256(previous_hash + canonical_json(payload))``: sorted keys, ``(",", ":")``
separators, ASCII escapes — the scheme of Odoo 18's ``account.move`` inalterability hash,
versioned so a future payload change can coexist. The first entry chains on "".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

HASH_VERSION = "v1"
GENESIS_HASH = ""


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Sorted keys, fixed separators, ASCII only: the same bytes on every machine."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """One chain link: versioned sha256 over the previous hash and the canonical payload."""
    digest = hashlib.sha256((prev_hash + canonical_json(payload)).encode("ascii")).hexdigest()
    return f"{HASH_VERSION}${digest}"


def first_broken(links: Iterable[tuple[int, str, str, Mapping[str, Any]]]) -> int | None:
    """Recompute a chain of (seq, prev_hash, hash, payload); the seq of the first bad link.

    A link is bad when its seq breaks 1, 2, 3, …, its prev_hash is not the previous hash, or
    its hash does not match its payload (an edit). None when the chain is intact.
    """
    previous = GENESIS_HASH
    for position, (seq, prev_hash, stored, payload) in enumerate(links, start=1):
        if seq != position or prev_hash != previous or stored != entry_hash(previous, payload):
            return seq
        previous = stored
    return None
