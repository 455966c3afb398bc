"""The ``ood-icl`` command line.  Bad arguments exit 2 with one line naming them."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ._args import OneLineParser as _Parser
from ._args import names as _names
from ._args import nonneg_int as _nonneg_int
from ._args import pos_int as _pos_int
from .dataset import BuildSpec, write_repo
from .finetune import cli as finetune_cli
from .generators import FAMILIES, VARIANTS
from .harness.report import comparison_table, results_table
from .harness.taskgen import tasks_dir
from .leaderboard import cli as leaderboard_cli
from . import publish
from .leaderboard import rescore, submit
from .leaderboard.derive import build_record, reference_records
from .leaderboard.summary import summary_table
from .model import default_model_path
from .suite import DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, PUBLISHED_SEED
from .validity import run_validity
from .verify import cli as verify_cli
from .verify.run import verify_run


def _fail(args, message: str) -> int:
    print(f"ood-icl {args.command}: error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ood-icl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = sub.add_parser("generate", help="write a Hugging Face dataset repo folder")
    gen.add_argument("--out", required=True, type=Path, help="destination folder (written atomically)")
    gen.add_argument("--seed", type=_nonneg_int, default=PUBLISHED_SEED)
    gen.add_argument("--families", type=_names, default=None, help="comma-separated (default: all)")
    gen.add_argument("--variants", type=_names, default=None, help="id,renamed,ood (default: all three)")
    gen.add_argument("--difficulty", type=int, choices=(1, 2, 3), default=DEFAULT_DIFFICULTY)
    gen.add_argument("--episodes", type=_pos_int, default=DEFAULT_EPISODES, help="per config")
    gen.add_argument("--queries", type=_pos_int, default=DEFAULT_QUERIES, help="per episode")
    gen.add_argument("--pool", type=_pos_int, default=DEFAULT_POOL, help="demonstrations per episode")
    gen.add_argument("--force", action="store_true", help="replace an existing --out")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")

    val = sub.add_parser("validity", help="ideal learner, competitors, pairing control, novelty and lengths for every task")
    val.add_argument("--seed", type=_nonneg_int, default=PUBLISHED_SEED)
    val.add_argument("--difficulty", type=int, choices=(1, 2, 3), default=DEFAULT_DIFFICULTY)
    val.add_argument("--episodes", type=_pos_int, default=200, help="per family and variant")
    val.add_argument("--queries", type=_pos_int, default=DEFAULT_QUERIES, help="per episode")
    val.add_argument("--families", type=_names, default=None, help="comma-separated (default: all)")
    val.add_argument("--out", type=Path, default=None, help="also write validity.md and validity.json here")
    val.add_argument("--jobs", type=_pos_int, default=1, help="processes (default: 1)")
    val.add_argument("--tokenizer", default=None, metavar="PATH",
                     help="also measure prompt and answer lengths in tokens (e.g. $(ood-icl model))")

    sub.add_parser("model", help="convert the default model once; print its folder")
    sub.add_parser("eval", help="lm_eval's own CLI with the hf-prefix backend registered: ood-icl eval <lm_eval args>")
    sub.add_parser("tasks-dir", help="print the folder of the lm-eval task YAMLs (for --include_path)")

    table = sub.add_parser("table", help="print an lm_eval run beside chance and the ideal learner")
    table.add_argument("results", type=Path, help="an lm_eval --output_path folder or results JSON")
    table.add_argument("--finetune", type=Path, default=None, metavar="FT_DIR",
                       help="also a fine-tuning run: in-context accuracy at k beside fine-tuned accuracy at budget k")
    table.add_argument("--copy", action="store_true",
                       help="also the copy baseline's gain on the run's episodes")

    finetune_cli.configure_parser(sub.add_parser("finetune", help="the matched fine-tuning baseline (lm-eval's schema)"))
    verify_cli.configure_parser(sub.add_parser("verify", help="check an lm_eval output folder against the regenerated data"))
    submit.configure_parser(sub.add_parser("submit", help="verify a run and store its leaderboard record"))
    leaderboard_cli.configure_parser(sub.add_parser("leaderboard", help="rebuild leaderboard/README.md and index.html"))
    publish.configure_parser(sub.add_parser("publish", help="upload the dataset folder to the Hugging Face Hub as a dataset repo"))
    rescore.configure_parser(sub.add_parser(
        "rescore", help="maintainers: seal a record on a secret seed (commit); publish it later with --reveal"))
    return parser


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["eval"]:  # everything after `eval` belongs to lm_eval, unparsed
        from .harness.prefix import main as lm_eval_main
        lm_eval_main(raw[1:])
        return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError) as exc:
        return _fail(args, str(exc).splitlines()[0])


def _generate(args) -> int:
    families = args.families or sorted(FAMILIES)
    variants = args.variants or list(VARIANTS)
    specs = [BuildSpec(f, v, seed=args.seed, difficulty=args.difficulty, episodes=args.episodes,
                       queries=args.queries, pool=args.pool) for f in families for v in variants]
    out: Path = args.out
    parent = out.resolve().parent
    if out.exists() and not args.force:
        return _fail(args, f"--out {out} already exists (pass --force to replace it)")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(args, f"--out {out}: cannot create {parent}: {exc.strerror or exc}")
    if not os.access(parent, os.W_OK | os.X_OK):
        return _fail(args, f"--out {out}: cannot write in {parent}")
    command = "ood-icl " + shlex.join(args.argv)
    try:
        manifest = write_repo(out, specs, command, progress=not args.quiet)
    except OSError as exc:
        return _fail(args, f"--out {out}: {exc.strerror or exc}")
    rows = sum(c["rows"] for c in manifest["configs"].values())
    print(f"wrote {out} ({len(manifest['configs'])} configs, {rows} rows, seed {manifest['seed']})")
    return 0


def _validity(args) -> int:
    text, problems = run_validity(args.families, seed=args.seed, episodes=args.episodes, queries=args.queries,
                                  difficulty=args.difficulty, out=args.out, jobs=args.jobs, tokenizer=args.tokenizer)
    print(text)
    for problem in problems:
        print(f"INVALID: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _model(_args) -> int:
    print(default_model_path())
    return 0


def _tasks_dir(_args) -> int:
    print(tasks_dir())
    return 0


def _table(args) -> int:
    print(results_table(args.results))
    if args.finetune is not None:
        print()
        print(comparison_table(args.results, args.finetune))
    run = verify_run(args.results, seed=None, allow_small=True, allow_partial=True)
    if run.ok:
        record = build_record("table", run)
        copy = None
        if args.copy:  # the copy baseline on the same episodes, beside the run's own ideal block
            refs = reference_records(seed=run.seed, episodes=run.sizes["episodes"], queries=run.sizes["queries"],
                                     families=sorted(record.chance), kinds=("copy",), ideal=record.ideal)
            copy = refs[0] if refs else None
        print("\n" + summary_table(record, copy))
    else:
        print(f"\n(no summary: the run does not verify; `ood-icl verify {args.results}` says why)")
    return 0


_COMMANDS = {"generate": _generate, "validity": _validity, "model": _model, "tasks-dir": _tasks_dir, "table": _table,
             "finetune": finetune_cli.run, "verify": verify_cli.run, "submit": submit.run,
             "leaderboard": leaderboard_cli.run, "rescore": rescore.run,
             "publish": publish.run}

if __name__ == "__main__":
    sys.exit(main())
