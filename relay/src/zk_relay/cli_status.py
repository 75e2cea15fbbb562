"""What ``zk-relay status``, ``odoo status`` and the listing commands print."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from zk_relay.store import Store, link_status


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def emit(rows: list[dict[str, Any]], columns: Sequence[str], as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, sort_keys=True))
    elif rows:
        print(table(rows, columns))
    else:
        print("(none)")


def print_odoo_status(store: Store, as_json: bool) -> int:
    status = link_status(store)
    if as_json:
        print(json.dumps(status, sort_keys=True))
        return 0
    link = status["odoo"]
    if link is None:
        print("odoo: not enrolled (zk-relay enrol --odoo URL --code CODE)")
    else:
        state = link["state"] + (f" ({link['state_reason']})" if link["state_reason"] else "")
        for label, value in (
                ("odoo", link["odoo_url"]), ("relay_id", link["relay_id"]),
                ("mode", link["mode"]), ("state", state),
                ("delivery_url", link["delivery_url"]), ("enrolled_at", link["enrolled_at"]),
                ("odoo_token", "set (not shown)"), ("relay_token", link["relay_token_name"]),
                ("push_cursor", link["push_cursor"]),
                ("last_delivery_at", link["last_delivery_at"] or "never"),
                ("pushed", f"{link['pushed_events']} event(s) in {link['pushed_pages']}"
                           " page(s)"),
                ("last_error", f"{link['last_error']} at {link['last_error_at']}"
                 if link["last_error"] else "none")):
            print(f"{label}: {value}")
        bio = link["biometric"]
        if link["biometric_url"] or link["commands_url"]:
            print(f"biometric push: templates up to {bio['templates_cursor']}, photos up to"
                  f" {bio['photos_cursor']} committed by Odoo; {bio['outbox_commands']} command(s)"
                  f" taken from Odoo's outbox, {bio['outbox_open']} not finished")
        if bio["last_error"]:
            print(f"biometric push error: {bio['last_error']} at {bio['last_error_at']}")
        for dest in status["destinations"]:
            print(f"destination {dest['name']}: {dest['consecutive_failures']} failure(s) in a"
                  f" row, next attempt {dest['next_attempt_at'] or 'when due'}")
    age = status["oldest_unacked_age_seconds"]
    print(f"lag: {status['unacked_events']} event(s) not yet acknowledged"
          + (f", oldest received {status['oldest_unacked_received_at']} ({age:.0f} s ago)"
             if status["oldest_unacked_received_at"] else ""))
    return 0


def print_reconciliation(store: Store, serial: str | None, as_json: bool) -> int:
    rows, _ = store.recon_days_page(0, 100_000, serial)
    rows.sort(key=lambda r: (r["serial"], r["day"]))
    emit(rows, ("serial", "day", "state", "reason", "at_terminal", "on_relay", "gaps_filled",
                "checked_at", "checking"), as_json)
    return 0


def _fill(health: dict[str, Any]) -> str:
    parts = [f"{kind} {m['percent']:.0f}%" for kind, m in (health.get("memory") or {}).items()
             if m.get("percent") is not None]
    return ", ".join(parts)


def print_status(store: Store, as_json: bool) -> int:
    from zk_relay.terminal_health import relay_health

    devices = store.devices()
    saved = store.saved_health()
    rows = []
    for d in devices:
        health = saved.get(d["serial"], {})
        punches = health.get("punches") or {}
        rows.append({
            "serial": d["serial"], "name": d["name"], "timezone": d["timezone"],
            "enabled": d["enabled"], "last_seen": d["last_seen"], "last_addr": d["last_addr"],
            "events": d["events_stored"], "duplicates": d["events_duplicate"],
            "quarantined": d["quarantined"], "users": d["users_stored"],
            "oplog": d["oplog_stored"], "photos": d["photos_stored"],
            "attlog_stamp": d["attlog_stamp"], "operlog_stamp": d["operlog_stamp"],
            "attphoto_stamp": d["attphoto_stamp"],
            "firmware": (d["info"] or {}).get("firmware"),
            "drift_s": health.get("clock_drift_seconds"),
            "memory": _fill(health),
            "today": (f"{punches['today']} (usual {punches['usual_by_now']:g})"
                      if punches else None),
            "alerts_7d": ", ".join(f"{k} {n}" for k, n in
                                   sorted((health.get("events_7d") or {}).items())),
        })
    summary = {"store_id": store.store_id, "database": str(store.path),
               "acked_up_to": store.acked_up_to(), "last_event_id": store.last_event_id(),
               "waiting_for_ack": store.waiting_for_ack(), "pending": len(store.pending()),
               "pending_dropped": store.pending_dropped(), **store.table_counts(),
               **relay_health(store)}
    if as_json:
        print(json.dumps({"store": summary, "devices": rows}, sort_keys=True))
        return 0
    for key, value in summary.items():
        print(f"{key}: {value}")
    print()
    emit(rows, ("serial", "name", "timezone", "enabled", "last_seen", "events", "duplicates",
                 "quarantined", "attlog_stamp", "operlog_stamp", "attphoto_stamp"), False)
    print()
    emit(rows, ("serial", "firmware", "drift_s", "memory", "today", "alerts_7d"), False)
    return 0
