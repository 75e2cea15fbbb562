"""Read one ZKTeco terminal over its TCP protocol with pyzk and print JSON. No Odoo import.

Run as a child process by lib/direct_poll.py: pyzk 0.9 can spin forever when a terminal
closes the connection mid-transfer (its socket timeout never fires), so the parent keeps a
hard deadline and kills this process if it passes.

    python pyzk_worker.py HOST PORT PASSWORD TIMEOUT
"""

import json
import sys


def main(argv):
    from zk import ZK

    from zk_rules.terminal_records import record_from_pyzk, user_from_pyzk

    host, port, password, timeout = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    zk = ZK(host, port=port, timeout=timeout, password=password, force_udp=False,
            ommit_ping=True)
    conn = zk.connect()
    try:
        result = {"serial": conn.get_serialnumber(), "firmware": conn.get_firmware_version(),
                  "users": [], "records": [], "rejected": []}
        for user in conn.get_users():
            try:
                result["users"].append(user_from_pyzk(user))
            except ValueError as exc:
                result["rejected"].append({"kind": "user", "raw": repr(user), "reason": str(exc)})
        for attendance in conn.get_attendance():
            try:
                result["records"].append(record_from_pyzk(attendance))
            except ValueError as exc:
                result["rejected"].append({"kind": "record", "raw": repr(attendance),
                                           "reason": str(exc)})
    finally:
        conn.disconnect()
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one clear line
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.exit(1)
