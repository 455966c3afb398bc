"""``ood-icl finetune`` (and ``python -m ood_icl.finetune``, what ``accelerate launch -m`` runs).

For each episode of each family x variant and each budget k: start from the base weights,
train on the episode's first k demos (each formatted as the prompt formats one demo), then
score the episode's queries with no demos by log-likelihood over the same choices, exactly as
the ``_k0`` lm-eval task does.  Results land in lm-eval's schema under task names that say
the budget (``ood_icl_cipher_ood_ft16``).  The rooms: ``config`` (what a run is), ``recipe``
(the protocol's fixed parts), ``learner`` and ``train`` (the engine), ``run`` (sharding and
resuming), ``state`` and ``results`` (the files), ``sweep`` (the recipe sweep).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._args import OneLineParser, nonneg_int, pos_int
from ..generators import UnknownNameError
from ..model import default_model_path
from ..suite import DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_QUERIES, PUBLISHED_SEED
from .config import FinetuneConfig, load_recipes, parse_budgets, resolve_tasks
from .learner import default_dtype, set_threads
from .recipe import DEFAULT_BUDGETS, DEV_SEED, METHODS, TRAIN_SEED
from .run import finetune_tasks
from .state import ConfigMismatch
from .sweep import SWEEP_EPISODES, select_hparams

PROG = "ood-icl finetune"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``ood-icl finetune``'s arguments to ``parser``."""
    parser.add_argument("--model", default=None,
                        help="HF folder or id (default: the converted SmolLM2-135M-Instruct, `ood-icl model`)")
    parser.add_argument("--gguf-file", default=None, help="a GGUF file inside --model")
    parser.add_argument("--tasks", default="ood_icl",
                        help="comma-separated: ood_icl, ood_icl_<family>, ood_icl_ood|renamed|id, <family>_<variant>, leaf names")
    parser.add_argument("--budgets", default=",".join(map(str, DEFAULT_BUDGETS)),
                        help="comma-separated numbers of demos to train on (default: the protocol's, which the board needs; "
                             "0: no training, the _k0 task through this scorer)")
    parser.add_argument("--output-path", type=Path, default=None, help="results folder (resumes a run there)")
    parser.add_argument("--episodes", type=pos_int, default=None,
                        help=f"first N episodes per task (default {DEFAULT_EPISODES}; with --select-hparams 1)")
    parser.add_argument("--queries", type=pos_int, default=DEFAULT_QUERIES, help="per episode")
    parser.add_argument("--difficulty", type=int, choices=(1, 2, 3), default=DEFAULT_DIFFICULTY)
    parser.add_argument("--method", choices=METHODS, default="lora")
    parser.add_argument("--seed", type=nonneg_int, default=None,
                        help=f"data seed (default {PUBLISHED_SEED}; with --select-hparams {DEV_SEED})")
    parser.add_argument("--train-seed", type=nonneg_int, default=TRAIN_SEED,
                        help=f"seeds adapter init and batch order (the board takes only the protocol's, {TRAIN_SEED})")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--dtype", choices=("bfloat16", "float32"), default=None,
                        help="compute dtype (default: float32 on cpu, where it trains 1.7x faster than bfloat16 "
                             "on this project's CPUs, bfloat16 on cuda)")
    parser.add_argument("--threads", type=pos_int, default=1,
                        help="torch CPU threads per process (default 1: scale out with processes instead)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--select-hparams", action="store_true",
                        help="run the recipe sweep on the development seed; print and write the chosen recipes")
    parser.add_argument("--lr-grid", default=None, metavar="LR,LR,...",
                        help="with --select-hparams: the learning rates to sweep (default: sweep.LR_GRID of the method)")
    parser.add_argument("--recipes", type=Path, default=None, metavar="SWEEP_JSON",
                        help="train with the recipes a sweep chose (its recipe_sweep.json) instead of the built-in table")


def _checked(args: argparse.Namespace) -> tuple:
    """(cells, budgets, recipes) from the arguments; ValueError names the bad one."""
    cells = resolve_tasks(args.tasks)
    budgets = parse_budgets(args.budgets)
    if args.seed == PUBLISHED_SEED and args.select_hparams:
        raise ValueError(f"--seed {PUBLISHED_SEED} is the published seed: the sweep must not see it")
    if args.output_path is None and not args.select_hparams:
        raise ValueError("--output-path is required")
    if args.output_path is not None and args.output_path.exists() and not args.output_path.is_dir():
        raise ValueError(f"--output-path {args.output_path}: not a folder")
    if args.gguf_file and not args.model:
        raise ValueError("--gguf-file needs --model (the folder that holds it)")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available")
    if args.dtype is None:
        args.dtype = default_dtype(args.device)
    if args.lr_grid is not None:
        try:
            args.lr_grid = tuple(sorted({float(t) for t in args.lr_grid.replace(",", " ").split()}))
        except ValueError:
            raise ValueError(f"--lr-grid {args.lr_grid!r}: must be comma-separated numbers") from None
        if not args.lr_grid or min(args.lr_grid) <= 0 or not args.select_hparams:
            raise ValueError(f"--lr-grid {','.join(map(str, args.lr_grid))}: positive learning rates, "
                             "with --select-hparams only")
    recipes = load_recipes(args.recipes, args.method, budgets) if args.recipes and not args.select_hparams else ()
    return cells, budgets, recipes


def run(args: argparse.Namespace) -> int:
    """Execute ``ood-icl finetune``; bad arguments print one line and return 2."""
    try:
        cells, budgets, recipes = _checked(args)
    except (UnknownNameError, ValueError) as exc:
        print(f"{PROG}: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if args.model is None:
        args.model = str(default_model_path())
    if args.select_hparams:
        set_threads(args.device, args.threads)
        try:
            _sweep(args, cells, budgets)
        except ValueError as exc:
            print(f"{PROG}: error: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 2
        return 0
    config = FinetuneConfig(model=args.model, cells=cells, budgets=budgets, method=args.method,
                            seed=PUBLISHED_SEED if args.seed is None else args.seed, train_seed=args.train_seed,
                            episodes=args.episodes or DEFAULT_EPISODES, queries=args.queries,
                            difficulty=args.difficulty, device=args.device, dtype=args.dtype, gguf_file=args.gguf_file,
                            threads=args.threads, recipes=recipes)
    try:
        out = finetune_tasks(config, args.output_path, progress=not args.quiet)
    except (ConfigMismatch, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if out is not None:
        print(out)
    return 0


def _sweep(args: argparse.Namespace, cells, budgets) -> None:
    select_hparams(args.model, args.method, cells, budgets,
                   seed=DEV_SEED if args.seed is None else args.seed, episodes=args.episodes or SWEEP_EPISODES,
                   queries=args.queries, difficulty=args.difficulty, device=args.device, dtype=args.dtype,
                   gguf_file=args.gguf_file, out=args.output_path, progress=not args.quiet, lr_grid=args.lr_grid)


def main(argv: list[str] | None = None) -> int:
    """``python -m ood_icl.finetune``: the ``ood-icl finetune`` command on its own."""
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    configure_parser(parser)
    return run(parser.parse_args(argv))
