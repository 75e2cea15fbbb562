"""The per-request device lookup is served from memory, and a change to a terminal's
registration — made by the command line, another process — applies from the very next request
(issue 3: the lookup cost ~7 % of a realtime punch; a plain TTL cache was refused for this).

The relay keeps each terminal's (timezone, enabled, pushcommkey, handshake TimeZone) in memory
only while the store's device generation (``relay.sqlite3-devgen``, rewritten by every process
after it commits a registration change) and its own change counter are the values it read
before reading the row. These tests warm the cache, change the registration from outside, and
look at the very next request; the in-process ones count the SQL statements a lookup runs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from relay_harness import Relay

from zk_relay.store import DeviceGeneration, Store

LINE = "1\t2024-08-05 {:02d}:00:00\t0\t1\t0\t0\t0\n"


def punch(hour: int) -> bytes:
    return LINE.format(hour).encode()


# ----------------------------------------------------------------------------- real process


def test_cli_changes_apply_to_the_next_request_with_a_warm_cache(relay: Relay) -> None:
    serial = "CACHE0001"
    relay.add_device(serial)
    for round_ in range(2):  # the same change twice: nothing left over from the first round
        base = round_ * 10
        assert relay.attlog(serial, punch(base + 1)).acknowledged  # warms the cache
        assert relay.attlog(serial, punch(base + 2)).acknowledged
        relay.cli("device", "update", serial, "--disable")
        refused = relay.attlog(serial, punch(base + 3))
        assert refused.status == 403 and not refused.acknowledged
        assert relay.get(f"/iclock/getrequest?SN={serial}").status == 403
        relay.cli("device", "update", serial, "--enable")
        assert relay.attlog(serial, punch(base + 3)).acknowledged
    assert [e[3][11:13] for e in relay.events(serial)] == ["01", "02", "03", "11", "12", "13"]


def test_cli_timezone_and_key_changes_apply_to_the_next_request(relay: Relay) -> None:
    serial = "CACHE0002"
    relay.add_device(serial, "Asia/Manila")
    assert relay.attlog(serial, punch(7)).acknowledged
    assert relay.handshake(serial).status == 200
    relay.cli("device", "update", serial, "--tz", "Europe/Paris")
    assert relay.attlog(serial, punch(8)).acknowledged
    assert [e[4] for e in relay.events(serial)] == ["Asia/Manila", "Europe/Paris"]
    relay.cli("device", "update", serial, "--pushcommkey", "s3cret")
    assert relay.handshake(serial).status == 403
    assert relay.handshake(serial, "&pushver=2.4.1&pushcommkey=s3cret").status == 200


def test_cli_remove_applies_to_the_next_request(relay: Relay) -> None:
    serial = "CACHE0003"
    relay.add_device(serial)
    assert relay.attlog(serial, punch(7)).acknowledged
    relay.cli("device", "remove", serial)
    refused = relay.attlog(serial, punch(8))
    assert refused.status == 403 and refused.text.startswith("UNKNOWN DEVICE")
    pending = [json.loads(line) for line in relay.cli("pending", "--json").stdout.splitlines()]
    assert serial in {p["serial"] for p in pending}
    relay.add_device(serial)
    assert relay.attlog(serial, punch(8)).acknowledged
    assert len(relay.events(serial)) == 2


# ----------------------------------------------------------------------------- in process


class Statements:
    """Counts the SQL statements run on the calling thread's read connection."""

    def __init__(self, store: Store) -> None:
        self.seen: list[str] = []
        store.read().set_trace_callback(self.seen.append)

    def count(self, needle: str = "FROM devices") -> int:
        return sum(needle in s for s in self.seen)


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Store]]:
    """(relay, cli): two stores on one file, like the serving relay and the command line.
    The periodic re-check is pushed out of the way; the test that needs it calls it."""
    monkeypatch.setattr(DeviceGeneration, "CHECK_SECONDS", 3600.0)
    path = tmp_path / "relay.sqlite3"
    relay, cli = Store(path), Store(path)
    relay.start_writer()
    cli.upsert_device("DEV1", timezone="Asia/Manila")
    yield relay, cli
    relay.close()
    cli.close()


def warm(store: Store, serial: str) -> Any:
    store.device_brief(serial)  # the first look maps the generation file (no caching yet)
    return store.device_brief(serial)


