"""``ood-icl finetune --select-hparams``: the small sweep that chose the recipe table.

On the development seed (DEV_SEED, never the published one), for each budget and learning
rate, every dev episode is trained once for max(STEP_GRID) steps and scored after each step
count in STEP_GRID: with a constant learning rate, stopping at step s is a run of s steps,
so one run per learning rate covers the whole step grid.  With LoRA every (budget, lr) of an
episode trains in its own adapter slot of one shared batch, as ``ood-icl finetune`` does.

The criterion is the mean probability the model gives the gold choice among the choices
(softmax of the choice log-likelihoods): a smooth proxy for acc, which on ~100 dev queries is
too coarse to rank a dozen settings.  Ties (within 0.002) go to fewer steps, then the lower
learning rate.  The result is printed as the rows of recipe.RECIPES and written to
``<out>/recipe_sweep.json`` with every figure.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

from ..io import write_atomic
from .config import FinetuneConfig, cell_episodes
from .learner import Learner
from .recipe import Recipe, unit_generator
from .train import Run, query_pairs, score_episode, train

LR_GRID = {"lora": (3e-4, 1e-3, 3e-3), "full": (1e-5, 3e-5, 1e-4, 3e-4)}
STEP_GRID = (5, 10, 20)
SWEEP_EPISODES = 1  # per task: 24 dev episodes over the 24 tasks of the suite
SWEEP_BATCH = 16
_TIE = 0.002


def _gold_prob(responses: list, label: int) -> float:
    lls = [ll for ll, _ in responses]
    top = max(lls)
    z = sum(math.exp(ll - top) for ll in lls)
    return math.exp(lls[label] - top) / z


def _acc(responses: list, label: int) -> float:
    lls = [ll for ll, _ in responses]
    return 1.0 if max(range(len(lls)), key=lambda i: (lls[i], -i)) == label else 0.0


def step_grid(budget: int) -> tuple[int, ...]:
    """STEP_GRID, stretched for budgets past one batch (a budget of 64 is 4 batches an epoch)."""
    stretch = max(1, budget // (2 * SWEEP_BATCH))
    return tuple(s * stretch for s in STEP_GRID)


def select_hparams(model: str, method: str, cells, budgets, *, seed: int, episodes: int, queries: int,
                   difficulty: int, device: str = "cpu", dtype: str = "bfloat16", gguf_file: str | None = None,
                   out: Path | None = None, progress: bool = True) -> dict[int, Recipe]:
    """Run the sweep; print and (with ``out``) write the chosen recipe per budget."""
    from tqdm import tqdm

    lora = method == "lora"
    combos = [(b, lr) for b in budgets if b > 0 for lr in LR_GRID[method]]
    learner = Learner(model, method, slots=len(combos) if lora else 1, dtype=dtype, device=device,
                      gguf_file=gguf_file)
    config = FinetuneConfig(model=model, cells=tuple(cells), budgets=tuple(budgets), method=method, seed=seed,
                            episodes=episodes, queries=queries, difficulty=difficulty)
    todo = [ep for f, v in config.cells for ep in cell_episodes(config, f, v)]
    figures: dict = {}  # (budget, lr, steps) -> [acc sum, gold-prob sum, n]
    bar = tqdm(total=len(todo), desc="sweep", unit="episode", disable=not progress, dynamic_ncols=True)
    for ep in todo:
        demos, q_pairs = learner.encode_demos(ep.demos[:max(budgets)]), query_pairs(learner, ep)
        runs = [Run(slot=learner.slots[i] if lora else None, pairs=tuple(demos[:b]),
                    recipe=Recipe(lr=lr, steps=max(step_grid(b)), batch=SWEEP_BATCH),
                    gen=unit_generator(0, seed, ep.family, ep.variant, ep.index, b)) for i, (b, lr) in enumerate(combos)]
        # LoRA: the runs that share a step grid train together, one adapter slot each; full: one by one
        grids = sorted({step_grid(len(r.pairs)) for r in runs})
        groups = [[r for r in runs if step_grid(len(r.pairs)) == g] for g in grids] if lora else [[r] for r in runs]
        for group in groups:
            def checkpoint(step, group=group):
                for run, per_query in zip(group, score_episode(learner, ep, [r.slot for r in group], q_pairs)):
                    cell = figures.setdefault((len(run.pairs), run.recipe.lr, step), [0.0, 0.0, 0])
                    for q, resp in zip(ep.queries, per_query):
                        cell[0] += _acc(resp, q.label)
                        cell[1] += _gold_prob(resp, q.label)
                        cell[2] += 1
            train(learner, group, checkpoints=step_grid(len(group[0].pairs)), on_checkpoint=checkpoint)
        bar.update()
    bar.close()
    chosen = _choose(figures, method, budgets)
    print(_report(figures, chosen, method, seed, len(todo), queries, len(config.cells)))
    if out is not None:
        record = {"method": method, "model": model, "dev_seed": seed, "episodes": episodes, "queries": queries,
                  "difficulty": difficulty, "dtype": dtype, "device": device, "cells": [list(c) for c in config.cells],
                  "lr_grid": list(LR_GRID[method]), "step_grids": {str(b): list(step_grid(b)) for b in chosen},
                  "max_steps": {str(b): max_steps(b) for b in chosen},
                  "figures": [{"budget": b, "lr": lr, "steps": s, "acc": a / n, "gold_prob": p / n, "n": n}
                              for (b, lr, s), (a, p, n) in sorted(figures.items())],
                  "chosen": {str(b): asdict(r) for b, r in chosen.items()}}
        write_atomic(Path(out) / "recipe_sweep.json", json.dumps(record, indent=2) + "\n")
    return chosen


def max_steps(budget: int) -> int:
    """The compute cap of a recipe: the middle of the step grid (10 steps up to a budget of 31).

    The default run (24 tasks x 20 episodes x budgets 1, 4, 16) must fit in an hour on a 2-core
    CPU, and a step costs about 0.5 s there; the longest column is swept and printed for
    reference but not chosen (where it led, and by how much: docs/finetune.md).
    """
    return step_grid(budget)[1]


def _choose(figures: dict, method: str, budgets) -> dict[int, Recipe]:
    """Per budget, within the compute cap: the highest gold-choice probability; near-ties to
    fewer steps, then the lower lr."""
    chosen = {}
    for budget in (b for b in budgets if b > 0):
        best = None
        for lr in LR_GRID[method]:
            for steps in (s for s in step_grid(budget) if s <= max_steps(budget)):
                acc, prob, n = figures[(budget, lr, steps)]
                key = (prob / n, -steps, -lr)
                if best is None or key[0] > best[0][0] + _TIE or (
                        abs(key[0] - best[0][0]) <= _TIE and key[1:] > best[0][1:]):
                    best = (key, lr, steps)
        chosen[budget] = Recipe(lr=best[1], steps=best[2], batch=SWEEP_BATCH)
    return chosen


def _report(figures: dict, chosen: dict, method: str, seed: int, n_episodes: int, queries: int, n_tasks: int) -> str:
    lines = [f"# sweep: {method}, dev seed {seed}, {n_episodes} episodes x {queries} queries over {n_tasks} tasks",
             "# cells: acc / mean gold-choice probability (the criterion) after N steps",
             "| budget | lr | short | middle | long |", "|---|---|---|---|---|"]
    for budget in chosen:
        for lr in LR_GRID[method]:
            cells = [f"{s}: {a / n:.3f} / {p / n:.3f}" for s in step_grid(budget)
                     for a, p, n in [figures[(budget, lr, s)]]]
            lines.append(f"| {budget} | {lr:g} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f'    ("{method}", {b}): Recipe(lr={r.lr:g}, steps={r.steps}),' for b, r in chosen.items()]
    return "\n".join(lines)
