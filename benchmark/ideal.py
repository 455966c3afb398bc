"""The ideal learner and chance for a task: what its demonstrations allow at best."""

from __future__ import annotations

from .dataset import BuildSpec, episodes
from .generators import get_family, ideal_accuracy


def ideal_by_episode(spec: BuildSpec, k: int) -> list[float]:
    """The ideal learner's expected accuracy on each episode's queries, given its first k demos."""
    fam = get_family(spec.family)
    cfg = fam.config(spec.difficulty, **spec.overrides)
    scores = []
    for ep in episodes(spec):
        demos = [(x, d.output) for x, d in zip(ep.raw_demo_inputs[:k], ep.demos[:k])]
        per_query = [ideal_accuracy(fam.predictive(spec.variant, cfg, demos, x, q.choices), q.label)
                     for x, q in zip(ep.raw_query_inputs, ep.queries)]
        scores.append(sum(per_query) / len(per_query))
    return scores


def chance(family: str) -> float:
    return 1.0 / get_family(family).n_choices