def test_lookup_served_from_memory_until_another_process_changes_the_device(
        stores: tuple[Store, Store]) -> None:
    relay, cli = stores
    assert warm(relay, "DEV1") == ("Asia/Manila", 1, None, None, None)
    sql = Statements(relay)
    for _ in range(50):
        assert relay.device_brief("DEV1") == ("Asia/Manila", 1, None, None, None)
    assert sql.count() == 0
    cli.upsert_device("DEV1", enabled=False)
    assert relay.device_brief("DEV1") == ("Asia/Manila", 0, None, None, None)
    cli.upsert_device("DEV1", timezone="Europe/Paris", enabled=True, pushcommkey="k3y")
    assert relay.device_brief("DEV1") == ("Europe/Paris", 1, "k3y", None, None)
    cli.remove_device("DEV1")
    assert relay.device_brief("DEV1") is None
    assert sql.count() == 3
    assert relay.device_brief("DEV1") is None  # an unknown serial is never cached
    assert sql.count() == 4


def test_changes_by_the_serving_process_itself(stores: tuple[Store, Store]) -> None:
    relay, _ = stores
    warm(relay, "DEV1")
    relay.upsert_device("DEV1", enabled=False)  # the API does this, through the writer
    assert relay.device_brief("DEV1")[1] == 0
    relay.touch("DEV1", "10.0.0.9", handshake=True, handshake_tz="+0800")
    assert relay.device_brief("DEV1")[3] == "+0800"


def test_change_committed_while_the_row_is_being_read_is_not_missed(
        stores: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    """The worst interleaving: the lookup reads the generation, then the (old) row; the other
    process commits and signals right after, before the lookup stores its entry. The entry is
    tagged with the generation read *before* the row, so the next lookup misses it."""
    relay, cli = stores
    warm(relay, "DEV1")
    cli.upsert_device("DEV1", name="invalidate the warm entry")
    real = relay.read()

    class ChangeAfterSelect:
        def execute(self, sql: str, args: Any) -> Any:
            row = real.execute(sql, args).fetchone()
            cli.upsert_device("DEV1", enabled=False)  # commits and signals after the read

            class Done:
                def fetchone(self) -> Any:
                    return row
            return Done()

    monkeypatch.setattr(relay, "read", lambda: ChangeAfterSelect())
    assert relay.device_brief("DEV1")[1] == 1  # read before the change: old value
    monkeypatch.undo()
    assert relay.device_brief("DEV1")[1] == 0  # the very next lookup sees it


def test_edit_behind_the_stores_back_applies_at_the_periodic_check(
        stores: tuple[Store, Store]) -> None:
    """A change written straight into the database (no signal) is picked up when the relay
    looks at the generation file again (every CHECK_SECONDS); the test moves that moment."""
    relay, _ = stores
    warm(relay, "DEV1")
    conn = sqlite3.connect(relay.path, isolation_level=None)
    conn.execute("UPDATE devices SET enabled = 0 WHERE serial = 'DEV1'")
    conn.close()
    assert relay.device_brief("DEV1")[1] == 1  # not signalled: still the cached entry
    relay._device_cache.generation._next_check = 0.0  # noqa: SLF001 - "a second later"
    assert relay.device_brief("DEV1")[1] == 0


def test_generation_file_replaced_is_mapped_again(stores: tuple[Store, Store]) -> None:
    relay, cli = stores
    warm(relay, "DEV1")
    gen = relay._device_cache.generation.path  # noqa: SLF001
    gen.unlink()  # by hand; the relay still maps the old file
    cli.upsert_device("DEV1", enabled=False)  # signals into a new file
    relay._device_cache.generation._next_check = 0.0  # noqa: SLF001 - the periodic check finds the new file
    assert relay.device_brief("DEV1")[1] == 0
    cli.upsert_device("DEV1", enabled=True)
    assert relay.device_brief("DEV1")[1] == 1


def test_without_a_usable_generation_file_every_lookup_reads_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeviceGeneration, "CHECK_SECONDS", 3600.0)
    path = tmp_path / "relay.sqlite3"
    Path(str(path) + "-devgen").mkdir()  # cannot be opened as a file
    relay, cli = Store(path), Store(path)
    cli.upsert_device("DEV1", timezone="UTC")  # its signal fails: logged, change kept
    sql = Statements(relay)
    for _ in range(3):
        assert relay.device_brief("DEV1") == ("UTC", 1, None, None, None)
    assert sql.count() == 3
    cli.upsert_device("DEV1", enabled=False)
    assert relay.device_brief("DEV1")[1] == 0
    relay.close()
    cli.close()
