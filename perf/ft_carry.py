"""Carry a fine-tuning run's finished units from one machine (or session) to the next.

    python perf/ft_carry.py pack RUN ARCHIVE      # RUN's run.json and finished unit files -> ARCHIVE (.tar.xz)
    python perf/ft_carry.py unpack ARCHIVE RUN    # into RUN; then the same `ood_icl.finetune` command resumes

A default run outlasts the sessions it runs in (about 9.5 hours on a 2-core CPU) and a session's
machine keeps nothing but the git checkout, so the finished units travel in the checkout
(leaderboard/in-progress/).  Only whole files go in: run.json and the ``e<episode>.json`` unit
files (each written atomically), nothing of the results or samples, which a run rewrites from its
units.  The archive is deterministic (names sorted, no times or owners): packing the same units
twice gives the same bytes.

Unpacking reads the archive as data: only regular files at the run's own paths
(``<model>/.ood-icl-finetune/run.json`` and ``.../units/<task>/e00000.json``), each a JSON
object of at most 1 MB (256 MB in all); a file already in RUN must have the same bytes.  Anything
else exits 2 with one line naming it, before anything is written.
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path

from ood_icl._args import OneLineParser
from ood_icl.finetune.state import STATE_DIR
from ood_icl.io import DataError, parse_json, write_atomic

MAX_FILE = 1 << 20
MAX_FILES = 100_000
MAX_TOTAL = 256 << 20
_MEMBER = re.compile(rf"(?!\.+/)[A-Za-z0-9_.-]+/{re.escape(STATE_DIR)}/(run\.json|units/[A-Za-z0-9_]+/e\d{{5}}\.json)")


def members(run: Path) -> list[Path]:
    """The run's whole files to carry: run.json and the finished units, sorted."""
    found = sorted(p for p in run.rglob("*.json") if _MEMBER.fullmatch(p.relative_to(run).as_posix()))
    if not any(p.name == "run.json" for p in found):
        raise ValueError(f"{run}: no {STATE_DIR}/run.json (not a fine-tuning run's --output-path)")
    return found


def pack(run: Path, archive: Path) -> int:
    buf = io.BytesIO()
    files = members(run)
    with tarfile.open(fileobj=buf, mode="w:xz", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            data = path.read_bytes()
            info = tarfile.TarInfo(path.relative_to(run).as_posix())
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    write_atomic(archive, buf.getvalue())
    return len(files)


def read_archive(archive: Path) -> dict[str, bytes]:
    """The archive's files by name, checked as described above; ValueError names the first problem."""
    out: dict[str, bytes] = {}
    total = 0
    with tarfile.open(archive, mode="r:xz") as tar:
        for info in tar:
            if len(out) >= MAX_FILES or total + info.size > MAX_TOTAL:
                raise ValueError(f"{archive}: more than {MAX_FILES} files or {MAX_TOTAL} bytes")
            if not info.isfile() or not _MEMBER.fullmatch(info.name) or info.name in out:
                raise ValueError(f"{archive}: unexpected member {info.name!r}")
            if info.size > MAX_FILE:
                raise ValueError(f"{archive}: {info.name} is larger than {MAX_FILE} bytes")
            data = tar.extractfile(info).read(MAX_FILE + 1)
            try:
                ok = isinstance(parse_json(data.decode("utf-8"), info.name), dict)
            except (UnicodeDecodeError, DataError):
                ok = False
            if not ok:
                raise ValueError(f"{archive}: {info.name} is not a JSON object")
            out[info.name] = data
            total += len(data)
    if not any(name.endswith("/run.json") for name in out):
        raise ValueError(f"{archive}: no run.json")
    return out


def unpack(archive: Path, run: Path) -> tuple[int, int]:
    files = read_archive(archive)
    for name, data in files.items():
        target = run / name
        if target.is_file() and target.read_bytes() != data:
            raise ValueError(f"{target} differs from the archive's copy (another run's folder?)")
    new = 0
    for name, data in files.items():
        target = run / name
        if not target.is_file():
            write_atomic(target, data)
            new += 1
    return new, len(files)


def main() -> int:
    ap = OneLineParser(prog="ft_carry.py", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("run", type=Path)
    p.add_argument("archive", type=Path)
    u = sub.add_parser("unpack")
    u.add_argument("archive", type=Path)
    u.add_argument("run", type=Path)
    args = ap.parse_args()
    try:
        if args.command == "pack":
            print(f"packed {pack(args.run, args.archive)} files into {args.archive}")
        else:
            new, total = unpack(args.archive, args.run)
            print(f"unpacked {new} new of {total} files into {args.run}")
    except (ValueError, OSError, tarfile.TarError) as exc:
        print(f"ft_carry.py: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
