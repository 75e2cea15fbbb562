"""API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hmac
import sqlite3

from zk_relay.store.base import StoreBase
from zk_relay.store.db import utc_now
from zk_rules.delivery import new_token, secret_hash


class Tokens(StoreBase):
    """Table ``tokens``."""

    # -- tokens
    def create_token(self, name: str) -> str:
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(
                ".", "").isalnum():
            raise ValueError("token name: 1-64 letters, digits, '-', '_' or '.'")
        token = new_token()
        digest = secret_hash(token)

        def job(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"a token named {name!r} exists (revoke it first)")
            conn.execute("INSERT INTO tokens (name, token_hash, created_at) VALUES (?,?,?)",
                         (name, digest, utc_now()))

        self.write(job)
        return token

    def tokens(self) -> list[dict[str, str]]:
        rows = self.read().execute("SELECT name, created_at FROM tokens ORDER BY name")
        return [{"name": n, "created_at": c} for n, c in rows]

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

