"""The episode builder and the pairing control (suite v3): the order of the draws is what makes a task valid.

1. the first ``PAIRED_K`` pool inputs are drawn, independently of any rule (independently of
   each other, or as a family's closed set of orbits: ``Family.sample_paired``);
2. the candidate tuple is drawn (``Family.sample_tuple``); the core checks that every two
   candidates differ on those inputs and, where the family claims the pairing constraint
   (``matched_outputs``), that they give the same multiset of outputs there;
3. the queries: inputs outside the pool on which the candidates all differ;
4. the gold rule, uniform in the tuple; only then are the demonstrations written (pool inputs
   past ``PAIRED_K`` come from their own stream, so the first 16 never depend on the pool size).
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Hashable, Sequence

from .core import (PAIRED_K, SEED_SPACE, VARIANTS, Demo, Episode, Family, GenerationError, Query, RetryTuple,
                   episode_identity, item_rng)

_TUPLE_ATTEMPTS = 200  # tuples resampled before the episode gives up
_QUERY_TRIES = 400  # query inputs tried per query before the tuple is resampled
_INPUT_TRIES = 10_000  # draws to find one fresh input


def _fresh(rng: random.Random, draw, taken: set, what: str) -> Hashable:
    for _ in range(_INPUT_TRIES):
        x = draw(rng)
        if x not in taken:
            taken.add(x)
            return x
    raise GenerationError(f"could not draw a fresh {what}: the input space is too small for the pool")


def build_episode(family: Family, variant: str, cfg: Any, *, seed: int, index: int,
                  n_queries: int, pool_size: int, gold_index: int | None = None,
                  redraw: int = 0) -> Episode:
    """Build one episode: a pure function of its arguments (and SEED_SPACE).

    ``gold_index`` forces which member of the candidate tuple is the gold rule; it exists
    for the exchangeability test (nothing but the labels and demos may change with it).
    ``redraw`` > 0 draws a different episode for the same index (see ``distinct_episodes``).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant={variant!r} is not one of {VARIANTS}")
    ident = (SEED_SPACE, family.name, variant, cfg.difficulty, seed, index) + ((redraw,) if redraw else ())
    draw = lambda r: family.sample_input(r, variant, cfg)  # noqa: E731
    for attempt in range(_TUPLE_ATTEMPTS):
        taken: set = set()
        in_rng = item_rng(*ident, "paired", attempt)
        paired, blocks = _paired(family, variant, cfg, in_rng, draw, taken)
        rng = item_rng(*ident, "tuple", attempt)
        try:
            rules = family.sample_tuple(rng, variant, cfg, paired)
            _check_tuple(family, variant, cfg, rules, paired)
            query_inputs, outputs = _queries(family, variant, cfg, rng, rules, taken, n_queries)
        except RetryTuple:
            continue
        break
    else:
        raise GenerationError(f"{family.name}/{variant}: no valid candidate tuple in {_TUPLE_ATTEMPTS} attempts")

    if gold_index is None:
        gold_index = item_rng(*ident, "gold").randrange(len(rules))
    gold = rules[gold_index]
    rest_rng = item_rng(*ident, "pool", attempt)
    pool = paired[:pool_size] + [_fresh(rest_rng, draw, taken, "input") for _ in range(pool_size - PAIRED_K)]

    order_rng = item_rng(*ident, "order")
    queries = []
    for q, outs in zip(query_inputs, outputs):
        perm = list(range(len(rules)))
        order_rng.shuffle(perm)
        queries.append(Query(family.render_input(q), tuple(outs[i] for i in perm), perm.index(gold_index)))
    demos = tuple(Demo(family.render_input(x), family.apply(gold, x, cfg)) for x in pool)
    control = control_permutation(episode_identity(family.name, variant, cfg.difficulty, seed, index), PAIRED_K, blocks)
    return Episode(family.name, variant, cfg.difficulty, seed, index, demos, tuple(queries),
                   tuple(pool), tuple(query_inputs), family.rule_key(gold), gold,
                   tuple(control) if pool_size >= PAIRED_K else ())


