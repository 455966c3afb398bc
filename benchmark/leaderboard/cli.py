"""``ood-icl leaderboard``: rebuild leaderboard/README.md and index.html; ``--add-reference`` writes
the ideal-learner, copy-baseline and chance records from the generators first; ``--check`` re-derives every record and
exits 1 when one does not match (a hand edit) or when the files are stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._args import pos_int
from ..suite import DEFAULT_EPISODES, DEFAULT_QUERIES
from .build import add_reference, build, check, default_dir
from .rederive import board
from .record import read_records


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--dir", type=Path, default=None,
                        help="the leaderboard folder (default: the checkout's leaderboard/)")
    parser.add_argument("--add-reference", action="store_true",
                        help="(re)write the ideal-learner, copy-baseline and chance records for the published seed first")
    parser.add_argument("--check", action="store_true", help="write nothing; re-derive every record; exit 1 on any mismatch or if README.md/index.html are stale")
    parser.add_argument("--episodes", type=pos_int, default=DEFAULT_EPISODES, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=pos_int, default=DEFAULT_QUERIES, help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    folder = args.dir or default_dir()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        print(f"ood-icl leaderboard: error: --dir {folder}: not a folder", file=sys.stderr)
        return 2
    if args.check:
        lines = check(folder)
        for line in lines:
            print(line)
        if not lines:
            print(f"OK {folder}: every record re-derives and README.md, index.html are current")
        return 1 if lines else 0
    if args.add_reference:
        for path in add_reference(folder, episodes=args.episodes, queries=args.queries):
            print(f"wrote {path}")
    records, refused = read_records(folder / "submissions")
    records, refused_too = board(records)
    for line in refused + refused_too:
        print(f"REFUSED {line}", file=sys.stderr)
    changed = build(folder)
    print(f"{len(records)} records -> {folder / 'README.md'}, {folder / 'index.html'}"
          + ("" if changed else " (unchanged)"))
    return 0
