"""``zk-relay`` command line: serve, device registry, what arrived, tokens."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from zk_relay import __version__, adms
from zk_relay.biometric_crypto import load_cipher
from zk_relay.cli_status import emit, print_odoo_status, print_reconciliation, print_status
from zk_relay.config import Config, ConfigError, describe_keys, load_config
from zk_relay.store import Store
from zk_relay.store.tokens import parse_scopes


def _time_bound(text: str | None, end: bool) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) == 10:
        text += " 23:59:59" if end else " 00:00:00"
    value = adms.parse_local_time(text)
    if value is None:
        raise ValueError(f"time {text!r}: use YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS'")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="TOML configuration file (or $ZK_RELAY_CONFIG)")
    common.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="data folder holding the SQLite store (or $ZK_RELAY_DATA_DIR)")
    parser = argparse.ArgumentParser(prog="zk-relay", parents=[common],
                                     description="ZKTeco ADMS relay for zk-odoo")
    parser.add_argument("--version", action="version", version=f"zk-relay {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="run the relay (Waitress)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--threads", type=int)
    serve.add_argument("--ready-file", help="write {host, port, pid} as JSON once listening")
    serve.add_argument("--log-level", default="INFO")
    serve.add_argument("--log-format", choices=("json", "text"), default="json",
                       help="json: one JSON object per line (default); text: plain lines")

    device = sub.add_parser("device", parents=[common], help="terminal registry")
    dsub = device.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = dsub.add_parser("add", parents=[common], help="register a terminal (approves pending)")
    add.add_argument("serial")
    add.add_argument("--tz", "--timezone", dest="tz", required=True,
                     help="IANA zone, e.g. Asia/Manila")
    add.add_argument("--name")
    add.add_argument("--pushcommkey")
    _poll_args(add)
    upd = dsub.add_parser("update", parents=[common], help="change zone, name, key, enabled")
    upd.add_argument("serial")
    upd.add_argument("--tz", "--timezone", dest="tz")
    upd.add_argument("--name")
    upd.add_argument("--pushcommkey")
    _poll_args(upd)
    group = upd.add_mutually_exclusive_group()
    group.add_argument("--enable", dest="enabled", action="store_const", const=True)
    group.add_argument("--disable", dest="enabled", action="store_const", const=False)
    lst = dsub.add_parser("list", parents=[common], help="registered terminals")
    lst.add_argument("--json", action="store_true")
    rem = dsub.add_parser("remove", parents=[common], help="forget a terminal (data is kept)")
    rem.add_argument("serial")

    pending = sub.add_parser("pending", parents=[common],
                             help="unknown serials that knocked (never acknowledged)")
    pending.add_argument("--json", action="store_true")

    events = sub.add_parser("events", parents=[common], help="stored punches")
    events.add_argument("--serial")
    events.add_argument("--since", help="device-local time, YYYY-MM-DD[ HH:MM:SS]")
    events.add_argument("--until", help="device-local time, YYYY-MM-DD[ HH:MM:SS]")
    events.add_argument("--after-id", type=int, default=0)
    events.add_argument("--limit", type=int, default=100)
    events.add_argument("--json", action="store_true", help="JSON lines")

    quarantine = sub.add_parser("quarantine", parents=[common], help="lines kept with a reason")
    quarantine.add_argument("--serial")
    quarantine.add_argument("--after-id", type=int, default=0)
    quarantine.add_argument("--limit", type=int, default=100)
    quarantine.add_argument("--json", action="store_true")

    cmds = sub.add_parser("commands", parents=[common], help="device commands and results")
    cmds.add_argument("--serial")
    cmds.add_argument("--state", choices=("queued", "sent", "done", "failed"))
    cmds.add_argument("--after-id", type=int, default=0)
    cmds.add_argument("--limit", type=int, default=100)
    cmds.add_argument("--json", action="store_true")

    status = sub.add_parser("status", parents=[common], help="per-terminal status and store")
    status.add_argument("--json", action="store_true")

    recon = sub.add_parser("reconcile", parents=[common],
                           help="ask a terminal for days again and compare with the relay")
    recon.add_argument("serial")
    recon.add_argument("first", metavar="DAY", help="YYYY-MM-DD (terminal-local)")
    recon.add_argument("last", metavar="LAST_DAY", nargs="?", help="YYYY-MM-DD (a range)")
    days = sub.add_parser("reconciliation", parents=[common],
                          help="terminal-days: state, punches at the terminal and on the relay")
    days.add_argument("--serial")
    days.add_argument("--json", action="store_true")
    clock = sub.add_parser("clock", parents=[common], help="terminal clocks")
    csub = clock.add_subparsers(dest="action", required=True, metavar="ACTION")
    repair = csub.add_parser("repair", parents=[common],
                             help="set a terminal's clock again (drift before/after is kept)")
    repair.add_argument("serial")
    crepairs = csub.add_parser("list", parents=[common], help="clock repairs")
    crepairs.add_argument("--json", action="store_true")

    token = sub.add_parser("token", parents=[common], help="API tokens")
    tsub = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    tcreate = tsub.add_parser("create", parents=[common], help="create; prints the token once")
    tcreate.add_argument("name")
    tcreate.add_argument("--scope", default="events",
                         help="events (default: the pull API), biometric (templates, photos,"
                              " biometric commands) or events,biometric")
    tsub.add_parser("list", parents=[common])
    trevoke = tsub.add_parser("revoke", parents=[common])
    trevoke.add_argument("name")

    key = sub.add_parser("key", parents=[common], help="the relay's Ed25519 signing key")
    ksub = key.add_subparsers(dest="action", required=True, metavar="ACTION")
    kshow = ksub.add_parser("show", parents=[common],
                            help="key id and public key (base64); makes the key if none yet")
    kshow.add_argument("--json", action="store_true")

    enrol = sub.add_parser("enrol", parents=[common],
                           help="connect this relay to Odoo with a one-time enrolment code")
    enrol.add_argument("--odoo", required=True, help="Odoo's address, e.g. https://odoo.example.com")
    enrol.add_argument("--code", required=True, help="the enrolment code shown in Odoo")
    enrol.add_argument("--url", help="address where Odoo can reach this relay (pull mode),"
                       " e.g. https://relay-branch12.example.com")

    odoo = sub.add_parser("odoo", parents=[common], help="the link to Odoo")
    osub = odoo.add_subparsers(dest="action", required=True, metavar="ACTION")
    ostatus = osub.add_parser("status", parents=[common],
                              help="mode, last delivery, lag, last error (never the token)")
    ostatus.add_argument("--json", action="store_true")
    osub.add_parser("forget", parents=[common],
                    help="drop the link (stops pushing) and revoke the API token made for Odoo")

    sub.add_parser("prune", parents=[common],
                   help="run retention once (acknowledged events, reconciliation and health"
                        " history older than retention_days)")
    sub.add_parser("config", parents=[common], help="show the effective configuration")
    return parser


def _poll_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", help="poll this terminal with pyzk at this IP/host"
                        " (polling fallback); '' to stop polling")
    parser.add_argument("--port", type=int, help="TCP port for polling (default 4370)")
    parser.add_argument("--password", type=int, help="the terminal's comm key (default 0)")


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {"data_dir": getattr(args, "data_dir", None)}
    if args.command == "serve":
        overrides.update(host=args.host, port=args.port, threads=args.threads)
    return load_config(getattr(args, "config", None), overrides=overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = _config(args)
        load_cipher(config.biometric_key, config.biometric_key_file)  # a bad key stops here
    except (ConfigError, ValueError) as exc:
        print(f"zk-relay: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from zk_relay.server import serve, setup_logging

        setup_logging(args.log_level, args.log_format)
        return serve(config, ready_file=args.ready_file)
    if args.command == "config":
        for section, key, env, _default in describe_keys():
            value = getattr(config, key)
            if key == "biometric_key" and value:
                value = "<set, not shown>"  # a secret: never printed
            print(f"[{section}] {key} = {value!r}  (env {env})")
        print(f"# database: {config.db_path}")
        return 0
    store = Store(config.db_path, config.busy_timeout_ms)
    try:
        store.bio_cipher = load_cipher(config.biometric_key, config.biometric_key_file)
        return _run(args, store, config)
    except (ValueError, LookupError) as exc:
        print(f"zk-relay: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _run(args: argparse.Namespace, store: Store, config: Config) -> int:  # noqa: C901
    cmd = args.command
    if cmd == "device":
        if args.action in {"add", "update"}:
            if not adms.valid_serial(args.serial):
                raise ValueError("serial: 1-64 letters, digits, '-' or '_'")
            device, created = store.upsert_device(
                args.serial, timezone=args.tz, name=args.name, pushcommkey=args.pushcommkey,
                enabled=getattr(args, "enabled", None), create=args.action == "add",
                update=args.action == "update", address=args.address, port=args.port,
                comm_password=args.password)
            verb = "registered" if created else "updated"
            polled = (f", polled at {device['address']}:{device['port'] or 4370}"
                      if device["address"] else "")
            print(f"{verb} {device['serial']} ({device['timezone']})"
                  f"{' ' + device['name'] if device['name'] else ''}{polled}")
            return 0
        if args.action == "list":
            rows = [{k: d[k] for k in ("serial", "name", "timezone", "enabled", "last_seen",
                                       "created_at", "address", "port", "last_poll_ok",
                                       "poll_failures")} for d in store.devices()]
            emit(rows, ("serial", "name", "timezone", "enabled", "last_seen", "address"),
                  args.json)
            return 0
        if args.action == "remove":
            if not store.remove_device(args.serial):
                raise LookupError(f"device {args.serial} is not registered")
            print(f"removed {args.serial} (its stored data is kept)")
            return 0
    if cmd == "pending":
        emit(store.pending(), ("serial", "first_seen", "last_seen", "remote_addr", "knocks"),
              args.json)
        return 0
    if cmd == "events":
        rows = store.events_query(args.serial, _time_bound(args.since, False),
                                  _time_bound(args.until, True), args.after_id, args.limit)
        emit(rows, ("id", "serial", "pin", "local_time", "timezone", "status", "verify",
                     "workcode", "received_at"), args.json)
        return 0
    if cmd == "quarantine":
        rows, _ = store.quarantine_page(args.after_id, args.limit, args.serial)
        if not args.json:
            for row in rows:
                row["raw"] = repr(row["raw"])[1:-1][:60]
        emit(rows, ("id", "serial", "source", "reason", "received_at", "raw"), args.json)
        return 0
    if cmd == "commands":
        rows, _ = store.commands_page(args.after_id, args.limit, args.serial, args.state)
        if not args.json:
            for row in rows:
                row["command"] = repr(row["command"])[1:-1][:60]
        emit(rows, ("id", "serial", "kind", "state", "return_code", "created_at", "done_at",
                     "command"), args.json)
        return 0
    if cmd == "status":
        return print_status(store, args.json)
    if cmd == "reconcile":
        from zk_relay.recon_api import request_range

        runs = request_range(store, args.serial, args.first, args.last, "demand")
        for run in runs:
            print(f"reconciliation {run['id']}: {run['serial']} {run['day']} {run['state']}")
        print("the running relay asks the terminal within seconds; see `zk-relay"
              " reconciliation`")
        return 0
    if cmd == "reconciliation":
        return print_reconciliation(store, args.serial, args.json)
    if cmd == "clock":
        if args.action == "repair":
            repair = store.request_clock_repair(args.serial, "demand", None)
            print(f"clock repair {repair['id']} of {repair['serial']}: {repair['state']}; the"
                  " running relay carries it out (see `zk-relay clock list`)")
            return 0
        rows, _ = store.clock_repairs_page(0, 1000)
        emit(rows, ("id", "serial", "method", "origin", "state", "drift_before", "drift_after",
                    "requested_at", "measured_at"), args.json)
        return 0
    if cmd == "token":
        if args.action == "create":
            token = store.create_token(args.name, parse_scopes(args.scope))
            print(token)
            print(f"token {args.name!r} created; it is shown only once, store it now",
                  file=sys.stderr)
            return 0
        if args.action == "list":
            emit(store.tokens(), ("name", "created_at", "scope"), False)
            return 0
        if args.action == "revoke":
            if not store.revoke_token(args.name):
                raise LookupError(f"no token named {args.name!r}")
            print(f"revoked {args.name}")
            return 0
    if cmd == "key":
        return _key_show(config, args.json)
    if cmd == "enrol":
        return _enrol(args, store, config)
    if cmd == "odoo":
        if args.action == "status":
            return print_odoo_status(store, args.json)
        link = store.forget_odoo_link()
        if link is None:
            print("this relay is not enrolled with Odoo")
            return 0
        if link["token_name"]:
            store.revoke_token(link["token_name"])
        print(f"forgot the link to {link['odoo_url']} (relay {link['relay_id']}); revoked"
              f" API token {link['token_name']!r}")
        return 0
    if cmd == "prune":
        deleted = store.prune(config.retention_days)
        history = store.prune_history(config.retention_days)
        print(f"deleted {deleted} acknowledged event(s) and {history} reconciliation and health"
              f" row(s) older than {config.retention_days} days")
        return 0
    raise AssertionError(cmd)


def _key_show(config: Config, as_json: bool) -> int:
    from zk_relay.keys import load_or_create

    key = load_or_create(config.db_path.parent)
    info = {"alg": "ed25519", "key_id": key.key_id, "public_key": key.public_key_b64,
            "path": str(key.path)}
    if as_json:
        print(json.dumps(info, sort_keys=True))
    else:
        for k, v in info.items():
            print(f"{k}: {v}")
    return 0


def _enrol(args: argparse.Namespace, store: Store, config: Config) -> int:
    from zk_relay.keys import load_or_create
    from zk_relay.odoo_enrolment import EnrolError, enrol, is_plain_http_remote

    key = load_or_create(config.db_path.parent)
    if is_plain_http_remote(args.odoo):
        print("zk-relay: warning: plain http:// to a remote Odoo: the credentials and punches"
              " travel unencrypted; use https://", file=sys.stderr)
    try:
        result = enrol(store, config, key, odoo_url=args.odoo, code=args.code,
                       relay_url=args.url)
    except EnrolError as exc:
        print(f"zk-relay: enrolment failed: {exc}", file=sys.stderr)
        return 1
    _restrict(config)
    where = f", delivering to {result.delivery_url}" if result.mode == "push" else \
        " (Odoo pulls from this relay)"
    print(f"enrolled with {result.odoo_url} as relay {result.relay_id}: mode {result.mode}"
          f"{where}")
    print(f"signing key {key.key_id} registered; API token {result.token_name!r} handed to Odoo")
    if result.revoked_previous:
        print(f"revoked the previous enrolment's API token {result.revoked_previous!r}")
    print(f"{len(result.registered)} terminal(s) registered or updated"
          f"{': ' + ', '.join(result.registered) if result.registered else ''}")
    for serial, reason in result.skipped:
        print(f"zk-relay: warning: terminal {serial} from Odoo not registered: {reason}",
              file=sys.stderr)
    return 0


def _restrict(config: Config) -> None:
    """The store now holds Odoo's token: owner-only file modes (SQLite gives its -wal and
    -shm files the database's mode)."""
    import os

    for suffix in ("", "-wal", "-shm"):
        path = config.db_path.with_name(config.db_path.name + suffix)
        try:
            os.chmod(path, 0o600)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
