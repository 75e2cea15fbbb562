"""``zk-sim tcp`` as a user runs it: a process serving generated data to pyzk until stopped."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from datetime import date

import pytest
from sim_helpers import CLIENT_TIMEOUT
from zk import ZK

from zk_rules.terminal_records import record_from_pyzk
from zk_sim.generate import generate_records, generate_users


@pytest.mark.slow
def test_cli_serves_generated_users_and_punches_until_interrupted():
    command = [
        sys.executable, "-c", "import sys; from zk_sim.cli import main; sys.exit(main())",
        "tcp", "--port", "0", "--users", "5", "--days", "10", "--last-day", "2025-03-07",
        "--seed", "3", "--password", "77", "--serial", "CLI0001",
    ]
    # Ctrl-C in a terminal: SIGINT at its default, even when the tests themselves were started
    # in the background (a shell's background job inherits SIGINT ignored).
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        banner = proc.stdout.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", banner)
        assert match, (banner, proc.stderr.read() if proc.poll() is not None else "")
        conn = ZK("127.0.0.1", port=int(match.group(1)), timeout=CLIENT_TIMEOUT, password=77,
                  force_udp=False, ommit_ping=True).connect()
        served_users = conn.get_users()
        served = conn.get_attendance()
        serial = conn.get_serialnumber()
        conn.disconnect()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)  # stop() may wait 5 s per thread

    users = generate_users(5, seed=3)
    expected = generate_records(users, 10, last_day=date(2025, 3, 7), seed=3)
    assert serial == "CLI0001"
    assert [u.user_id for u in served_users] == ["0001", "0002", "0003", "0004", "0005"]
    assert [record_from_pyzk(a) for a in served] == [
        {"pin": r.pin, "local_time": r.local_time_text, "status": r.status, "verify": r.verify}
        for r in expected
    ]
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_cli_refuses_negative_counts(capsys):
    from zk_sim.cli import main

    assert main(["tcp", "--users", "-1"]) == 2
    assert "must be >= 0" in capsys.readouterr().err
