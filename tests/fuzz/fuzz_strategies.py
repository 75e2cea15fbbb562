"""Hypothesis strategies shared by the fuzz tests: terminal lines, good and bad."""

from __future__ import annotations

from datetime import datetime

from hypothesis import strategies as st

from zk_relay import adms_operlog

pins = st.text(alphabet="0123456789ABCDEFGHJKxyz", min_size=1, max_size=24)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)
                       ).map(lambda d: d.replace(microsecond=0))
small_ints = st.integers(min_value=0, max_value=255)
# one line of anything (no LF: the record separator), bytes or text
junk_bytes = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b""))
junk_text = st.text(max_size=60).map(lambda t: t.replace("\n", "").encode("utf-8"))
tabby = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(
    ["", " ", "2025-03-03", "08:00:00", "2025-03-03 08:00:00", "2025-02-30 08:00:00",
     "9999-99-99 99:99:99", "0", "255", "-1", "\x00", "\r", "\u2028", "１２３"])),
    max_size=12).map(lambda parts: "\t".join(parts).replace("\n", "").encode("utf-8"))
junk_line = st.one_of(junk_bytes, junk_text, tabby)

CHINESE = "张伟李娜王芳刘洋"
names = st.one_of(st.text(max_size=20).map(lambda t: t.encode("utf-8")),
                  st.text(alphabet=CHINESE, max_size=6).map(lambda t: t.encode("gb18030")),
                  st.binary(max_size=20))
user_rows = st.builds(
    lambda pin, name, pri, card: b"USER PIN=" + pin.encode() + b"\tName=" +
    name.replace(b"\t", b" ").replace(b"\n", b" ") + b"\tPri=" + pri.encode() + b"\tPasswd=\t"
    b"Card=" + card.encode() + b"\tGrp=1\tTZ=0000000000000000\tVerify=0",
    pins, names, st.sampled_from(["0", "14", "x", ""]), st.sampled_from(["", "[15CD5B07]"]))
operlog_rows = st.one_of(
    user_rows,
    st.builds(lambda op, t: f"OPLOG {op}\t0\t{t}\t1\t2\t3\t4".encode(), st.integers(-5, 200),
              moments.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))),
    st.builds(lambda kind, pin: f"{kind} PIN={pin}\tFID=1\tSize=4\tValid=1\tTMP=AAAA".encode(),
              st.sampled_from(sorted(adms_operlog.BIO_KINDS)), pins),
    junk_line,
)
