"""The matched fine-tuning baseline: ``ood-icl finetune``.

For each episode of each family x variant and each budget k: start from the base weights,
train on the episode's first k demos (each formatted as the prompt formats one demo), then
score the episode's queries with no demos by log-likelihood over the same choices, exactly as
the ``_k0`` lm-eval task does.  Results land in lm-eval's schema under task names that say
the budget (``ood_icl_cipher_ood_ft16``).  The engine lives in finetune_train.py, the schema
and the resumable state in finetune_results.py, the recipe sweep in finetune_sweep.py.

Scale-out: ``accelerate launch --multi_gpu --num_processes N -m ood_icl.finetune ARGS`` (the
torchrun launcher; on a CPU-only machine with ``--device cpu`` the processes talk over gloo;
``torchrun --nproc_per_node N -m ood_icl.finetune ARGS`` is the same) shards the episodes
across processes.  Each episode's result depends on the episode alone, so the merged files
equal a single-process run's.  (``accelerate launch --cpu`` starts one process unless MPI is set up.)
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import PUBLISHED_SEED, __version__
from .dataset import DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, BuildSpec, episodes
from ._args import nonneg_int as _nonneg_int
from ._args import pos_int as _pos_int
from .finetune_results import RunState, sanitize_model_name, task_name, write_results
from .finetune_train import (DEV_SEED, FINETUNE_VERSION, LORA, METHODS, Learner, Recipe, Run, query_pairs,
                             recipe_for, score_episode, train, unit_generator)
from .generators import FAMILIES, SUITE_VERSION, VARIANTS, GenerationError, did_you_mean

__all__ = ["FINETUNE_VERSION", "FinetuneConfig", "cell_episodes", "configure_parser", "finetune_tasks", "main",
           "resolve_tasks", "run", "write_results"]


@dataclass(frozen=True)
class FinetuneConfig:
    """Everything that determines a fine-tuning run's results (filled from the CLI)."""

    model: str
    cells: tuple[tuple[str, str], ...]  # (family, variant)
    budgets: tuple[int, ...] = (1, 4, 16)
    method: str = "lora"
    seed: int = PUBLISHED_SEED  # the data seed
    train_seed: int = 0
    episodes: int = DEFAULT_EPISODES
    queries: int = DEFAULT_QUERIES
    difficulty: int = DEFAULT_DIFFICULTY
    device: str = "cpu"
    dtype: str = "bfloat16"
    gguf_file: str | None = None
    threads: int = 1  # torch CPU threads per process: float reductions, hence the last bits, depend on it
    recipes: tuple[tuple[int, Recipe], ...] = field(default=())  # filled from RECIPES when empty

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r}: must be one of {', '.join(METHODS)}")
        if not self.cells or not self.budgets:
            raise ValueError("need at least one task and one budget")
        if any(b < 0 for b in self.budgets):
            raise ValueError(f"budgets={self.budgets}: must be non-negative")
        if not self.recipes:
            object.__setattr__(self, "recipes", tuple((b, recipe_for(self.method, b)) for b in self.budgets if b))

    @property
    def pool(self) -> int:
        return max(max(self.budgets), DEFAULT_POOL)

    def recipe(self, budget: int) -> Recipe | None:
        """The recipe of a budget (None for budget 0: no training, the ``_k0`` task through this scorer)."""
        return dict(self.recipes).get(budget)

    def record(self) -> dict:
        """The JSON-able identity of the run (run.json, and results' ``config``)."""
        out = asdict(self)
        out["seeds"] = {"data": out.pop("seed"), "train": out.pop("train_seed")}
        out["cells"] = [list(c) for c in self.cells]
        out["budgets"] = list(self.budgets)
        out["recipes"] = {str(b): asdict(r) for b, r in self.recipes}
        out["lora"] = asdict(LORA) if self.method == "lora" else None
        out.update(finetune_version=FINETUNE_VERSION, suite_version=SUITE_VERSION, ood_icl_version=__version__)
        return out


