"""``zk-replay``: reproduce a day or a CTO ledger from a JSON file (engine-rules.md Part G).

    zk-replay day  INPUT.json   # G1: daily engine input document -> output document
    zk-replay bank INPUT.json   # G2: CTO bank input document -> output document

INPUT may be ``-`` for standard input. Output is JSON on standard output; a bad document
prints a clear error naming the field on standard error and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


def _load(path: str) -> Any:
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _runner(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    # Imported lazily so one rule set's import cost never burdens the other.
    if kind == "day":
        from zk_rules.engine.replay import replay_document
    else:
        from zk_rules.cto.replay import replay_document
    return replay_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zk-replay", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["day", "bank"], help="day = engine G1, bank = CTO G2")
    parser.add_argument("input", help="input document (JSON file, or - for stdin)")
    parser.add_argument("--indent", type=int, default=2, help="JSON indent (default 2)")
    args = parser.parse_args(argv)
    try:
        document = _load(args.input)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"zk-replay: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(document, dict):
        print("zk-replay: the input document must be a JSON object", file=sys.stderr)
        return 2
    try:
        result = _runner(args.kind)(document)
    except ValueError as exc:  # the rule modules' input errors
        print(f"zk-replay: invalid input: {exc}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, indent=args.indent, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
