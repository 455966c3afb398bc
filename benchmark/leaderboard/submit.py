"""``ood-icl submit DIR --name NAME [--finetune DIR2]``: verify, store a record, rebuild the page.

The record (``leaderboard/submissions/<safe-name>.json``) holds per-doc correctness per task and
what is needed to rebuild every number; the lm-eval folders themselves are not copied.  A submitted
record is self-reported: its seed is in the open, even when ``--seed`` named it (only ``ood-icl
rescore`` seals a seed).  The k0 floor's tasks are kept on the suite's episodes (their first docs);
tasks a record cannot hold (the quick group's copies, budgets the board does not show) are left out
with one line per reason, naming them all; the record is re-derived before it is written, so a
submission that the board would refuse is refused here, and nothing half-written is left.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..finetune.recipe import TRAIN_SEED
from ..verify.cli import add_run_arguments, report
from ..verify.pair import check_same_model
from ..verify.run import verify_run
from .build import build, default_dir
from .derive import build_record
from .names import skeleton
from .record import Record, RecordError, read_records, slug, write_record
from .rederive import rederive


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add_run_arguments(parser, seed_help="the seed the run must have used (recorded in the open: a submission "
                                        "is self-reported; maintainers seal a seed with `ood-icl rescore`)")
    add_record_arguments(parser)
    return parser


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of every command that stores a record (``submit``, ``rescore``)."""
    parser.add_argument("--name", required=True, help="display name, e.g. 'HuggingFaceTB/SmolLM2-135M'")
    parser.add_argument("--finetune", type=Path, default=None, metavar="DIR2",
                        help="the fine-tuning baseline's folder (same seed, sizes and model)")
    parser.add_argument("--dir", dest="leaderboard", type=Path, default=None,
                        help="the leaderboard folder (default: the checkout's leaderboard/)")
    parser.add_argument("--force", action="store_true", help="replace an existing record of the same name")
    parser.add_argument("--no-render", action="store_true", help="write the record only")


def name_problem(name: str, folder: Path, force: bool) -> str | None:
    """Why ``name`` cannot be stored under ``folder``: unusable, taken, or a look-alike of another entry's."""
    try:
        name_slug = slug(name)
    except ValueError as exc:
        return str(exc)
    target = folder / "submissions" / f"{name_slug}.json"
    if target.exists() and not force:
        return f"{target} already exists (pass --force to replace it)"
    records, _ = read_records(folder / "submissions")
    for other in records:
        if other.slug != name_slug and skeleton(other.name) == skeleton(name):
            return f"--name {name!r} looks like the entry {other.name!r} ({other.slug}.json)"
    return None


def verify_pair(args: argparse.Namespace, seed: int | None):
    """The verified in-context run and, with ``--finetune``, its fine-tuning half (same seed, sizes, model)."""
    icl = verify_run(args.dir, seed=seed, allow_small=args.allow_small, allow_partial=args.allow_partial)
    report(icl)
    ft = None
    if args.finetune is not None:
        ft = verify_run(args.finetune, seed=seed, kind="ft",  # checked against its own seed, then the pair's below
                        allow_small=args.allow_small, allow_partial=args.allow_partial)
        if ft.ok and icl.ok:
            if (ft.seed, ft.sizes) != (icl.seed, icl.sizes):
                ft.add("mixed-metadata", str(args.finetune),
                       f"the fine-tuning run used seed {ft.seed}, sizes {ft.sizes}; the in-context run seed {icl.seed}, "
                       f"sizes {icl.sizes}")
            check_same_model(icl, ft)
            _check_train_seed(ft, str(args.finetune))
        report(ft)
    return icl, ft


def _check_train_seed(ft, where: str) -> None:
    """The board takes the protocol's train seed only: an entry is never the best of several runs."""
    try:
        seeds = json.loads(ft.method.get("seeds", "null"))
    except (TypeError, ValueError):
        seeds = None
    train = seeds.get("train") if isinstance(seeds, dict) else None
    if train != TRAIN_SEED:
        ft.add("seed-mismatch", where, f"the fine-tuning run's train seed is {str(train)[:20]}: the board takes the "
                                       f"protocol's ({TRAIN_SEED}), so that no entry is the best of several runs")


def ignored_lines(ignored: list[str]) -> list[str]:
    """The ``"task: reason"`` lines of the tasks a record left out, one line per reason (in first-seen
    order) naming all its tasks (a run with the quick group beside the suite: its copies, one line)."""
    groups: dict[str, list[str]] = {}
    for line in ignored:
        name, _, reason = line.partition(": ")
        groups.setdefault(reason, []).append(name)
    return [f"{', '.join(names)}{f' ({len(names)} tasks)' if len(names) > 1 else ''}: {reason}"
            for reason, names in groups.items()]


def store(prog: str, args: argparse.Namespace, make) -> int:
    """Build the record with ``make(ignored)``, re-derive it as the board will, write it, rebuild."""
    ignored: list[str] = []
    try:
        record: Record = make(ignored)
        for line in ignored_lines(ignored):
            print(f"IGNORED {line}")
        rederive(record)
        folder = args.leaderboard or default_dir()
        path = write_record(folder / "submissions", record, force=args.force)
    except (RecordError, ValueError, OSError) as exc:
        print(f"{prog}: not stored: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    if not args.no_render:
        build(folder)
        print(f"rebuilt {folder / 'README.md'} and {folder / 'index.html'}")
    return 0


def check_folders(prog: str, args: argparse.Namespace) -> bool:
    for path in (args.dir, args.finetune):
        if path is not None and not path.is_symlink() and not path.is_dir():
            print(f"{prog}: error: {path}: not a folder", file=sys.stderr)
            return False
    return True


def run(args: argparse.Namespace) -> int:
    prog = "ood-icl submit"
    why = name_problem(args.name, args.leaderboard or default_dir(), args.force)
    if why is not None:
        print(f"{prog}: error: {why}", file=sys.stderr)
        return 2
    if not check_folders(prog, args):
        return 2
    icl, ft = verify_pair(args, args.seed)
    if not icl.ok or (ft is not None and not ft.ok):
        print(f"{prog}: not submitted", file=sys.stderr)
        return 1
    return store(prog, args, lambda ignored: build_record(args.name, icl, ft, ignored=ignored))
