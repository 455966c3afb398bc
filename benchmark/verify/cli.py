"""``ood-icl verify DIR``: the command line of verification. Exit 0: verified; 1: problems; 2: bad arguments."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._args import nonneg_int
from .result import Verified
from .run import verify_run

_MAX_PRINTED = 200


def add_run_arguments(parser: argparse.ArgumentParser, *, seed_help: str) -> None:
    """The arguments of every command that verifies a run (``verify``, ``submit``)."""
    parser.add_argument("dir", type=Path, help="the lm_eval --output_path folder (results + --log_samples)")
    parser.add_argument("--seed", type=nonneg_int, default=None, help=seed_help)
    parser.add_argument("--allow-small", action="store_true",
                        help="accept episodes/queries other than the official ones (tests, quick looks)")
    parser.add_argument("--allow-partial", action="store_true",
                        help="accept a run covering only part of the suite (e.g. ood_icl_quick) or, with "
                             "--finetune, only some family x variant cells")


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add_run_arguments(parser, seed_help="the maintainers' secret seed: the run must have used it")
    parser.add_argument("--finetune", action="store_true",
                        help="DIR is the fine-tuning baseline's folder (tasks ood_icl_<family>_<variant>_ft<k>)")
    return parser


def report(v: Verified, stream=None) -> None:
    stream = stream or sys.stdout
    if v.ok:
        n_docs = sum(len(next(iter(t.scores.values()))) for t in v.tasks.values())
        print(f"OK {v.folder}: {len(v.tasks)} tasks, {n_docs} docs verified "
              f"(seed {v.seed}, {v.sizes.get('episodes')} episodes x {v.sizes.get('queries')} queries)", file=stream)
        return
    for problem in v.problems[:_MAX_PRINTED]:
        print(f"FAIL {problem}", file=stream)
    if len(v.problems) > _MAX_PRINTED:
        print(f"FAIL ... and {len(v.problems) - _MAX_PRINTED} more", file=stream)
    codes = sorted({p.code for p in v.problems})
    print(f"{len(v.problems)} problem(s) in {v.folder}: {', '.join(codes)}", file=stream)


def run(args: argparse.Namespace) -> int:
    if not args.dir.is_symlink() and not args.dir.is_dir():
        print(f"ood-icl verify: error: {args.dir}: not a folder", file=sys.stderr)
        return 2
    v = verify_run(args.dir, seed=args.seed, kind="ft" if args.finetune else "icl", allow_small=args.allow_small,
                   allow_partial=args.allow_partial)
    report(v)
    return 0 if v.ok else 1
