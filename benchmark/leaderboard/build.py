"""Rebuild leaderboard/README.md and leaderboard/index.html from the records.

The page and the table are a pure function of ``leaderboard/submissions/*.json`` (and the
code): the same records give the same bytes.  No number is taken from a record that can be
derived: each record is re-derived first (``rederive``), and one that does not match is refused.
"""

from __future__ import annotations

from pathlib import Path

from ..io import write_atomic
from ..suite import DEFAULT_EPISODES, DEFAULT_QUERIES, PUBLISHED_SEED
from .columns import Entry, sort_key
from .derive import reference_records
from .page import render_html
from .readme import render_readme
from .record import FT_BUDGETS, read_records, write_record
from .rederive import board, lacks
from .stats import compute


def default_dir() -> Path:
    """The checkout's leaderboard/ when run from a checkout, else ./leaderboard."""
    here = Path(__file__).resolve().parents[2] / "leaderboard"
    return here if here.is_dir() else Path("leaderboard")


def entries(folder: Path) -> tuple[list[Entry], list[Entry], list[str]]:
    """(ranked entries, partial entries, refused lines): every record read as data, re-derived
    (``rederive.board``), and split; a partial record (``rederive.lacks``) never ranks."""
    records, refused = read_records(folder / "submissions")
    shown, refused_too = board(records)
    built = sorted((Entry(r, compute(r)) for r in shown), key=sort_key)
    ranked = [e for e in built if not lacks(e.record)]
    partial = [e for e in built if lacks(e.record)]
    return ranked, partial, refused + refused_too


def render(folder: Path) -> dict[str, str]:
    """File name -> content of the generated files: a pure function of the re-derived records."""
    ranked, partial, refused = entries(folder)
    return {"README.md": render_readme(ranked, refused, partial), "index.html": render_html(ranked, refused, partial)}


def check(folder: Path) -> list[str]:
    """``ood-icl leaderboard --check``: one line per record that does not re-derive and per stale file."""
    _, _, refused = entries(folder)
    return [f"REFUSED {line}" for line in refused] + [f"STALE {folder / name}: run `ood-icl leaderboard`"
                                                      for name in stale(folder)]


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
        write_atomic(path, text)
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
    """Write (or replace) the ideal-learner, copy-baseline and chance records; k covers the records' fine-tuning budgets."""
    records, _ = read_records(folder / "submissions")
    budgets = tuple(sorted({s["k"] for r in records if r.kind == "model" for s in r.series if s["method"] == "ft"}
                           & set(FT_BUDGETS)))
    return [write_record(folder / "submissions", rec, force=True)
            for rec in reference_records(seed=seed, episodes=episodes, queries=queries, extra_ks=budgets)]
