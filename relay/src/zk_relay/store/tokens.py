"""API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hmac
import sqlite3

from zk_relay.store.base import StoreBase
from zk_relay.store.db import utc_now
from zk_rules.delivery import new_token, secret_hash

SCOPES = ("events", "biometric")


def parse_scopes(text: str) -> tuple[str, ...]:
    """``events``, ``biometric`` or both (comma-separated); refuses anything else."""
    scopes = tuple(sorted({s.strip() for s in text.split(",") if s.strip()}))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise ValueError(f"scope: one or more of {', '.join(SCOPES)} (comma-separated)")
    return scopes


class Tokens(StoreBase):
    """Table ``tokens``. A token's ``scope``: ``events`` (the pull API, as before issue 19),
    ``biometric`` (only ``/api/v1/biometric/*`` and the biometric commands) or both."""

    # -- tokens
    def create_token(self, name: str, scopes: tuple[str, ...] = ("events",)) -> str:
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(
                ".", "").isalnum():
            raise ValueError("token name: 1-64 letters, digits, '-', '_' or '.'")
        token = new_token()
        digest = secret_hash(token)

        def job(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"a token named {name!r} exists (revoke it first)")
            conn.execute("INSERT INTO tokens (name, token_hash, created_at, scope)"
                         " VALUES (?,?,?,?)", (name, digest, utc_now(),
                                               ",".join(parse_scopes(",".join(scopes)))))

        self.write(job)
        return token

    def tokens(self) -> list[dict[str, str]]:
        rows = self.read().execute("SELECT name, created_at, scope FROM tokens ORDER BY name")
        return [{"name": n, "created_at": c, "scope": s} for n, c, s in rows]

    def token_scopes(self, name: str) -> frozenset[str]:
        row = self.read().execute("SELECT scope FROM tokens WHERE name = ?", (name,)).fetchone()
        return frozenset(row[0].split(",")) if row else frozenset()

    def add_token_scope(self, name: str, scope: str) -> None:
        scopes = tuple(self.token_scopes(name) | {scope})
        self.write(lambda c: c.execute("UPDATE tokens SET scope = ? WHERE name = ?",
                                       (",".join(parse_scopes(",".join(scopes))), name)))

    def revoke_token(self, name: str) -> bool:
        return self.write(lambda c: c.execute("DELETE FROM tokens WHERE name = ?",
                                              (name,)).rowcount > 0)

    def check_token(self, presented: str) -> str | None:
        """Name of the token, compared as SHA-256 digests in constant time; None if invalid."""
        digest = secret_hash(presented)
        found = None
        for name, stored in self.read().execute("SELECT name, token_hash FROM tokens"):
            if hmac.compare_digest(digest, stored):
                found = name
        return found


    def next_token_name(self, prefix: str = "odoo-") -> str:
        names = {t["name"] for t in self.tokens()}
        n = 1
        while f"{prefix}{n}" in names:
            n += 1
        return f"{prefix}{n}"

