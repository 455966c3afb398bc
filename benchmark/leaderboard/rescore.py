"""``ood-icl rescore`` (maintainers): a record on a sealed seed, by commit and reveal.

1. Commit: draw a large random seed S, run the model on it (``lm_eval ... --metadata '{"seed": S}'``),
   then ``ood-icl rescore RUN --seed S --name NAME --secret-out FILE``.  The run is verified against S;
   the record keeps only ``sha256("ood-icl-seed:S:SALT")`` with a fresh 128-bit salt (so even a small
   S cannot be guessed from it), and is marked ``rescored``.  ``S:SALT`` goes to FILE (mode 0600), and
   nowhere else.  Until the reveal, nothing that needs the seed (the ideal learner, the gains) is shown.
2. Reveal, later: ``ood-icl rescore --reveal S:SALT --name NAME``.  The commitment is checked, the
   seed and salt are written into the record with the ideal learner for S (a sealed record holds
   nothing that depends on S: no ideal, no task hashes, which would let S be found by search), and the
   record is re-derived; from then on anyone can re-check it
   with ``ood-icl leaderboard --check`` (and, given the run folder, ``ood-icl verify RUN --seed S``).

A submitter's own ``--seed`` (``ood-icl submit``) is never sealed: only this command makes a record
whose seed is private.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from pathlib import Path

from .._args import nonneg_int
from ..io import DataError, read_json
from ..suite import PUBLISHED_SEED
from .build import build, default_dir
from .derive import build_record, ideal_block
from .record import MAX_RECORD_BYTES, Record, RecordError, seed_commitment, slug, write_record
from .rederive import ks_by_cell, rederive
from .submit import add_record_arguments, check_folders, name_problem, store, verify_pair

_REVEAL_RE = re.compile(r"^(?P<seed>[0-9]{1,19}):(?P<salt>[0-9a-f]{32})$")


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("dir", type=Path, nargs="?", default=None,
                        help="the lm_eval --output_path folder of the run on the secret seed (not with --reveal)")
    parser.add_argument("--seed", type=nonneg_int, default=None, help="the secret seed the run used")
    parser.add_argument("--secret-out", type=Path, default=None, metavar="FILE",
                        help="where to write SEED:SALT for the reveal (created, mode 0600; never printed)")
    parser.add_argument("--reveal", default=None, metavar="SEED:SALT",
                        help="publish the seed of an existing rescored record (checks the commitment)")
    parser.add_argument("--allow-small", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--allow-partial", action="store_true", help=argparse.SUPPRESS)
    add_record_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    prog = "ood-icl rescore"
    if args.reveal is not None:
        if args.dir is not None or args.seed is not None:
            return _fail(prog, "--reveal takes no run folder and no --seed", 2)
        return reveal(prog, args)
    if args.dir is None or args.seed is None or args.secret_out is None:
        return _fail(prog, "needs a run folder, --seed and --secret-out (or --reveal SEED:SALT)", 2)
    if args.seed == PUBLISHED_SEED:
        return _fail(prog, "--seed is the published seed: rescoring needs a secret one", 2)
    if args.secret_out.exists() or args.secret_out.is_symlink():
        return _fail(prog, f"--secret-out {args.secret_out} exists: it would overwrite another seal", 2)
    why = name_problem(args.name, args.leaderboard or default_dir(), args.force)
    if why is not None or not check_folders(prog, args):
        return _fail(prog, why, 2) if why else 2
    icl, ft = verify_pair(args, args.seed)
    if not icl.ok or (ft is not None and not ft.ok):
        return _fail(prog, "not rescored", 1)
    salt = secrets.token_hex(16)
    try:
        fd = os.open(args.secret_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{args.seed}:{salt}\n")
    except OSError as exc:
        return _fail(prog, f"--secret-out {args.secret_out}: {exc.strerror}", 2)
    code = store(prog, args, lambda ignored: build_record(args.name, icl, ft, salt=salt, ignored=ignored))
    if code == 0:
        print(f"sealed: the record keeps sha256 of the seed and a salt; SEED:SALT is in {args.secret_out}. "
              f"Publish it later with: ood-icl rescore --reveal \"$(cat {args.secret_out})\" --name ...")
    return code


def reveal(prog: str, args: argparse.Namespace) -> int:
    """Write the seed and salt into a sealed record, after checking them against its commitment."""
    m = _REVEAL_RE.match(args.reveal.strip())
    if m is None:
        return _fail(prog, "--reveal takes SEED:SALT (the line rescore wrote to --secret-out)", 2)
    seed, salt = int(m["seed"]), m["salt"]
    folder = args.leaderboard or default_dir()
    try:
        name = slug(args.name)
        path = folder / "submissions" / f"{name}.json"
        record = Record.from_json(read_json(path, MAX_RECORD_BYTES), path.name)
    except (ValueError, DataError, OSError) as exc:
        return _fail(prog, str(exc).splitlines()[0], 1)
    if record.provenance != "rescored" or not record.sealed:
        return _fail(prog, f"{path.name} is not a sealed rescored record", 1)
    if seed_commitment(seed, salt) != record.seed_sha256:
        return _fail(prog, f"SEED:SALT does not open {path.name}'s commitment", 1)
    data = dict(record.to_json(), seed=seed, seed_salt=salt, private_seed=False)
    try:
        data["ideal"] = ideal_block(seed, record.sizes, ks_by_cell(record))
        revealed = rederive(Record.from_json(data, path.name))
        write_record(folder / "submissions", revealed, force=True)
    except (RecordError, ValueError, OSError) as exc:
        return _fail(prog, f"not revealed: {str(exc).splitlines()[0]}", 1)
    print(f"revealed seed {revealed.seed} in {path} (commitment checked, ideal learner re-derived)")
    if not args.no_render:
        build(folder)
    return 0


def _fail(prog: str, message: str, code: int) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return code
