"""The relay's Ed25519 signing key (issue 10).

Made at first start (or by ``zk-relay key show`` / ``zk-relay enrol``) in the data folder as
``relay-ed25519.pem`` (unencrypted PKCS#8, file mode 0600). The file is written under a
temporary name and *linked* into place, so two processes starting at once (``serve`` and a
command) end up with the same key and nobody ever reads a half-written file.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zk_rules import signing

KEY_FILE = "relay-ed25519.pem"


@dataclass(frozen=True)
class RelayKey:
    private_key: Any
    public_key_b64: str
    key_id: str
    path: Path

    def sign(self, page: dict[str, Any]) -> dict[str, Any]:
        return signing.sign_page(page, self.private_key)


def key_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / KEY_FILE


def load_or_create(data_dir: Path | str) -> RelayKey:
    """The relay's key, created (mode 0600) if the data folder has none yet."""
    path = key_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = signing.generate_private_key()
        tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(signing.private_key_to_pem(key))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)  # fails if another process made one meanwhile: use theirs
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
    try:
        private = signing.load_private_key(path.read_bytes())
    except ValueError as exc:
        raise ValueError(f"{path}: not a usable Ed25519 private key ({exc})") from None
    return RelayKey(private, signing.public_key_b64(private), signing.key_id(private), path)


__all__ = ["KEY_FILE", "RelayKey", "key_path", "load_or_create"]
