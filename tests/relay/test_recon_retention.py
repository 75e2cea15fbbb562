"""Retention of the reconciliation and health history (issue 17): rows older than
``retention_days`` go as the punches themselves do; open runs and their days stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zk_relay.store import Store

OLD = "2025-01-10T03:00:00.000+00:00"
NEW = "2025-06-01T03:00:00.000+00:00"


def _fill(store: Store) -> None:
    def job(conn):
        run = ("INSERT INTO recon_runs (serial, day, range_start, range_end, origin, state,"
               " created_at, closed_at) VALUES (?, ?, ?, ?, 'schedule', ?, ?, ?)")
        conn.execute(run, ("A1", "2025-01-09", "2025-01-09 00:00:00", "2025-01-09 23:59:59",
                           "confirmed", OLD, OLD))
        conn.execute(run, ("A1", "2025-01-08", "2025-01-08 00:00:00", "2025-01-08 23:59:59",
                           "waiting", OLD, None))
        conn.execute(run, ("A1", "2025-05-31", "2025-05-31 00:00:00", "2025-05-31 23:59:59",
                           "gaps_filled", NEW, NEW))
        day = ("INSERT INTO recon_days (serial, day, state, checked_at, revision) VALUES"
               " (?, ?, ?, ?, ?)")
        conn.execute(day, ("A1", "2025-01-09", "confirmed", OLD, 1))
        conn.execute(day, ("A1", "2025-01-08", "not_answered", OLD, 2))
        conn.execute(day, ("A1", "2025-05-31", "gaps_filled", NEW, 3))
        event = ("INSERT INTO health_events (serial, kind, detail, received_at) VALUES"
                 " ('A1', 'clock_set', 'operation log: code 21', ?)")
        conn.execute(event, (OLD,))
        conn.execute(event, (NEW,))
        repair = ("INSERT INTO clock_repairs (serial, method, origin, state, requested_at)"
                  " VALUES ('A1', 'check', 'auto', ?, ?)")
        conn.execute(repair, ("measured", OLD))
        conn.execute(repair, ("sent", OLD))
        conn.execute(repair, ("measured", NEW))

    store.write(job)


def _rows(store: Store, sql: str) -> list[tuple]:
    return [tuple(row) for row in store.read().execute(sql).fetchall()]


def test_history_older_than_retention_goes_open_work_stays(tmp_path):
    store = Store(tmp_path / "relay.db")
    try:
        _fill(store)
        now = datetime(2025, 6, 2, tzinfo=UTC)
        deleted = store.prune_history(90, now=now)
        # the closed old run, its day, the old event and the finished old repair
        assert deleted == 4
        assert _rows(store, "SELECT day, state FROM recon_runs ORDER BY day") == [
            ("2025-01-08", "waiting"), ("2025-05-31", "gaps_filled")]
        assert _rows(store, "SELECT day FROM recon_days ORDER BY day") == [
            ("2025-01-08",), ("2025-05-31",)]
        assert _rows(store, "SELECT received_at FROM health_events") == [(NEW,)]
        assert _rows(store, "SELECT state, requested_at FROM clock_repairs ORDER BY id") == [
            ("sent", OLD), ("measured", NEW)]
        assert store.prune_history(90, now=now) == 0
        # a year on: the newer run, day, event and repair; the waiting run and its day stay
        assert store.prune_history(90, now=now + timedelta(days=365)) == 4
        assert _rows(store, "SELECT day FROM recon_days") == [("2025-01-08",)]
    finally:
        store.close()
