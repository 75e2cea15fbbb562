"""A real ``zk-relay serve`` for the HTTP fuzzing (tests/relay/relay_harness.py)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relay"))

from relay_harness import Relay, Reply, make_relay, terminal_request  # noqa: E402

__all__ = ["Relay", "Reply", "running_relay", "terminal_request"]


@pytest.fixture(scope="module")
def running_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    tmp = tmp_path_factory.mktemp("fuzz-relay")
    relay = make_relay(tmp)
    relay.cli("device", "list")  # creates the store
    relay.start()
    yield relay
    alive = relay.proc is not None and relay.proc.poll() is None
    relay.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    assert alive, "the relay died during the fuzzing"
