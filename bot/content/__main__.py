"""`python -m bot.content check [--json] [--root DIR]`: validate the question bank and report on it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.content.loader import collect
from bot.content.report import build_report, render_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.content", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate content/ and print counts; exit 1 on any problem")
    check.add_argument("--json", action="store_true", help="print the report as one JSON object")
    check.add_argument("--root", type=Path, default=None, help="content folder (default: $MLSQUIZ_CONTENT or content/)")
    check.add_argument("--only", default=None, metavar="FILE",
                       help="list only the problems of this file (e.g. questions/de1.yaml), while writing it")
    args = parser.parse_args(argv)

    root = args.root
    if root is None:
        from bot.config import content_root_from_env

        root = content_root_from_env()
    bank, problems = collect(root)
    if args.only:
        wanted = args.only.removeprefix("content/")
        problems = [p for p in problems if p.file == wanted]
    report = build_report(bank, problems)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    return 1 if report["problems"] or not report["questions"] else 0


if __name__ == "__main__":
    sys.exit(main())
