"""Who may speak ADMS: the address allowlist and the knock limit for unknown serials."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable


class AddressFilter:
    """The ADMS allowlist (config ``adms_allow``): IPv4-mapped IPv6 addresses are checked as
    IPv4; decisions are cached per address."""

    def __init__(self, cidrs: tuple[str, ...]) -> None:
        self.networks = [ipaddress.ip_network(c, strict=False) for c in cidrs]
        self._cache: dict[str, bool] = {}

    def allowed(self, addr: str | None) -> bool:
        if addr is None:
            return False
        known = self._cache.get(addr)
        if known is not None:
            return known
        try:
            ip = ipaddress.ip_address(addr.split("%", 1)[0])
        except ValueError:
            result = False
        else:
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            result = any(ip.version == n.version and ip in n for n in self.networks)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[addr] = result
        return result


class KnockLimiter:
    """Knocks of unknown serials per source address: at most ``per_minute`` in each minute
    (fixed windows); the rest are refused without touching the store and counted."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.refused = 0
        self._windows: dict[str | None, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def allow(self, addr: str | None) -> bool:
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(addr, (now, 0))
            if now - start >= 60.0:
                start, count = now, 0
            if count >= self.per_minute:
                self.refused += 1
                return False
            if len(self._windows) >= 4096 and addr not in self._windows:
                self._windows = {a: w for a, w in self._windows.items() if now - w[0] < 60.0}
            self._windows[addr] = (start, count + 1)
            return True
