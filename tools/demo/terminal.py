"""One simulated terminal of the demo, as a process of its own.

    python tools/demo/terminal.py PLAN.json --url http://127.0.0.1:PORT

Pushes its backlog (the plan's punches) to the relay over ADMS the way firmware does, says
how many the relay acknowledged, then stays online polling for commands until SIGTERM or
SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.scenario import read_plan  # noqa: E402
from zk_sim import PushTerminal  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="the terminal's users and punches (JSON)")
    parser.add_argument("--url", required=True, help="the relay's base URL")
    parser.add_argument("--time-scale", type=float, default=0.2,
                        help="multiply the protocol's pauses (default 0.2)")
    args = parser.parse_args(argv)
    plan = read_plan(args.plan)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    terminal = PushTerminal(args.url, plan.serial, plan.users, plan.records,
                            profile=plan.profile, time_scale=args.time_scale)
    print(f"terminal {plan.serial} ({plan.name}, {plan.profile} firmware): pushing "
          f"{len(plan.records)} punches of {len(plan.users)} people", flush=True)
    while not stop.is_set() and not terminal.sync(deadline=time.monotonic() + 30):
        print(f"terminal {plan.serial}: the relay did not take everything yet, trying again",
              flush=True)
        stop.wait(1)
    missing = terminal.ledger.unacknowledged()
    print(f"terminal {plan.serial}: {len(plan.records) - len(missing)} punches acknowledged, "
          f"{len(missing)} waiting", flush=True)
    while not stop.is_set():  # online: a getrequest poll every Delay, as firmware does
        if not terminal.connected or terminal.marker < len(terminal.records):
            terminal.sync(deadline=time.monotonic() + 30)
        else:
            terminal.poll()
        stop.wait(max(terminal.delay * args.time_scale, 0.5))
    print(f"terminal {plan.serial}: switched off", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