def _paired(family: Family, variant: str, cfg: Any, rng: random.Random, draw, taken: set) -> tuple[list, list]:
    """The PAIRED_K paired inputs and their blocks (Family.sample_paired), added to ``taken``."""
    got = family.sample_paired(rng, variant, cfg)
    if got is None:
        return [_fresh(rng, draw, taken, "input") for _ in range(PAIRED_K)], list(range(PAIRED_K))
    paired, blocks = (list(part) for part in got)
    if len(paired) != PAIRED_K or len(blocks) != PAIRED_K or len(set(paired)) != PAIRED_K:
        raise GenerationError(f"{family.name}: sample_paired must give {PAIRED_K} distinct inputs and their blocks")
    taken.update(paired)
    return paired, blocks


def _check_tuple(family: Family, variant: str, cfg: Any, rules: list, paired: list) -> None:
    """The pairing constraint (where the family claims it) and pairwise separation on ``paired``."""
    if len(rules) != family.n_choices:
        raise GenerationError(f"{family.name}: sample_tuple gave {len(rules)} rules, not {family.n_choices}")
    outs = [tuple(family.apply(r, x, cfg) for x in paired) for r in rules]
    if len(set(outs)) != len(outs):
        raise RetryTuple  # two candidates agree on every paired input: 16 demos could not separate them
    if family.matched(variant) and any(Counter(o) != Counter(outs[0]) for o in outs[1:]):
        raise RetryTuple


def distinct_episodes(family: Family, variant: str, cfg: Any, *, seed: int, n_episodes: int,
                      n_queries: int, pool_size: int):
    """Episodes 0..n-1 of a set, no two of which share a gold rule (for the ood variants).

    An episode whose rule an earlier one already used is redrawn, so a set's first n episodes
    do not depend on how many follow.  The id and renamed rule spaces are small, so their rules
    necessarily repeat (renamed episodes differ in their renaming).
    """
    seen: set[str] = set()
    for index in range(n_episodes):
        for redraw in range(1000):
            ep = build_episode(family, variant, cfg, seed=seed, index=index, n_queries=n_queries,
                               pool_size=pool_size, redraw=redraw)
            if variant != "ood" or ep.rule_key not in seen:
                break
        else:  # pragma: no cover - 1000 redraws means the space is smaller than the set
            raise GenerationError(f"{family.name}/{variant}: cannot find {n_episodes} distinct rules")
        seen.add(ep.rule_key)
        yield ep


def _queries(family: Family, variant: str, cfg: Any, rng: random.Random, rules: list,
             taken: set, n_queries: int) -> tuple[list, list]:
    """Query inputs on which every candidate rule gives a different output.

    With two candidates (the binary families: two labels, one per candidate on every query)
    the first candidate's answer alternates from query to query, so whichever candidate is
    gold, an episode's gold labels split 3:2 (5 queries): a constant answer scores 0.5 +- 1pp
    on a set instead of +- 5pp.  The condition treats the candidates alike, so the gold index
    stays independent of the queries.
    """
    inputs, outputs = [], []
    for j in range(n_queries):
        for _ in range(_QUERY_TRIES):
            q = family.sample_input(rng, variant, cfg)
            if q in taken:
                continue
            outs = [family.apply(rule, q, cfg) for rule in rules]
            if len(outs) == 2 and j and (outs[0] == outputs[0][0]) != (j % 2 == 0):
                continue
            if len(set(outs)) == len(outs):
                taken.add(q)
                inputs.append(q)
                outputs.append(outs)
                break
        else:
            raise RetryTuple
    return inputs, outputs


