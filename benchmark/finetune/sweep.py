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

from ..io import read_json, write_atomic
from .config import FinetuneConfig, cell_episodes
from .learner import Learner
from .recipe import Recipe, unit_generator
from .train import Run, _eval_losses, query_pairs, score_episode, train

LR_GRID = {"lora": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2), "full": (1e-5, 3e-5, 1e-4, 3e-4)}
STEP_GRID = (5, 10, 20, 40)
SWEEP_EPISODES = 1  # per task: one dev episode per task swept (the records used 12 or 10 tasks)
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
    """STEP_GRID, stretched past 128 demos: 40 steps of 16 are 10 passes over 64 demos; a budget of
    256 gets (10, 20, 40, 80), up to 5 passes."""
    stretch = max(1, budget // (8 * SWEEP_BATCH))
    return tuple(s * stretch for s in STEP_GRID)


def select_hparams(model: str, method: str, cells, budgets, *, seed: int, episodes: int, queries: int,
                   difficulty: int, device: str = "cpu", dtype: str = "float32", gguf_file: str | None = None,
                   out: Path | None = None, progress: bool = True,
                   lr_grid: tuple[float, ...] | None = None) -> dict[int, Recipe]:
    """Run the sweep; print and (with ``out``) write the chosen recipe per budget.

    An ``out`` that already holds a sweep of the same identity (model, seed, tasks, sizes, dtype,
    budgets, step grids) is grown: its learning rates are kept, only the new ones in ``lr_grid``
    are run (each run is independent of the others bit for bit, so this equals one sweep over the
    union), and the choice is made again over the union.
    """
    lora = method == "lora"
    grids = {b: step_grid(b) for b in budgets if b > 0}
    identity = {"method": method, "model": model, "dev_seed": seed, "episodes": episodes, "queries": queries,
                "difficulty": difficulty, "dtype": dtype, "device": device, "cells": [list(c) for c in cells],
                "step_grids": {str(b): list(g) for b, g in grids.items()}}
    held = _held_sweep(out, identity)
    held_lrs = set(held.get("lr_grid", ()))
    lr_grid = tuple(sorted(set(lr_grid or LR_GRID[method]) | held_lrs))
    combos = [(b, lr) for b in grids for lr in lr_grid if lr not in held_lrs]
    learner = Learner(model, method, slots=max(len(combos), 1) if lora else 1, dtype=dtype, device=device,
                      gguf_file=gguf_file)
    config = FinetuneConfig(model=model, cells=tuple(cells), budgets=tuple(budgets), method=method, seed=seed,
                            episodes=episodes, queries=queries, difficulty=difficulty)
    todo = [ep for f, v in config.cells for ep in cell_episodes(config, f, v)] if combos else []
    figures, before = _train_and_score(learner, todo, combos, budgets, seed, lora, progress)
    entries = {(f["budget"], f["lr"], f["steps"]): f for f in held.get("figures", ())}
    entries.update({(b, lr, s): {"budget": b, "lr": lr, "steps": s, "acc": a / n, "gold_prob": p / n, "n": n,
                                 "train_loss": t / m} for (b, lr, s), (a, p, n, t, m) in figures.items()})
    loss_before = {**held.get("train_loss_before", {}), **{str(b): t / m for b, (t, m) in sorted(before.items())}}
    chosen = _choose({k: [f["acc"] * f["n"], f["gold_prob"] * f["n"], f["n"], f["train_loss"], 1]
                      for k, f in entries.items()}, lr_grid, grids)
    n_eps = len(todo) or len(cells) * episodes
    print(_report(entries, chosen, method, lr_grid, grids, seed, n_eps, queries, len(config.cells)))
    if out is not None:
        record = {**identity, "lr_grid": list(lr_grid), "max_steps": {str(b): max(grids[b]) for b in chosen},
                  "train_loss_before": loss_before, "figures": [entries[k] for k in sorted(entries)],
                  "chosen": {str(b): asdict(r) for b, r in chosen.items()}}
        write_atomic(Path(out) / "recipe_sweep.json", json.dumps(record, indent=2) + "\n")
    return chosen


def _train_and_score(learner: Learner, todo: list, combos: list, budgets, seed: int, lora: bool,
                     progress: bool) -> tuple[dict, dict]:
    """Train every (budget, lr) of ``combos`` on each dev episode; score and measure the train loss at
    each step of the grid.  Returns ({(budget, lr, steps): [acc sum, gold-prob sum, n queries,
    train-loss sum, n runs]}, {budget: [loss before training summed over runs, n runs]})."""
    from tqdm import tqdm

    figures: dict = {}  # (budget, lr, steps) -> [acc sum, gold-prob sum, n queries, train-loss sum, n runs]
    before: dict = {}  # budget -> [train loss before training, summed over runs; n runs]
    bar = tqdm(total=len(todo), desc="sweep", unit="episode", disable=not progress, dynamic_ncols=True)
    for ep in todo:
        demos, q_pairs = learner.encode_demos(ep.demos[:max(budgets)]), query_pairs(learner, ep)
        runs = [Run(slot=learner.slots[i] if lora else None, pairs=tuple(demos[:b]),
                    recipe=Recipe(lr=lr, steps=max(step_grid(b)), batch=SWEEP_BATCH),
                    gen=unit_generator(0, seed, ep.family, ep.variant, ep.index, b)) for i, (b, lr) in enumerate(combos)]
        # LoRA: the runs that share a step grid train together, one adapter slot each; full: one by one
        run_grids = sorted({step_grid(len(r.pairs)) for r in runs})
        groups = [[r for r in runs if step_grid(len(r.pairs)) == g] for g in run_grids] if lora else [[r] for r in runs]
        for group in groups:
            def checkpoint(step, group=group):
                losses = _eval_losses(learner, group)  # the train loss reached: on all of the run's demos
                for run, loss, per_query in zip(group, losses,
                                                score_episode(learner, ep, [r.slot for r in group], q_pairs)):
                    cell = figures.setdefault((len(run.pairs), run.recipe.lr, step), [0.0, 0.0, 0, 0.0, 0])
                    for q, resp in zip(ep.queries, per_query):
                        cell[0] += _acc(resp, q.label)
                        cell[1] += _gold_prob(resp, q.label)
                        cell[2] += 1
                    cell[3] += loss
                    cell[4] += 1
            for run, log in zip(group, train(learner, group, checkpoints=step_grid(len(group[0].pairs)),
                                             on_checkpoint=checkpoint)):
                cell = before.setdefault(len(run.pairs), [0.0, 0])
                cell[0] += log.loss_before
                cell[1] += 1
        bar.update()
    bar.close()
    return figures, before


def _held_sweep(out: Path | None, identity: dict) -> dict:
    """The record of an earlier sweep in ``out`` to grow ({} when there is none)."""
    path = Path(out) / "recipe_sweep.json" if out is not None else None
    if path is None or not path.is_file():
        return {}
    record = read_json(path)
    differ = sorted(k for k, v in identity.items() if record.get(k) != v)
    if differ:
        raise ValueError(f"{path} holds a sweep with another {', '.join(differ)}; pass another --output-path")
    return record


def _choose(figures: dict, lr_grid, step_grids: dict, max_steps: dict | None = None) -> dict[int, Recipe]:
    """Per budget: the highest gold-choice probability over its (lr, steps) grid; near-ties to
    fewer steps, then the lower lr.  ``max_steps`` (per budget) re-derives a version-3 record, whose
    choice was capped at the middle of its step grid to fit the hour; a version-5 sweep has no cap."""
    chosen = {}
    for budget, grid in step_grids.items():
        cap = (max_steps or {}).get(budget, max(grid))
        best = None
        for lr in lr_grid:
            for steps in (s for s in grid if s <= cap):
                prob, n = figures[(budget, lr, steps)][1:3]
                key = (prob / n, -steps, -lr)
                if best is None or key[0] > best[0][0] + _TIE or (
                        abs(key[0] - best[0][0]) <= _TIE and key[1:] > best[0][1:]):
                    best = (key, lr, steps)
        chosen[budget] = Recipe(lr=best[1], steps=best[2], batch=SWEEP_BATCH)
    return chosen


def edges(chosen: dict, lr_grid, step_grids: dict) -> list[str]:
    """The choices at an edge of their grid: an lr at either end, or the longest step count."""
    out = []
    for b, r in chosen.items():
        if r.lr in (min(lr_grid), max(lr_grid)):
            out.append(f"budget {b}: lr {r.lr:g} is at the end of the grid; widen it (--lr-grid)")
        if r.steps == max(step_grids[b]):
            out.append(f"budget {b}: {r.steps} steps is the longest of the grid; check the train loss has converged")
    return out


def _report(entries: dict, chosen: dict, method: str, lr_grid, step_grids: dict, seed: int, n_episodes: int,
            queries: int, n_tasks: int) -> str:
    lines = [f"# sweep: {method}, dev seed {seed}, {n_episodes} episodes x {queries} queries over {n_tasks} tasks",
             "# cells: steps: acc / mean gold-choice probability (the criterion) / train loss",
             "| budget | lr | " + " | ".join(f"steps {i + 1}" for i in range(len(STEP_GRID))) + " |",
             "|---|---|" + "---|" * len(STEP_GRID)]
    for budget in chosen:
        for lr in lr_grid:
            cells = [f"{s}: {f['acc']:.3f} / {f['gold_prob']:.3f}" + (f" / {f['train_loss']:.2f}" if "train_loss" in f else "")
                     for s in step_grids[budget] for f in [entries[(budget, lr, s)]]]
            lines.append(f"| {budget} | {lr:g} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f'    ("{method}", {b}): Recipe(lr={r.lr:g}, steps={r.steps}),' for b, r in chosen.items()]
    lines += [f"# edge: {e}" for e in edges(chosen, lr_grid, step_grids)]
    return "\n".join(lines)
