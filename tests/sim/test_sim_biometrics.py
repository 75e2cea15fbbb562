"""The push-terminal simulator's biometric memory (issue 19): templates per PIN, algorithm
versions in INFO, enrolment uploads, and firmware's answers to the biometric commands
(adms-protocol.md §4.3, §4.5, §4.7, §4.8) — executed directly, no server needed."""

from __future__ import annotations

import base64

from zk_sim.biometrics import fake_template
from zk_sim.model import TerminalUser
from zk_sim.push_terminal import PushTerminal


def sim(**kw: object) -> PushTerminal:
    return PushTerminal("http://127.0.0.1:9", "SIMBIO", [TerminalUser(1, "1", "Ana")],
                        time_scale=0, **kw)  # type: ignore[arg-type]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def fingertmp(pin: str, fid: int, data: bytes, size: int | None = None) -> str:
    tmp = b64(data)
    return (f"DATA UPDATE FINGERTMP PIN={pin}\tFID={fid}\tSize={size or len(tmp)}\tValid=1"
            f"\tTMP={tmp}")


def biodata(pin: str, kind_type: int, major: int, data: bytes, no: int = 0) -> str:
    return (f"DATA UPDATE BIODATA Pin={pin}\tNo={no}\tIndex=0\tValid=1\tDuress=0"
            f"\tType={kind_type}\tMajorVer={major}\tMinorVer=0\tFormat=0\tTmp={b64(data)}")


def test_issue19_user_add_is_rejected_like_real_firmware() -> None:
    terminal = sim()
    assert terminal.execute("1", "USER ADD PIN=2\tName=Bo")[0] == -1002
    assert terminal.execute("2", "DATA DEL USERINFO PIN=1")[0] == -1002
    assert "2" not in terminal.users and "1" in terminal.users


def test_issue19_fingertmp_and_biodata_are_stored_per_pin() -> None:
    terminal = sim(capacity={"faces": 10})
    finger = fake_template("1", "fingerprint", 6)
    face = fake_template("1", "face", 0, 1500)
    code, result, _ = terminal.execute("7", fingertmp("1", 6, finger))
    assert (code, result) == (0, "ID=7&Return=0&CMD=DATA")
    assert terminal.execute("8", biodata("1", 2, 7, face))[0] == 0
    held = {(t.kind, t.index): t.data for t in terminal.bio.of("1")}
    assert held == {("fingerprint", 6): finger, ("face", 0): face}
    assert terminal.execute("9", "DATA DELETE FINGERTMP PIN=1\tFID=6")[0] == 0
    assert [t.kind for t in terminal.bio.of("1")] == ["face"]
    assert terminal.execute("10", "DATA DELETE USERINFO PIN=1")[0] == 0
    assert terminal.bio.of("1") == [] and "1" not in terminal.users
    # the PIN is gone now: -10 (user not on the terminal)
    assert terminal.execute("11", "DATA DELETE USERINFO PIN=1")[0] == -10


def test_issue19_firmware_error_codes() -> None:
    terminal = sim(capacity={"fingerprints": 1, "faces": 10})
    data = fake_template("1", "fingerprint", 0)
    assert terminal.execute("1", fingertmp("404", 0, data))[0] == -10  # PIN unknown
    assert terminal.execute("2", fingertmp("1", 0, data, size=3))[0] == -9  # size mismatch
    assert terminal.execute("3", biodata("1", 2, 12, data))[0] == -30  # face algorithm 7
    assert terminal.execute("4", fingertmp("1", 0, data))[0] == 0
    assert terminal.execute("5", fingertmp("1", 1, data))[0] == -1001  # one slot: full
    assert terminal.execute("6", fingertmp("1", 0, data))[0] == 0  # replacing fits
    assert terminal.execute("7", "DATA UPDATE FINGERTMP PIN=1\tFID=2\tValid=1\tTMP=@@")[0] \
        == -11


def test_issue19_info_reports_algorithm_versions_and_counts() -> None:
    terminal = sim(bio_versions={"fingerprint": 12}, capacity={"faces": 10})
    terminal.enrol("1", "fingerprint", 0)
    _code, result, _ = terminal.execute("1", "INFO")
    lines = result.split("\n")
    assert "FPVersion=12" in lines and "FaceVersion=7" in lines and "PvVersion=1" in lines
    assert "FPCount=1" in lines
    info = terminal.info_query().split(",")
    assert info[2] == "1" and info[5] == "12" and info[6] == "7"


def test_issue19_enrolment_queues_the_upload_rows() -> None:
    terminal = sim(capacity={"faces": 10})
    finger = terminal.enrol("2", "fingerprint", 3, name="Bo")
    face = terminal.enrol("2", "face", 0)
    assert terminal.users["2"].name == "Bo"
    (t1, fp_row), (t2, face_row) = terminal.bio_pending
    assert t1 == "OPERLOG" and fp_row.startswith("FP PIN=2\tFID=3\tSize=")
    assert fp_row.endswith("TMP=" + b64(finger.data))
    assert t2 == "BIODATA" and "\tType=2\tMajorVer=7\t" in face_row
    assert face_row.endswith("Tmp=" + b64(face.data))
    # with BIODATA support fingerprints go as BIODATA rows too
    modern = sim(biodata_fingerprints=True)
    modern.enrol("3")
    assert modern.bio_pending[0][0] == "BIODATA" and "\tType=1\t" in modern.bio_pending[0][1]
