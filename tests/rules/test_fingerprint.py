"""Punch fingerprint (architecture.md, "Fingerprint and time")."""

import hashlib
from datetime import UTC, datetime

import pytest

from zk_rules.fingerprint import punch_fingerprint


def test_fingerprint_is_sha256_of_fields_joined_by_unit_separator():
    expected = hashlib.sha256(b"CQZ1\x1f0042\x1f2025-01-02 08:00:05").hexdigest()
    assert punch_fingerprint("CQZ1", "0042", "2025-01-02 08:00:05") == expected


def test_fingerprint_keeps_pin_leading_zeros_distinct():
    assert punch_fingerprint("S", "042", "2025-01-02 08:00:05") != punch_fingerprint(
        "S", "42", "2025-01-02 08:00:05")


def test_fingerprint_same_from_text_and_naive_datetime():
    assert punch_fingerprint("S", "1", datetime(2025, 1, 2, 8, 0, 5)) == punch_fingerprint(
        "S", "1", " 2025-01-02 08:00:05 ")


@pytest.mark.parametrize("bad", ["2025-13-02 08:00:05", "2025-01-02T08:00:05", ""])
def test_fingerprint_rejects_malformed_local_time(bad):
    with pytest.raises(ValueError):
        punch_fingerprint("S", "1", bad)


def test_fingerprint_rejects_aware_datetime_and_numeric_pin():
    with pytest.raises(ValueError, match="naive"):
        punch_fingerprint("S", "1", datetime(2025, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="string"):
        punch_fingerprint("S", 42, "2025-01-02 08:00:05")  # type: ignore[arg-type]
