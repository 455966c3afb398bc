"""``ood-icl finetune --select-hparams``: the small sweep that chose the recipe table.

On the development seed (DEV_SEED, never the published one), for each budget and learning
rate, every dev episode is trained once for max(STEP_GRID) steps and scored after each step
count in STEP_GRID: with a constant learning rate, stopping at step s is a run of s steps,
so one run per learning rate covers the whole step grid.

The criterion is the mean probability the model gives the gold choice among the choices
(softmax of the choice log-likelihoods): a smooth proxy for acc, which on ~100 dev queries is
too coarse to rank a dozen settings.  Ties (within 0.002) go to fewer steps, then the lower
learning rate.  The result is printed as the rows of finetune_train.RECIPES and written to
``<out>/recipe_sweep.json`` with every figure.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

from .finetune_results import write_atomic
from .finetune_train import Learner, Recipe, Run, query_pairs, score_episode, train, unit_generator

LR_GRID = {"lora": (3e-4, 1e-3, 3e-3), "full": (1e-5, 3e-5, 1e-4)}
STEP_GRID = (5, 10, 20)
SWEEP_EPISODES = 2  # per task: 12 dev episodes over the 6 default tasks
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


def select_hparams(model: str, method: str, cells, budgets, *, seed: int, episodes: int, queries: int,
                   difficulty: int, device: str = "cpu", dtype: str = "bfloat16", gguf_file: str | None = None,
                   out: Path | None = None, progress: bool = True) -> dict[int, Recipe]:
    """Run the sweep; print and (with ``out``) write the chosen recipe per budget."""
    from tqdm import tqdm

    from .finetune import FinetuneConfig, cell_episodes

    combos = [(b, lr) for b in budgets if b > 0 for lr in LR_GRID[method]]
    lora = method == "lora"
    learner = Learner(model, method, slots=len(combos) if lora else 1, dtype=dtype, device=device,
                      gguf_file=gguf_file)
    config = FinetuneConfig(model=model, cells=tuple(cells), budgets=tuple(budgets), method=method, seed=seed,
                            episodes=episodes, queries=queries, difficulty=difficulty)
    figures: dict = {}  # (budget, lr, steps) -> [acc sum, gold-prob sum, n]
    todo = [ep for f, v in config.cells for ep in cell_episodes(config, f, v)]
    bar = tqdm(total=len(todo) * (1 if lora else len(combos)), desc="sweep", unit="run",
               disable=not progress, dynamic_ncols=True)
    for ep in todo:
        family, variant, index = ep.family, ep.variant, ep.index
        demos, queries_ = learner.encode_demos(ep.demos[:max(budgets)]), query_pairs(learner, ep)
        runs = [Run(slot=learner.slots[i] if lora else None, pairs=tuple(demos[:b]),
                    recipe=Recipe(lr=lr, steps=max(STEP_GRID), batch=SWEEP_BATCH),
                    gen=unit_generator(0, seed, family, variant, index, b)) for i, (b, lr) in enumerate(combos)]
        # LoRA: every (budget, lr) in its own slot, trained together; full: one after the other
        for group in ([runs] if lora else [[r] for r in runs]):
            def checkpoint(step, group=group):
                scored = score_episode(learner, ep, [r.slot for r in group], queries_)
                for run, per_query in zip(group, scored):
                    cell = figures.setdefault((len(run.pairs), run.recipe.lr, step), [0.0, 0.0, 0])
                    for q, resp in zip(ep.queries, per_query):
                        cell[0] += _acc(resp, q.label)
                        cell[1] += _gold_prob(resp, q.label)
                        cell[2] += 1
            train(learner, group, checkpoints=STEP_GRID, on_checkpoint=checkpoint)
            bar.update()
    bar.close()
    chosen: dict[int, Recipe] = {}
    lines = [f"# sweep: {method}, dev seed {seed}, {len(todo)} episodes x {queries} queries, "
             f"{len(config.cells)} tasks; acc / gold-choice probability (the criterion)",
             "| budget | lr | " + " | ".join(f"{s} steps" for s in STEP_GRID) + " |",
             "|---|---|" + "---|" * len(STEP_GRID)]
    for budget in (b for b in budgets if b > 0):
        best = None
        for lr in LR_GRID[method]:
            cells_txt = []
            for steps in STEP_GRID:
                acc, prob, n = figures[(budget, lr, steps)]
                cells_txt.append(f"{acc / n:.3f} / {prob / n:.3f}")
                key = (prob / n, -steps, -lr)
                if best is None or key[0] > best[0][0] + _TIE or (
                        abs(key[0] - best[0][0]) <= _TIE and key[1:] > best[0][1:]):
                    best = (key, lr, steps)
            lines.append(f"| {budget} | {lr:g} | " + " | ".join(cells_txt) + " |")
        chosen[budget] = Recipe(lr=best[1], steps=best[2], batch=SWEEP_BATCH)
    lines.append("")
    lines += [f'    ("{method}", {b}): Recipe(lr={r.lr:g}, steps={r.steps}),' for b, r in chosen.items()]
    print("\n".join(lines))
    if out is not None:
        record = {"method": method, "model": model, "dev_seed": seed, "episodes": episodes, "queries": queries,
                  "difficulty": difficulty, "dtype": dtype, "device": device, "cells": [list(c) for c in config.cells],
                  "lr_grid": list(LR_GRID[method]), "step_grid": list(STEP_GRID),
                  "figures": [{"budget": b, "lr": lr, "steps": s, "acc": a / n, "gold_prob": p / n, "n": n}
                              for (b, lr, s), (a, p, n) in sorted(figures.items())],
                  "chosen": {str(b): asdict(r) for b, r in chosen.items()}}
        write_atomic(Path(out) / "recipe_sweep.json", json.dumps(record, indent=2) + "\n")
    return chosen
