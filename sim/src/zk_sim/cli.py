"""``zk-sim``: run a simulated terminal from the command line.

    zk-sim tcp --port 4370 --users 50 --days 30
    zk-sim push --url http://127.0.0.1:8080 --serial SIM0001 --employees 20 --days 3

``tcp`` serves generated users and punches over the pyzk TCP protocol until Ctrl-C (or
SIGTERM). ``push`` is an ADMS push terminal: it delivers generated punches to a relay the way
firmware does, prints what was generated and acknowledged, and with ``--realtime`` keeps
polling and punching.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from types import FrameType

from .generate import generate_records, generate_users
from .push_terminal import PROFILES, PushTerminal
from .tcp_terminal import DEFAULT_FIRMWARE, DEFAULT_SERIAL, TcpTerminal


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zk-sim", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log every session")
    sub = parser.add_subparsers(dest="mode", required=True)

    tcp = sub.add_parser("tcp", help="a terminal speaking the ZK binary TCP protocol (pyzk)")
    tcp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    tcp.add_argument("--port", type=int, default=4370, help="port (default 4370; 0 = any)")
    tcp.add_argument("--users", type=int, default=20, help="number of enrolled users")
    tcp.add_argument("--days", type=int, default=7, help="days of punches to generate")
    tcp.add_argument("--last-day", type=_day, help="last day with punches (default yesterday)")
    tcp.add_argument("--seed", type=int, default=1, help="random seed for the generated data")
    tcp.add_argument("--password", type=int, default=0, help="comm password (0 = none)")
    tcp.add_argument("--serial", default=DEFAULT_SERIAL, help="serial number")
    tcp.add_argument("--firmware", default=DEFAULT_FIRMWARE, help="firmware version text")

    push = sub.add_parser("push", help="an ADMS push terminal delivering punches to a relay")
    push.add_argument("--url", default="http://127.0.0.1:8080", help="relay base URL")
    push.add_argument("--serial", default="SIM0001", help="serial number (register it first)")
    push.add_argument("--employees", type=int, default=20, help="number of enrolled users")
    push.add_argument("--days", type=int, default=3, help="days of punches in the backlog")
    push.add_argument("--last-day", type=_day, help="last day with punches (default yesterday)")
    push.add_argument("--seed", type=int, default=1, help="random seed for the generated data")
    push.add_argument("--profile", choices=sorted(PROFILES), default="modern",
                      help="firmware: modern 2.4.x, legacy 4-field, essl .aspx")
    push.add_argument("--realtime", action="store_true",
                      help="after the backlog, keep polling and punching (Ctrl-C stops)")
    push.add_argument("--punch-every", type=float, default=5.0,
                      help="seconds between live punches with --realtime (default 5)")
    push.add_argument("--seconds", type=float, help="stop after this many seconds")
    push.add_argument("--clock-offset", type=int, default=0,
                      help="minutes the terminal clock is off (negative = set back)")
    push.add_argument("--malformed-rate", type=float, default=0.0,
                      help="share of batches that carry one malformed line (0-1)")
    push.add_argument("--time-scale", type=float, default=1.0,
                      help="multiply every pause and poll delay (0.1 = ten times faster)")
    push.add_argument("--max-offline-cycles", type=int, default=3,
                      help="give up after this many failed ErrorDelay cycles (0 = never)")
    push.add_argument("--pushcommkey", help="pushcommkey sent at the handshake")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if args.mode == "tcp":
        return _run_tcp(args)
    if args.mode == "push":
        return _run_push(args)
    return 2  # pragma: no cover - argparse requires a mode


def _run_tcp(args: argparse.Namespace) -> int:
    if args.users < 0 or args.days < 0:
        print("zk-sim: --users and --days must be >= 0", file=sys.stderr)
        return 2
    users = generate_users(args.users, seed=args.seed)
    last_day = args.last_day or (date.today() - timedelta(days=1))
    records = generate_records(users, args.days, last_day=last_day, seed=args.seed)
    terminal = TcpTerminal(
        users,
        records,
        host=args.host,
        port=args.port,
        password=args.password,
        serial=args.serial,
        firmware=args.firmware,
    )
    try:
        terminal.start()
    except OSError as exc:
        print(f"zk-sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"zk-sim: terminal {args.serial} listening on {args.host}:{terminal.port} "
        f"({len(users)} users, {len(records)} records up to {last_day}); Ctrl-C stops",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        terminal.stop()
    print("zk-sim: stopped", flush=True)
    return 0


def _run_push(args: argparse.Namespace) -> int:
    if args.employees < 0 or args.days < 0 or not 0 <= args.malformed_rate <= 1:
        print("zk-sim: --employees and --days must be >= 0, --malformed-rate 0-1",
              file=sys.stderr)
        return 2
    users = generate_users(args.employees, seed=args.seed)
    last_day = args.last_day or (date.today() - timedelta(days=1))
    records = generate_records(users, args.days, last_day=last_day, seed=args.seed)
    try:
        terminal = PushTerminal(
            args.url, args.serial, users, records, profile=args.profile,
            time_scale=args.time_scale, clock_offset=timedelta(minutes=args.clock_offset),
            clock_sync=args.clock_offset == 0, malformed_rate=args.malformed_rate,
            seed=args.seed, pushcommkey=args.pushcommkey,
            max_offline_cycles=args.max_offline_cycles or None,
        )
    except ValueError as exc:
        print(f"zk-sim: {exc}", file=sys.stderr)
        return 2
    print(f"zk-sim: terminal {args.serial} ({args.profile}) pushing {len(records)} punches of "
          f"{len(users)} users to {args.url}", flush=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if args.realtime:
            terminal.run(args.seconds, punch_every=args.punch_every, stop=stop)
        else:
            deadline = None if args.seconds is None else time.monotonic() + args.seconds
            terminal.sync(deadline=deadline)
    except KeyboardInterrupt:
        pass
    ledger = terminal.ledger
    attlog = ledger.batch_sizes()
    missing = ledger.unacknowledged()
    print(f"zk-sim: generated {len(ledger.generated)}, acknowledged "
          f"{len(ledger.generated) - len(missing)}, not acknowledged {len(missing)}; "
          f"{len(attlog)} ATTLOG posts ({sum(1 for _, ok in attlog if not ok)} failed), "
          f"{ledger.handshakes} handshakes, {len(ledger.commands)} commands, "
          f"{len(ledger.malformed_sent)} malformed lines sent", flush=True)
    return 0 if not missing else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
