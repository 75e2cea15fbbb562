"""``zk-sim``: run a simulated terminal from the command line.

    zk-sim tcp --port 4370 --users 50 --days 30

serves generated users and punches over the pyzk TCP protocol until Ctrl-C (or SIGTERM).
Further simulators (the ADMS push terminal of issue 12) become further subcommands.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from types import FrameType

from .generate import generate_records, generate_users
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if args.mode == "tcp":
        return _run_tcp(args)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
