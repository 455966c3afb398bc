"""Reading a submission as data: bounded sizes, strict JSON, no symlinks, no paths from the data.

A submission is untrusted input.  Every file is opened with ``O_NOFOLLOW`` and checked to be
a regular file below a size limit before a byte is parsed; JSON rejects duplicate keys,
NaN/Infinity and absurd nesting; file names are matched against fixed patterns and the
data never names a path we open (we list the folder and match, never join a name from it).
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_RESULTS_BYTES = 64 * 1024 * 1024
MAX_SAMPLES_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_FILES = 5000

RESULTS_RE = re.compile(r"^results_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]{1,40})\.json$")
SAMPLES_RE = re.compile(r"^samples_(?P<task>[a-z0-9_]{1,160}?)_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]{1,40})\.jsonl$")


class SubmissionError(ValueError):
    """A file of the submission cannot be read as data; ``code`` names the reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def shown(value, limit: int = 80) -> str:
    """A value from a submission, safe to print: repr-escaped and cut."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise SubmissionError("invalid-json", f"duplicate key {shown(key)}")
        out[key] = value
    return out


def _no_constant(name):
    raise SubmissionError("invalid-json", f"{name} is not JSON")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise SubmissionError("invalid-json", f"number {shown(text)} overflows")
    return value


def parse_json(text: str, where: str):
    """Strict JSON: no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_float=_finite)
    except SubmissionError as exc:
        raise SubmissionError(exc.code, f"{where}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, int too long, nesting
        raise SubmissionError("invalid-json", f"{where}: {str(exc).splitlines()[0][:120]}") from None


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, refusing symlinks, special files and anything over ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise SubmissionError("symlink", f"{path.name}: symlinks are refused") from None
        raise SubmissionError("unreadable", f"{path.name}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError("not-a-file", f"{path.name}: not a regular file")
        if info.st_size > limit:
            raise SubmissionError("too-large", f"{path.name}: {info.st_size} bytes, limit {limit}")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:  # grew while we read
                raise SubmissionError("too-large", f"{path.name}: over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, limit: int) -> str:
    try:
        return read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError("invalid-json", f"{path.name}: not UTF-8 ({exc.reason})") from None


def read_json(path: Path, limit: int | None = None):
    return parse_json(read_text(path, MAX_RESULTS_BYTES if limit is None else limit), path.name)


def read_jsonl(path: Path, limit: int | None = None) -> list:
    lines = read_text(path, MAX_SAMPLES_BYTES if limit is None else limit).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_BYTES:
            raise SubmissionError("too-large", f"{path.name}:{number}: line over {MAX_LINE_BYTES} bytes")
        out.append(parse_json(line, f"{path.name}:{number}"))
    return out


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
                raise SubmissionError("too-large", f"{folder.name}: more than {MAX_FILES} entries")
        return sorted(entries, key=lambda e: e.name)


def locate(path: Path) -> RunFolder:
    """Find the one run under ``path`` (the ``--output_path`` folder or its model subfolder).

    Raises SubmissionError when there is no single run to verify; problems with individual
    files (symlinks, odd names, stray samples) are collected in ``RunFolder.problems``.
    """
    if os.path.islink(path):
        raise SubmissionError("symlink", "symlinks are refused")
    if not path.is_dir():
        raise SubmissionError("no-results", "not a folder")
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
        raise SubmissionError("no-results", "no results_<date>.json here or one folder below")
    if len(found) > 1:
        names = ", ".join(shown(str(Path(f).relative_to(path) / e.name)) for f, e, _ in found[:5])
        raise SubmissionError("ambiguous-results", f"{len(found)} results files ({names}); keep the one run to verify")
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
            raise SubmissionError("too-large", f"samples over {MAX_TOTAL_BYTES} bytes in all")
        run.samples[match["task"]] = Path(item.path)
    return run
