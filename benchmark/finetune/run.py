"""``finetune_tasks``: run (or resume) the baseline, sharded over processes, one unit file per episode and budget.

Scale-out: ``accelerate launch --multi_gpu --num_processes N -m ood_icl.finetune ARGS`` (the
torchrun launcher; on a CPU-only machine with ``--device cpu`` the processes talk over gloo;
``torchrun --nproc_per_node N -m ood_icl.finetune ARGS`` is the same) shards the episodes
across processes.  Each episode's result depends on the episode alone, so the merged files
equal a single-process run's.  (``accelerate launch --cpu`` starts one process unless MPI is set up.)
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from lm_eval.utils import sanitize_model_name

from ..io import read_json
from ..suite import ft_task_name
from .config import FinetuneConfig, cell_episodes
from .learner import Learner, set_threads
from .recipe import unit_generator
from .results import write_results
from .state import STATE_DIR, RunState
from .train import Run, query_pairs, score_episode, train


BARRIER_TIMEOUT = timedelta(days=7)


def share(todo: list[tuple[str, str, int]], rank: int, world: int) -> list[tuple[str, str, int]]:
    """Process ``rank``'s share of ``todo`` (``(family, variant, episode)`` groups, episode-major).

    What is left is dealt out, not the whole run, so a resumed run's processes get equal counts
    (to within one per episode).  The dealing turns by one place each episode, so every task goes
    to every process in turn: tasks cost unequally (session 18 found a run dealt ``index % world``
    with 28 episodes left on one process and 71 on the other, its odd-numbered tasks being the
    dearer).  Which process trains a unit does not change the unit.
    """
    return [g for j, g in enumerate(todo) if (j + g[2]) % world == rank]


def _distributed(cpu: bool):
    """(rank, world size, barrier, device) from accelerate when launched with several processes
    (``WORLD_SIZE`` > 1: ``accelerate launch --multi_gpu`` or ``torchrun``; on CPU the group uses gloo)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from accelerate import PartialState

        # A process that finished its share waits for the others at the last barrier, for as long as
        # their share takes (or a paused process's pause): gloo's default 30 minutes would turn that
        # wait into a crash before the results are written.
        state = PartialState(cpu=cpu, timeout=BARRIER_TIMEOUT)
        return state.process_index, state.num_processes, state.wait_for_everyone, state.device
    return 0, 1, (lambda: None), None


def finetune_tasks(config: FinetuneConfig, output_path: Path, *, progress: bool = True) -> Path | None:
    """Run (or resume) the fine-tuning baseline; return the results file (None on ranks > 0)."""
    set_threads(config.device, config.threads)
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
    # Episode-major: a run stopped part-way holds the first episodes of every task, not whole tasks.
    groups = [(f, v, e) for e in range(config.episodes) for f, v in config.cells]
    todo = [g for g in groups if not all(state.done(ft_task_name(g[0], g[1], b), g[2]) for b in config.budgets)]
    barrier()  # every process has read what is done before any writes a unit: they deal out the same list
    mine = share(todo, rank, world)
    if mine:
        n_mine = len(mine) + (len(groups) - len(todo)) // world  # the bar counts this process's part of the run
        _train_episodes(config, state, cells, mine, n_mine, dist_device, progress and rank == 0, (rank, world))
    barrier()
    if rank > 0:
        return None
    return write_results(config, state)


def snapshot(run_path: Path, output_path: Path, episodes: int) -> Path:
    """The first ``episodes`` episodes of a run, finished or still going, as a run of their own in
    ``output_path``: its unit files copied and the results written, nothing trained.  An episode's
    units depend on the episode alone, so these are the files ``--episodes N`` would compute.

    ``run_path``: the run's ``--output-path``.  ValueError names what is missing or does not match.
    """
    folders = sorted(p.parent.parent for p in Path(run_path).glob(f"*/{STATE_DIR}/run.json"))
    if len(folders) != 1:
        raise ValueError(f"{run_path}: holds {len(folders)} fine-tuning runs (need one: the run's --output-path)")
    src = RunState(folders[0])
    config = FinetuneConfig.from_record(read_json(src.state / "run.json")["config"])
    if not 0 < episodes <= config.episodes:
        raise ValueError(f"--episodes {episodes}: the run has 1 to {config.episodes}")
    small = replace(config, episodes=episodes)
    units = [(ft_task_name(f, v, b), e) for e in range(episodes) for f, v in config.cells for b in config.budgets]
    missing = [u for u in units if not src.done(*u)]
    if missing:
        raise ValueError(f"{len(missing)} of the {len(units)} units of the first {episodes} episodes are not done "
                         f"yet (e.g. {missing[0][0]} episode {missing[0][1]})")
    dst = RunState(Path(output_path) / folders[0].name)
    dst.start(small.record())
    for task, e in units:
        dst.save(task, e, src.load(task, e))
    return write_results(small, dst)


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
            state.save(ft_task_name(family, variant, b), index,
                       {"unit": [family, variant, index, b], "process": list(process),
                        "train": logs[b].as_dict() if b else None,
                        "responses": [[[ll, g] for ll, g in q] for q in responses[b]]})
        bar.set_postfix_str(f"{family}_{variant} e{index} loss " + " ".join(
            f"k{b}:{logs[b].loss_before:.2f}->{logs[b].loss_after:.2f}" for b in trained))
        bar.update()
    bar.close()