# ----------------------------------------------------------------------------- task names


def _known_names() -> dict[str, list[tuple[str, str]]]:
    fams = sorted(FAMILIES)
    names: dict[str, list[tuple[str, str]]] = {
        "ood_icl": [(f, v) for f in fams for v in VARIANTS],
        "ood_icl_k0": [(f, v) for f in fams for v in VARIANTS]}
    for v in VARIANTS:
        names[f"ood_icl_{v}"] = [(f, v) for f in fams]
    for f in fams:
        names[f"ood_icl_{f}"] = names[f] = [(f, v) for v in VARIANTS]
        for v in VARIANTS:
            names[f"ood_icl_{f}_{v}"] = names[f"{f}_{v}"] = [(f, v)]
    return names


def resolve_tasks(text: str) -> tuple[tuple[str, str], ...]:
    """Comma-separated family_variant names or suite group/leaf names -> (family, variant) cells.

    Leaf names with a shot suffix (``ood_icl_cipher_ood_k4``, ``..._ft16``) name their cell.
    """
    known = _known_names()
    cells: list[tuple[str, str]] = []
    for name in (t.strip() for t in text.split(",")):
        if not name:
            continue
        base = name
        for sep in ("_k", "_ft"):
            head, _, tail = name.rpartition(sep)
            if head and tail.isdigit() and head in known:
                base = head
        if base not in known:
            raise did_you_mean("task", name, sorted(known))
        cells += [c for c in known[base] if c not in cells]
    if not cells:
        raise ValueError(f"--tasks {text!r}: names no task")
    return tuple(cells)


def parse_budgets(text: str) -> tuple[int, ...]:
    try:
        budgets = sorted({int(t) for t in text.replace(",", " ").split()})
    except ValueError:
        raise ValueError(f"--budgets {text!r}: must be comma-separated integers") from None
    if not budgets or budgets[0] < 0:
        raise ValueError(f"--budgets {text!r}: must be non-negative integers")
    return tuple(budgets)


# ----------------------------------------------------------------------------- the run


