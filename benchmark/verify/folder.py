"""The files of one lm_eval run, found by listing its folder: names from the data are matched, never joined.

Each file is then read through ``ood_icl.io`` (bounded, strict, no symlinks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..io import DataError, shown

MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_FILES = 5000

RESULTS_RE = re.compile(r"^results_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]{1,40})\.json$")
SAMPLES_RE = re.compile(r"^samples_(?P<task>[a-z0-9_]{1,160}?)_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]{1,40})\.jsonl$")


@dataclass
class RunFolder:
    """The files of one lm_eval run: its results JSON and the samples files of the same run."""

    folder: Path
    results: Path
    date: str
    samples: dict[str, Path] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (code, where, detail)


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        entries = []
        for entry in it:
            entries.append(entry)
            if len(entries) > MAX_FILES:
                raise DataError("too-large", f"{folder.name}: more than {MAX_FILES} entries")
        return sorted(entries, key=lambda e: e.name)


def locate(path: Path) -> RunFolder:
    """Find the one run under ``path`` (the ``--output_path`` folder or its model subfolder).

    Raises DataError when there is no single run to verify; problems with individual
    files (symlinks, odd names, stray samples) are collected in ``RunFolder.problems``.
    """
    if os.path.islink(path):
        raise DataError("symlink", "symlinks are refused")
    if not path.is_dir():
        raise DataError("no-results", "not a folder")
    candidates = [path]
    for entry in _entries(path):
        if entry.is_dir(follow_symlinks=False):
            candidates.append(Path(entry.path))
    found = []
    for folder in candidates:
        for entry in _entries(folder):
            match = RESULTS_RE.match(entry.name)
            if match:
                found.append((folder, entry, match["date"]))
    if not found:
        raise DataError("no-results", "no results_<date>.json here or one folder below")
    if len(found) > 1:
        names = ", ".join(shown(str(Path(f).relative_to(path) / e.name)) for f, e, _ in found[:5])
        raise DataError("ambiguous-results", f"{len(found)} results files ({names}); keep the one run to verify")
    folder, entry, date = found[0]
    run = RunFolder(folder, Path(entry.path), date)
    total = 0
    for item in _entries(folder):
        name = item.name
        if item.is_symlink():
            run.problems.append(("symlink", shown(name), "symlinks are refused"))
            continue
        if not name.startswith(("samples_", "results_")):
            continue  # lm_eval writes nothing else; unrelated files are left alone
        if RESULTS_RE.match(name):
            if name != entry.name:
                run.problems.append(("ambiguous-results", shown(name), "a second results file"))
            continue
        match = SAMPLES_RE.match(name)
        if match is None:
            run.problems.append(("bad-name", shown(name), "not a samples_<task>_<date>.jsonl name"))
            continue
        if match["date"] != date:
            run.problems.append(("orphan-samples", shown(name), f"from another run than results_{date}.json"))
            continue
        if not item.is_file(follow_symlinks=False):
            run.problems.append(("not-a-file", shown(name), "not a regular file"))
            continue
        total += item.stat(follow_symlinks=False).st_size
        if total > MAX_TOTAL_BYTES:
            raise DataError("too-large", f"samples over {MAX_TOTAL_BYTES} bytes in all")
        run.samples[match["task"]] = Path(item.path)
    return run
