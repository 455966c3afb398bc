"""The family contract and the episode builder shared by every family (suite v3).

An episode is one hidden rule, a support pool of demonstrations produced by it, and a few
queries.  Each query offers ``n_choices`` answers: the outputs of the query input under the
``n_choices`` rules of a *candidate tuple* drawn from the variant's rule space.  The order of
the draws is what makes the task valid:

1. the first ``PAIRED_K`` pool inputs are drawn, independently of any rule;
2. the candidate tuple is drawn; in a family with ``matched_outputs`` every candidate gives the
   same *multiset* of outputs on those inputs (the pairing constraint), and every two
   candidates differ on at least one of them;
3. the queries are drawn: inputs outside the pool on which the candidates all differ;
4. the gold rule is picked uniformly from the tuple, and only then are the demonstrations
   written: the gold rule's outputs on the pool (inputs past ``PAIRED_K`` come from their own
   stream, so the first 16 never depend on the pool size).

Without the demonstrations every choice is equally likely to be gold: the gold index is uniform
and independent of everything a demo-blind learner sees.  With the outputs but not the pairing
(the ``_k16_shuffled`` control) the same holds wherever the pairing constraint holds: the
output multiset on the paired inputs is the same whichever candidate is gold (docs/validity.md).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any, Hashable, Sequence

from ._config import with_difficulty

SUITE_VERSION = "3"
"""Bumped whenever a change can move any generated row."""

VARIANTS = ("id", "renamed", "ood")
"""id: familiar rule, familiar surface; renamed: the id rules through a per-episode renaming into
the ood surface; ood: a new rule (never equivalent to a familiar one under any renaming)."""
DIFFICULTIES = (1, 2, 3)
PAIRED_K = 16
"""The demonstrations the pairing constraint covers: the k of the pairing control."""

_TUPLE_ATTEMPTS = 200  # tuples resampled before the episode gives up
_QUERY_TRIES = 400  # query inputs tried per query before the tuple is resampled
_INPUT_TRIES = 10_000  # draws to find one fresh input


class GenerationError(RuntimeError):
    """A family could not produce a valid episode (its config is too tight)."""


class RetryTuple(Exception):
    """Raised by a family hook: the current candidate tuple cannot serve; draw another."""


def item_rng(*identity: Any) -> random.Random:
    """A private RNG for one item, seeded from a SHA-256 of its identity.

    Never ``seed + idx`` (adjacent seeds would share items) and never Python's
    salted ``hash()``: the same identity gives the same stream in any process.
    """
    blob = json.dumps([str(part) for part in identity], separators=(",", ":"))
    digest = hashlib.sha256(blob.encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


@dataclass(frozen=True)
class Demo:
    input: str
    output: str


@dataclass(frozen=True)
class Query:
    input: str
    choices: tuple[str, ...]
    label: int

    @property
    def answer(self) -> str:
        return self.choices[self.label]


@dataclass(frozen=True)
class Episode:
    """One rule, its support pool and its queries, plus the raw objects the ideal learner needs."""

    family: str
    variant: str
    difficulty: int
    seed: int
    index: int
    demos: tuple[Demo, ...]
    queries: tuple[Query, ...]
    raw_demo_inputs: tuple[Hashable, ...]
    raw_query_inputs: tuple[Hashable, ...]
    rule_key: str  # canonical text of the gold rule, for collision counts
    rule: Hashable = None  # the gold rule itself, for the novelty checker

    @property
    def episode_id(self) -> str:
        return f"{self.family}_{self.variant}_d{self.difficulty}_s{self.seed}_e{self.index:05d}"

    def identity(self) -> tuple:
        return (SUITE_VERSION, self.family, self.variant, self.difficulty, self.seed, self.index)


class Family:
    """Base class of a task family: subclass it, set the class attributes, implement the hooks.

    Rules and raw inputs are any hashable objects the family likes; outputs and rendered inputs
    are strings.  Every hook takes its RNG explicitly.
    """

    name: str = ""
    n_choices: int = 3
    config_class: type = None  # a frozen dataclass with a ``difficulty`` field
    levels: dict[int, dict[str, Any]] = {}  # difficulty -> knob values
    matched_outputs: bool = True
    """The pairing constraint holds: every candidate gives the gold's output multiset on the
    first PAIRED_K pool inputs (the core checks it).  A family that sets False must say why in
    its docstring and pass the pairing-free learners empirically."""

    def config(self, difficulty: int = 2, **overrides: Any) -> Any:
        """The validated config dataclass for a difficulty level (1-3)."""
        return with_difficulty(self.config_class, self.levels, difficulty, overrides)

    # -- the generative process ---------------------------------------------------------------
    def sample_rule(self, rng: random.Random, variant: str, cfg: Any) -> Hashable:
        raise NotImplementedError

    def sample_tuple(self, rng: random.Random, variant: str, cfg: Any, paired: Sequence[Hashable]) -> list:
        """The candidate tuple; ``paired`` are the first PAIRED_K pool inputs.  The default:
        an anchor from the prior, then ``n_choices - 1`` distractors."""
        anchor = self.sample_rule(rng, variant, cfg)
        return [anchor] + [self.sample_distractor(rng, variant, cfg, anchor, paired)
                           for _ in range(self.n_choices - 1)]

    def sample_distractor(self, rng: random.Random, variant: str, cfg: Any, anchor: Hashable,
                          paired: Sequence[Hashable]) -> Hashable:
        """A rule giving the anchor's output multiset on ``paired``; the default rejects prior draws."""
        want = Counter(self.apply(anchor, x, cfg) for x in paired)
        for _ in range(2000):
            rule = self.sample_rule(rng, variant, cfg)
            if Counter(self.apply(rule, x, cfg) for x in paired) == want:
                return rule
        raise RetryTuple

    def sample_input(self, rng: random.Random, variant: str, cfg: Any) -> Hashable:
        """One raw input, drawn independently of every rule."""
        raise NotImplementedError

    def apply(self, rule: Hashable, x: Hashable, cfg: Any) -> str:
        raise NotImplementedError

    def render_input(self, x: Hashable) -> str:
        return str(x)

    def rule_key(self, rule: Hashable) -> str:
        return repr(rule)

    # -- what the task measures ---------------------------------------------------------------
    def ideal(self, variant: str, cfg: Any, demos: Sequence[tuple[Hashable, str]],
              query: Hashable, choices: Sequence[str]) -> list[float]:
        """The ideal learner: scores proportional to P(choice i is gold | demos, query, choices)
        under the generative process as it is (tuple construction included), not just the
        posterior predictive."""
        raise NotImplementedError

    def competitors(self) -> dict[str, Any]:
        """Family-specific competitors of the ideal (e.g. the posterior predictive and the
        posterior/prior ratio): name -> fn(variant, cfg, demos, query, choices) -> scores."""
        return {}

    def familiar_match(self, rule: Hashable, cfg: Any) -> str | None:
        """The familiar or trivial rule that ``rule`` equals under some renaming on the input
        distribution, or None.  Written independently of the generator's own exclusion."""
        raise NotImplementedError

    def log10_behaviours(self, variant: str, cfg: Any) -> float:
        """log10 of the number of distinct behaviours on the input distribution (names that never
        separate the choices do not count)."""
        raise NotImplementedError


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
    """Build one episode: a pure function of its arguments (and SUITE_VERSION).

    ``gold_index`` forces which member of the candidate tuple is the gold rule; it exists
    for the exchangeability test (nothing but the labels and demos may change with it).
    ``redraw`` > 0 draws a different episode for the same index (see ``distinct_episodes``).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant={variant!r} is not one of {VARIANTS}")
    ident = (SUITE_VERSION, family.name, variant, cfg.difficulty, seed, index) + ((redraw,) if redraw else ())
    draw = lambda r: family.sample_input(r, variant, cfg)  # noqa: E731
    for attempt in range(_TUPLE_ATTEMPTS):
        taken: set = set()
        in_rng = item_rng(*ident, "paired", attempt)
        paired = [_fresh(in_rng, draw, taken, "input") for _ in range(PAIRED_K)]
        rng = item_rng(*ident, "tuple", attempt)
        try:
            rules = family.sample_tuple(rng, variant, cfg, paired)
            _check_tuple(family, cfg, rules, paired)
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
    return Episode(family.name, variant, cfg.difficulty, seed, index, demos, tuple(queries),
                   tuple(pool), tuple(query_inputs), family.rule_key(gold), gold)


def _check_tuple(family: Family, cfg: Any, rules: list, paired: list) -> None:
    """The pairing constraint (where the family claims it) and pairwise separation on ``paired``."""
    if len(rules) != family.n_choices:
        raise GenerationError(f"{family.name}: sample_tuple gave {len(rules)} rules, not {family.n_choices}")
    outs = [tuple(family.apply(r, x, cfg) for x in paired) for r in rules]
    if len(set(outs)) != len(outs):
        raise RetryTuple  # two candidates agree on every paired input: 16 demos could not separate them
    if family.matched_outputs and any(Counter(o) != Counter(outs[0]) for o in outs[1:]):
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


def derangement(rng: random.Random, n: int) -> list[int]:
    """A uniformly random permutation of range(n) with no fixed point (n >= 2)."""
    if n < 2:
        raise ValueError(f"n={n}: a derangement needs at least 2 items")
    while True:
        perm = list(range(n))
        rng.shuffle(perm)
        if all(i != p for i, p in enumerate(perm)):
            return perm


def control_permutation(identity: Sequence[Any], k: int = PAIRED_K) -> list[int]:
    """The pairing control's derangement for the episode with this identity (Episode.identity(),
    or the same fields of a dataset row): output ``perm[i]`` goes to demo ``i``."""
    return derangement(item_rng(*identity, "derange", k), k)


def shuffled_demos(episode: Episode, k: int = PAIRED_K) -> tuple[tuple[Demo, ...], tuple]:
    """The pairing control: the first k demos with their outputs deranged among them (every
    input keeps its place, no demo keeps its own output).  Returns the demos and the raw
    inputs (unchanged), so a learner can be run on what the control's prompt shows."""
    perm = control_permutation(episode.identity(), k)
    demos = episode.demos[:k]
    return tuple(Demo(d.input, demos[p].output) for d, p in zip(demos, perm)), episode.raw_demo_inputs[:k]


def ideal_accuracy(probs: Sequence[float], label: int) -> float:
    """Expected accuracy of answering with the argmax, ties broken uniformly."""
    best = max(probs)
    winners = [i for i, p in enumerate(probs) if p >= best - 1e-12]
    return 1.0 / len(winners) if label in winners else 0.0


def normalise(weights: Sequence[float]) -> list[float]:
    """Weights to probabilities; uniform when every weight is 0."""
    total = sum(weights)
    if not total:
        return [1 / len(weights)] * len(weights)
    return [float(w / total) for w in weights]


def distinct_words(rng: random.Random, n: int, make) -> list[str]:
    """``n`` distinct strings from ``make(rng)`` (nonce label pairs, renamings)."""
    out: list[str] = []
    while len(out) < n:
        w = make(rng)
        if w not in out:
            out.append(w)
    return out