def _distributed(cpu: bool):
    """(rank, world size, barrier, device) from accelerate when launched with several processes
    (``WORLD_SIZE`` > 1: ``accelerate launch --multi_gpu`` or ``torchrun``; on CPU the group uses gloo)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from accelerate import PartialState

        state = PartialState(cpu=cpu)
        return state.process_index, state.num_processes, state.wait_for_everyone, state.device
    return 0, 1, (lambda: None), None


def cell_episodes(config: FinetuneConfig, family: str, variant: str) -> list:
    """The task's episodes with a pool of ``config.pool`` demos, checked against the published pool:
    the first 16 demos and the queries must be the ones the lm-eval tasks show."""
    def build(pool: int) -> list:
        return list(episodes(BuildSpec(family, variant, seed=config.seed, difficulty=config.difficulty,
                                       episodes=config.episodes, queries=config.queries, pool=pool)))

    try:
        eps = build(config.pool)
    except GenerationError as exc:
        raise ValueError(f"--budgets {max(config.budgets)}: {family}_{variant} cannot supply that many "
                         f"demonstrations ({exc})") from None
    if config.pool > DEFAULT_POOL:
        for ep, small in zip(eps, build(DEFAULT_POOL)):
            if ep.demos[:DEFAULT_POOL] != small.demos or ep.queries != small.queries:
                raise RuntimeError(f"{family}_{variant} episode {ep.index}: a pool of {config.pool} does not "
                                   f"extend the published pool of {DEFAULT_POOL}")
    return eps


def finetune_tasks(config: FinetuneConfig, output_path: Path, *, progress: bool = True) -> Path | None:
    """Run (or resume) the fine-tuning baseline; return the results file (None on ranks > 0)."""
    if config.device == "cpu":
        import torch

        torch.set_num_threads(config.threads)
    cells = {c: cell_episodes(config, *c) for c in config.cells}  # fails before anything is written
    rank, world, barrier, dist_device = _distributed(config.device == "cpu")
    folder = Path(output_path) / sanitize_model_name(config.model)
    state = RunState(folder)
    record = config.record()
    if rank == 0:
        state.start(record)
    barrier()
    if rank > 0:
        state.start(record)
    groups = [(f, v, e) for f, v in config.cells for e in range(config.episodes)]
    mine = [g for i, g in enumerate(groups) if i % world == rank]
    todo = [g for g in mine if not all(state.done(task_name(g[0], g[1], b), g[2]) for b in config.budgets)]
    if todo:
        _train_episodes(config, state, cells, todo, len(mine), dist_device, progress and rank == 0, (rank, world))
    barrier()
    if rank > 0:
        return None
    return write_results(config, state)


def _train_episodes(config: FinetuneConfig, state: RunState, cells: dict, todo: list, n_mine: int, device,
                    progress: bool, process: tuple[int, int] = (0, 1)) -> None:
    """Train and score every budget of each episode in ``todo``; save one unit file per budget."""
    from tqdm import tqdm

    trained = [b for b in config.budgets if b > 0]
    lora = config.method == "lora"
    learner = Learner(config.model, config.method, slots=max(len(trained), 1) if lora else 1, dtype=config.dtype,
                      device=str(device or config.device), gguf_file=config.gguf_file)
    bar = tqdm(total=n_mine, initial=n_mine - len(todo), desc=f"finetune {config.method}", unit="episode",
               disable=not progress, dynamic_ncols=True)
    for family, variant, index in todo:
        ep = cells[(family, variant)][index]
        demos = learner.encode_demos(ep.demos[:max(config.budgets)])
        queries = query_pairs(learner, ep)
        runs = {b: Run(slot=learner.slots[i] if lora else None, pairs=tuple(demos[:b]), recipe=config.recipe(b),
                       gen=unit_generator(config.train_seed, config.seed, family, variant, index, b))
                for i, b in enumerate(trained)}
        responses, logs = {}, {}
        if lora:  # every budget at once, one adapter each
            logs = dict(zip(trained, train(learner, list(runs.values()))))
            slots = ["__base__" if b == 0 else runs[b].slot for b in config.budgets]
            responses = dict(zip(config.budgets, score_episode(learner, ep, slots, queries)))
        else:  # one set of full weights: one budget after the other
            for b in config.budgets:
                if b:
                    (logs[b],) = train(learner, [runs[b]])
                else:
                    learner.reset(None, None)
                responses[b] = score_episode(learner, ep, [None], queries)[0]
        for b in config.budgets:
            state.save(task_name(family, variant, b), index,
                       {"unit": [family, variant, index, b], "process": list(process),
                        "train": logs[b].as_dict() if b else None,
                        "responses": [[[ll, g] for ll, g in q] for q in responses[b]]})
        bar.set_postfix_str(f"{family}_{variant} e{index} loss " + " ".join(
            f"k{b}:{logs[b].loss_before:.2f}->{logs[b].loss_after:.2f}" for b in trained))
        bar.update()
    bar.close()


# ----------------------------------------------------------------------------- command line


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``ood-icl finetune``'s arguments to ``parser``."""
    parser.add_argument("--model", default=None,
                        help="HF folder or id (default: the converted SmolLM2-135M-Instruct, `ood-icl model`)")
    parser.add_argument("--gguf-file", default=None, help="a GGUF file inside --model")
    parser.add_argument("--tasks", default="ood_icl",
                        help="comma-separated: ood_icl, ood_icl_<family>, ood_icl_ood|id, <family>_<variant>, leaf names")
    parser.add_argument("--budgets", default="1,4,16", help="comma-separated numbers of demos to train on (0: no training, the _k0 task through this scorer)")
    parser.add_argument("--output-path", type=Path, default=None, help="results folder (resumes a run there)")
    parser.add_argument("--episodes", type=_pos_int, default=None,
                        help=f"first N episodes per task (default {DEFAULT_EPISODES}; with --select-hparams 1)")
    parser.add_argument("--queries", type=_pos_int, default=DEFAULT_QUERIES, help="per episode")
    parser.add_argument("--difficulty", type=int, choices=(1, 2, 3), default=DEFAULT_DIFFICULTY)
    parser.add_argument("--method", choices=METHODS, default="lora")
    parser.add_argument("--seed", type=_nonneg_int, default=None,
                        help=f"data seed (default {PUBLISHED_SEED}; with --select-hparams {DEV_SEED})")
    parser.add_argument("--train-seed", type=_nonneg_int, default=0, help="seeds adapter init and batch order")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16", help="compute dtype")
    parser.add_argument("--threads", type=_pos_int, default=1,
                        help="torch CPU threads per process (default 1: scale out with processes instead)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--select-hparams", action="store_true",
                        help="run the recipe sweep on the development seed; print and write the chosen recipes")
    parser.add_argument("--recipes", type=Path, default=None, metavar="SWEEP_JSON",
                        help="train with the recipes a sweep chose (its recipe_sweep.json) instead of the built-in table")


