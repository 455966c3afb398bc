"""``ood-icl submit DIR --name NAME [--finetune DIR2]``: verify, store a record, rebuild the page.

The record (``leaderboard/submissions/<safe-name>.json``) holds per-doc correctness per task and
what is needed to rebuild every number; the lm-eval folders themselves are not copied.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..verify.cli import add_run_arguments, report
from ..verify.run import verify_run
from .build import build, default_dir
from .derive import build_record
from .record import slug, write_record


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add_run_arguments(parser, seed_help="maintainers' private seed: required of the run, kept out of the record")
    parser.add_argument("--name", required=True, help="display name, e.g. 'HuggingFaceTB/SmolLM2-135M'")
    parser.add_argument("--finetune", type=Path, default=None, metavar="DIR2",
                        help="the fine-tuning baseline's folder (same seed and sizes)")
    parser.add_argument("--dir", dest="leaderboard", type=Path, default=None,
                        help="the leaderboard folder (default: the checkout's leaderboard/)")
    parser.add_argument("--force", action="store_true", help="replace an existing record of the same name")
    parser.add_argument("--no-render", action="store_true", help="write the record only")
    return parser


def run(args: argparse.Namespace) -> int:
    prog = "ood-icl submit"
    try:
        name_slug = slug(args.name)
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    for path in (args.dir, args.finetune):
        if path is not None and not path.is_symlink() and not path.is_dir():
            print(f"{prog}: error: {path}: not a folder", file=sys.stderr)
            return 2
    folder = args.leaderboard or default_dir()
    target = folder / "submissions" / f"{name_slug}.json"
    if target.exists() and not args.force:
        print(f"{prog}: error: {target} already exists (pass --force to replace it)", file=sys.stderr)
        return 2
    icl = verify_run(args.dir, seed=args.seed, allow_small=args.allow_small, allow_partial=args.allow_partial)
    report(icl)
    ft = None
    if args.finetune is not None:
        ft = verify_run(args.finetune, seed=args.seed if args.seed is not None else icl.seed, kind="ft",
                        allow_small=args.allow_small, allow_partial=args.allow_partial)
        if ft.ok and (ft.seed, ft.sizes) != (icl.seed, icl.sizes):
            ft.add("mixed-metadata", str(args.finetune), "the fine-tuning run used another seed or other sizes")
        report(ft)
    if not icl.ok or (ft is not None and not ft.ok):
        print(f"{prog}: not submitted", file=sys.stderr)
        return 1
    record = build_record(args.name, icl, ft, private_seed=args.seed is not None)
    try:
        path = write_record(folder / "submissions", record, force=args.force)
    except (ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    if not args.no_render:
        build(folder)
        print(f"rebuilt {folder / 'README.md'} and {folder / 'index.html'}")
    return 0
