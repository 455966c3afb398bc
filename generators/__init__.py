"""ood_icl.generators: procedurally generated in-context learning tasks (standard library only).

>>> from ood_icl.generators import get_family, build_episode
>>> fam = get_family("cipher")
>>> ep = build_episode(fam, "ood", fam.config(2), seed=1, index=0, n_queries=2, pool_size=4)
>>> len(ep.demos), len(ep.queries)
(4, 2)
"""

from .core import (DIFFICULTIES, PAIRED_K, SUITE_VERSION, VARIANTS, Demo, Episode, Family, GenerationError,
                   Query, RetryTuple, episode_identity, ideal_accuracy, item_rng, normalise)
from .episodes import (build_episode, control_permutation, decoupled_demos, derangement, distinct_episodes,
                       has_decoupled_control, shuffled_demos)
from .prompts import render_prompt
from .heuristics import HEURISTICS
from .registry import FAMILIES, UnknownNameError, did_you_mean, get_family

__all__ = [
    "DIFFICULTIES", "FAMILIES", "HEURISTICS", "PAIRED_K", "SUITE_VERSION", "VARIANTS", "Demo", "Episode",
    "Family", "GenerationError", "Query", "RetryTuple", "UnknownNameError", "build_episode",
    "control_permutation", "decoupled_demos", "derangement", "episode_identity", "did_you_mean",
    "distinct_episodes", "get_family", "has_decoupled_control", "ideal_accuracy", "item_rng", "normalise", "render_prompt", "shuffled_demos",
]
