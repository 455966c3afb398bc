"""The ideal learner, the copy baseline and chance for a task: what its demonstrations allow at
best, and how much of it one fixed shallow learner (generators.learners.COPY_BASELINES) gets."""

from __future__ import annotations

from .dataset import BuildSpec, episodes
from .generators import Episode, Family, get_family, ideal_accuracy
from .generators.learners import COPY_BASELINES, LEARNERS, expected_accuracy


def episode_ideal(fam: Family, variant: str, cfg, ep: Episode, k: int) -> float:
    """The ideal learner's expected accuracy on one episode's queries, given its first k demos."""
    demos = [(x, d.output) for x, d in zip(ep.raw_demo_inputs[:k], ep.demos[:k])]
    per_query = [ideal_accuracy(fam.ideal(variant, cfg, demos, x, q.choices), q.label)
                 for x, q in zip(ep.raw_query_inputs, ep.queries)]
    return sum(per_query) / len(per_query)


def ideal_by_episode(spec: BuildSpec, k: int) -> list[float]:
    """The ideal learner's expected accuracy on each episode's queries, given its first k demos."""
    fam = get_family(spec.family)
    cfg = fam.config(spec.difficulty, **spec.overrides)
    return [episode_ideal(fam, spec.variant, cfg, ep, k) for ep in episodes(spec)]


def chance(family: str) -> float:
    return 1.0 / get_family(family).n_choices


def copy_by_episode(spec: BuildSpec, k: int) -> list[float] | None:
    """The family's copy baseline's expected accuracy on each episode, given its first k demos
    (None when the family has no copy baseline)."""
    name = COPY_BASELINES.get(spec.family)
    if name is None:
        return None
    learner = LEARNERS[name]
    out = []
    for ep in episodes(spec):
        shown = [(d.input, d.output) for d in ep.demos[:k]]
        accs = [expected_accuracy(learner(shown, q.input, q.choices), q.label) for q in ep.queries]
        out.append(sum(accs) / len(accs))
    return out