def derangement(rng: random.Random, n: int, blocks: Sequence[Hashable] | None = None) -> list[int]:
    """A uniformly random permutation of range(n) with no fixed point (n >= 2); with ``blocks``
    (a block id per item), uniform among those that send no item into its own block."""
    if n < 2:
        raise ValueError(f"n={n}: a derangement needs at least 2 items")
    blocks = list(range(n)) if blocks is None else list(blocks)
    if len(blocks) != n or max(Counter(blocks).values()) * 2 > n:
        raise ValueError(f"blocks={blocks!r}: need one block per item, none holding more than half of them")
    while True:
        perm = list(range(n))
        rng.shuffle(perm)
        if all(blocks[i] != blocks[p] for i, p in enumerate(perm)):
            return perm


def control_permutation(identity: Sequence[Any], k: int = PAIRED_K, blocks: Sequence[Hashable] | None = None) -> list[int]:
    """The pairing control's derangement for the episode with this identity (Episode.identity()):
    output ``perm[i]`` goes to demo ``i``, never from demo i's own block.  Episodes carry it
    (``Episode.control``) and dataset rows carry it (the ``control`` field)."""
    return derangement(item_rng(*identity, "derange", k), k, blocks)


def shuffled_demos(episode: Episode, k: int = PAIRED_K) -> tuple[tuple[Demo, ...], tuple]:
    """The pairing control: the first k demos with their outputs deranged among them (every
    input keeps its place, no demo keeps its own output, nor one of its own block's).  Returns
    the demos and the raw inputs (unchanged), so a learner can be run on what the control's
    prompt shows."""
    if k != PAIRED_K or len(episode.control) != k:
        raise ValueError(f"the pairing control is defined at k={PAIRED_K} on an episode with a pool of >= {PAIRED_K}")
    perm = episode.control
    demos = episode.demos[:k]
    return tuple(Demo(d.input, demos[p].output) for d, p in zip(demos, perm)), episode.raw_demo_inputs[:k]


def has_decoupled_control(family: Family, variant: str) -> bool:
    """Whether ``decoupled_demos`` is defined for this cell: the renamed and ood variants without
    the pairing constraint (the exchangeable ones, where it is exact; docs/validity.md)."""
    return variant in VARIANTS and variant != "id" and not family.matched(variant)


def decoupled_demos(family: Family, cfg: Any, episode: Episode) -> tuple[tuple[Demo, ...], tuple]:
    """The decoupled pairing control (the ``..._k16_decoupled`` tasks), for the cells of
    ``has_decoupled_control``.  The first PAIRED_K demo inputs as shown, each with the gold's
    output on a *fresh* input drawn from the family's input distribution (distinct, from an RNG
    seeded by the episode's identity; the queries are not excluded, which would be a tell of its
    own).  Where every candidate pushes the input law forward to the same output law (bijections
    of a uniform input space), the shown outputs have one law whichever candidate is gold, so no
    learner, pairing-free or not, can beat chance; the derangement of ``shuffled_demos`` leaves the
    outputs the gold's images of the inputs shown, which a search of the rule space can re-pair.
    Not for id variants: their inputs are familiar text (English words, letter frequencies), whose
    image under the gold can name it.  Returns the demos and the raw inputs shown, like
    ``shuffled_demos``."""
    name = f"{family.name}_{episode.variant}"
    if not has_decoupled_control(family, episode.variant):
        raise ValueError(f"{name}: the decoupled control is for renamed and ood variants without the pairing "
                         "constraint; use shuffled_demos")
    if episode.family != family.name or cfg.difficulty != episode.difficulty:
        raise ValueError(f"{name}: cfg (difficulty {cfg.difficulty}) is not the episode's "
                         f"({episode.family}, difficulty {episode.difficulty})")
    if len(episode.demos) < PAIRED_K:
        raise ValueError(f"the pairing control is defined at k={PAIRED_K} on an episode with a pool of >= {PAIRED_K}")
    k = PAIRED_K
    rng = item_rng(*episode.identity(), "decouple", k)
    taken: set = set()
    fresh = [_fresh(rng, lambda r: family.sample_input(r, episode.variant, cfg), taken, "decoupled input")
             for _ in range(k)]
    return (tuple(Demo(d.input, family.apply(episode.rule, x, cfg)) for d, x in zip(episode.demos[:k], fresh)),
            episode.raw_demo_inputs[:k])
