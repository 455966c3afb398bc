"""The training loop and the scorer, read top to bottom (nanoGPT's ``train.py``).

``train`` resets every run's slot, then lr, batch, step and log in one visible loop; the runs
stay independent, bit for bit: each run has a forward of its own (its rows, its padding, its
adapter), its loss touches only its own adapter, gradients are clipped per run, and AdamW is
elementwise.  ``score_episode`` gives lm-eval's (log-likelihood, is_greedy)
per choice of every query, with no demos in the prompt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Sequence

from ..generators import Episode, render_prompt
from .learner import Learner, Pair
from .recipe import Recipe

@dataclass(frozen=True)
class Run:
    """One training run: an adapter slot, the demos (tokenised), the recipe and the run's generator."""

    slot: str | None
    pairs: tuple
    recipe: Recipe
    gen: object  # torch.Generator: adapter init (reset), then batch order


@dataclass(frozen=True)
class TrainLog:
    loss_before: float
    loss_after: float
    steps: int

    def as_dict(self) -> dict:
        return asdict(self)


def _eval_losses(learner: Learner, runs: Sequence[Run], max_rows: int = 128) -> list[float]:
    """Each run's loss on all of its demos, without gradients: one forward per run (per slice of
    ``max_rows`` for a budget of 256), so a run's figure does not depend on the others."""
    import torch

    out = []
    with torch.no_grad():
        for run in runs:
            if len(run.pairs) <= max_rows:
                out.append(learner.run_losses([(run.slot, run.pairs)]).item())
                continue
            nll = n = 0.0
            for i in range(0, len(run.pairs), max_rows):
                part = run.pairs[i:i + max_rows]
                tokens = sum(len(c) for _, c in part)
                nll += learner.run_losses([(run.slot, part)]).item() * tokens
                n += tokens
            out.append(nll / n)
    return out


def train(learner: Learner, runs: Sequence[Run], checkpoints: Sequence[int] = (),
          on_checkpoint: Callable[[int], None] | None = None) -> list[TrainLog]:
    """Reset and fine-tune every run (each in its own slot) together: nanoGPT's loop, in full.

    ``on_checkpoint(step)`` is called after each step listed in ``checkpoints`` (the sweep
    scores there: with a constant lr, stopping at step s is a run of s steps).
    """
    import torch

    runs = [r for r in runs if r.pairs]
    for run in runs:
        learner.reset(run.slot, run.gen)
    if not runs:
        return []
    optimizer = torch.optim.AdamW(
        [{"params": learner.slot_params[r.slot], "lr": r.recipe.lr, "weight_decay": r.recipe.weight_decay}
         for r in runs], betas=(0.9, 0.999), eps=1e-8, fused=learner.device.type in ("cpu", "cuda"))
    # the loss before training: a run whose demos fit one batch sees all of them, in order, at step 1,
    # and that forward's loss is the same number (B = 0: the adapter adds nothing yet); only the
    # others need a forward of their own here
    whole = [len(r.pairs) <= r.recipe.batch and r.recipe.steps > 0 for r in runs]
    rest = iter(_eval_losses(learner, [r for r, w in zip(runs, whole) if not w]))
    before: list = [None if w else next(rest) for w in whole]
    orders: list[list[int]] = [[] for _ in runs]
    for step in range(1, max(r.recipe.steps for r in runs) + 1):
        active = [i for i, r in enumerate(runs) if step <= r.recipe.steps]
        batches = []
        for i in active:
            run, group = runs[i], optimizer.param_groups[i]
            # learning rate: linear warmup, then constant
            group["lr"] = run.recipe.lr * min(1.0, step / run.recipe.warmup) if run.recipe.warmup else run.recipe.lr
            # batch: every demo when they fit, else the next slice of a fresh permutation per epoch
            if len(run.pairs) <= run.recipe.batch:
                batches.append((run.slot, run.pairs))
                continue
            if len(orders[i]) < run.recipe.batch:
                orders[i] += torch.randperm(len(run.pairs), generator=run.gen).tolist()
            take, orders[i] = orders[i][:run.recipe.batch], orders[i][run.recipe.batch:]
            batches.append((run.slot, [run.pairs[j] for j in take]))
        # step: the runs' losses (one forward each) are summed; each touches only its own adapter
        losses = learner.run_losses(batches)
        if step == 1:
            for i, loss in zip(active, losses.tolist()):
                if whole[i]:
                    before[i] = loss
        losses.sum().backward()
        for i in active:
            if runs[i].recipe.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(learner.slot_params[runs[i].slot], runs[i].recipe.max_grad_norm)
        optimizer.step()  # runs that have finished have no gradients: AdamW skips them
        optimizer.zero_grad(set_to_none=True)
        if on_checkpoint is not None and step in checkpoints:
            on_checkpoint(step)
    after = _eval_losses(learner, runs)
    return [TrainLog(b, a, r.recipe.steps) for b, a, r in zip(before, after, runs)]


def query_pairs(learner: Learner, episode: Episode) -> list[Pair]:
    """The ``_k0`` requests of every query, flattened: context ``q ->``, continuation ``" " + choice``."""
    return [learner.encode_pair(render_prompt([], q.input), " " + c) for q in episode.queries for c in q.choices]


def score_episode(learner: Learner, episode: Episode, slots: Sequence[str | None],
                  pairs: Sequence[Pair] | None = None) -> list[list[list[tuple[float, bool]]]]:
    """Per slot ("__base__" = no adapter), per query: lm-eval's (log-likelihood, is_greedy) per choice."""
    pairs = list(pairs if pairs is not None else query_pairs(learner, episode))
    out = []
    for slot in slots:  # one forward per slot: a slot's scores do not depend on the others
        flat, per_slot, i = learner.score(pairs, [slot] * len(pairs)), [], 0
        for q in episode.queries:
            per_slot.append(flat[i:i + len(q.choices)])
            i += len(q.choices)
        out.append(per_slot)
    return out
