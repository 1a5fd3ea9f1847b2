"""python -m engine merge OUT SHARD_REPORT...: one report from CI shards' reports."""

import argparse
from pathlib import Path

from engine.report import merge_files

cli = argparse.ArgumentParser(prog="python -m engine")
commands = cli.add_subparsers(dest="command", required=True)
merge = commands.add_parser("merge", help="merge the reports of CI shards (--shard) into one")
merge.add_argument("out", type=Path)
merge.add_argument("sources", type=Path, nargs="+")
args = cli.parse_args()
merge_files(args.out, args.sources)
print(f"{args.out}: {len(args.sources)} reports merged")
