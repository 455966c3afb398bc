"""``ood-icl leaderboard``: rebuild leaderboard/README.md and leaderboard/index.html from the records.

The page and the table are a pure function of ``leaderboard/submissions/*.json`` (and the
code): the same records give the same bytes.  ``--add-reference`` writes the ideal-learner
and chance records from the generators; ``--check`` exits 1 when the files are stale.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from . import PUBLISHED_SEED
from .dataset import DEFAULT_EPISODES, DEFAULT_QUERIES
from .leaderboard_columns import Entry, sort_key
from .leaderboard_page import render_html
from .leaderboard_readme import render_readme
from .leaderboard_record import read_records, reference_records, write_record
from .leaderboard_stats import compute

__all__ = ["add_reference", "build", "configure_parser", "default_dir", "render", "run", "stale"]


def default_dir() -> Path:
    """The checkout's leaderboard/ when run from a checkout, else ./leaderboard."""
    here = Path(__file__).resolve().parent.parent / "leaderboard"
    return here if here.is_dir() else Path("leaderboard")


def render(folder: Path) -> dict[str, str]:
    """File name -> content of the generated files, from the records under ``folder/submissions``."""
    records, refused = read_records(folder / "submissions")
    entries = sorted((Entry(r, compute(r)) for r in records), key=sort_key)
    return {"README.md": render_readme(entries, refused), "index.html": render_html(entries, refused)}


def build(folder: Path) -> list[str]:
    """Write the generated files (atomically); return the names that changed."""
    if folder.is_symlink():
        raise ValueError(f"{folder}: symlinks are refused")
    folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in render(folder).items():
        path = folder / name
        if path.is_symlink():
            raise ValueError(f"{path}: symlinks are refused")
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        changed.append(name)
    return changed


def stale(folder: Path) -> list[str]:
    out = []
    for name, text in render(folder).items():
        path = folder / name
        if path.is_symlink() or not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(name)
    return out


def add_reference(folder: Path, *, seed: int = PUBLISHED_SEED, episodes: int = DEFAULT_EPISODES,
                  queries: int = DEFAULT_QUERIES) -> list[Path]:
    """Write (or replace) the ideal-learner and chance records; k covers the records' fine-tuning budgets."""
    records, _ = read_records(folder / "submissions")
    budgets = tuple(sorted({s["k"] for r in records if r["kind"] == "model" for s in r["series"]
                            if s["method"] == "ft"}))
    return [write_record(folder / "submissions", rec, force=True)
            for rec in reference_records(seed=seed, episodes=episodes, queries=queries, extra_ks=budgets)]


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--dir", type=Path, default=None,
                        help="the leaderboard folder (default: the checkout's leaderboard/)")
    parser.add_argument("--add-reference", action="store_true",
                        help="(re)write the ideal-learner and chance records for the published seed first")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if README.md/index.html are stale")
    parser.add_argument("--episodes", type=_positive, default=DEFAULT_EPISODES, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=_positive, default=DEFAULT_QUERIES, help=argparse.SUPPRESS)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    folder = args.dir or default_dir()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        print(f"ood-icl leaderboard: error: --dir {folder}: not a folder", file=sys.stderr)
        return 2
    if args.check:
        names = stale(folder)
        for name in names:
            print(f"STALE {folder / name}: run `ood-icl leaderboard`")
        return 1 if names else 0
    if args.add_reference:
        for path in add_reference(folder, episodes=args.episodes, queries=args.queries):
            print(f"wrote {path}")
    records, refused = read_records(folder / "submissions")
    for line in refused:
        print(f"REFUSED {line}", file=sys.stderr)
    changed = build(folder)
    print(f"{len(records)} records -> {folder / 'README.md'}, {folder / 'index.html'}"
          + ("" if changed else " (unchanged)"))
    return 0