def run(args: argparse.Namespace) -> int:
    """Execute ``ood-icl finetune``; bad arguments print one line and return 2."""
    from .finetune_results import ConfigMismatch
    from .generators import UnknownNameError

    prog = "ood-icl finetune"
    try:
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
    except (UnknownNameError, ValueError) as exc:
        print(f"{prog}: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if args.device == "cpu":
        import torch

        torch.set_num_threads(args.threads)
    if args.model is None:
        from .model import default_model_path

        args.model = str(default_model_path())
    if args.select_hparams:
        from .finetune_sweep import select_hparams

        from .finetune_sweep import SWEEP_EPISODES

        select_hparams(args.model, args.method, cells, budgets,
                       seed=DEV_SEED if args.seed is None else args.seed, episodes=args.episodes or SWEEP_EPISODES,
                       queries=args.queries, difficulty=args.difficulty, device=args.device, dtype=args.dtype,
                       gguf_file=args.gguf_file, out=args.output_path, progress=not args.quiet)
        return 0
    try:
        recipes = _load_recipes(args.recipes, args.method, budgets) if args.recipes else ()
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    config = FinetuneConfig(model=args.model, cells=cells, budgets=budgets, method=args.method,
                            seed=PUBLISHED_SEED if args.seed is None else args.seed, train_seed=args.train_seed,
                            episodes=args.episodes or DEFAULT_EPISODES, queries=args.queries,
                            difficulty=args.difficulty, device=args.device, dtype=args.dtype, gguf_file=args.gguf_file,
                            threads=args.threads, recipes=recipes)
    try:
        out = finetune_tasks(config, args.output_path, progress=not args.quiet)
    except (ConfigMismatch, ValueError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    if out is not None:
        print(out)
    return 0


def _load_recipes(path: Path, method: str, budgets: tuple[int, ...]) -> tuple[tuple[int, Recipe], ...]:
    """The ``chosen`` recipes of a sweep record (JSON data, size-limited), one per trained budget."""
    import json

    try:
        if path.stat().st_size > 1 << 20:
            raise ValueError("larger than 1 MiB")
        record = json.loads(path.read_text())
        if record.get("method") != method:
            raise ValueError(f"a sweep of method {record.get('method')!r}, not {method!r}")
        chosen = record["chosen"]
        out = []
        for b in (b for b in budgets if b):
            if str(b) not in chosen:
                raise ValueError(f"no recipe for budget {b} (it has {', '.join(sorted(chosen, key=int))})")
            out.append((b, Recipe(**chosen[str(b)])))  # the record is asdict(Recipe): Recipe validates it
        return tuple(out)
    except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"--recipes {path}: {exc}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m ood_icl.finetune`` (what ``accelerate launch -m`` runs)."""
    parser = _Parser(prog="ood-icl finetune", description=__doc__.splitlines()[0])
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
