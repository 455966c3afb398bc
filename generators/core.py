"""The family contract and the episode builder shared by every family.

An episode is one hidden rule, a support pool of demonstrations produced by it,
and a few queries.  Each query offers ``n_choices`` answers: the outputs of the
query input under ``n_choices`` distinct rules drawn from the same rule space
(the *candidate tuple*).  The gold rule is picked uniformly at random from that
tuple *after* the tuple and the queries are fixed, so without the
demonstrations every choice is equally likely to be the gold one: no function of
the query and the choices alone can beat chance (the exchangeability argument in
docs/validity.md).  The demonstrations are then the gold rule's outputs.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any, Hashable, Sequence

SUITE_VERSION = "2"
"""Bumped whenever a change can move any generated row."""

VARIANTS = ("ood", "id")
DIFFICULTIES = (1, 2, 3)

_TUPLE_ATTEMPTS = 200  # tuples resampled before the episode gives up
_QUERY_TRIES = 400  # query inputs tried per query before the tuple is resampled
_INPUT_TRIES = 10_000  # draws to find one fresh input


class GenerationError(RuntimeError):
    """A family could not produce a valid episode (its config is too tight)."""


class _Retry(Exception):
    """Internal: the current candidate tuple cannot serve; draw another."""


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

    @property
    def episode_id(self) -> str:
        return f"{self.family}_{self.variant}_d{self.difficulty}_s{self.seed}_e{self.index:05d}"


class Family:
    """Base class of a task family: subclass it, set the class attributes, implement the hooks.

    Rules and raw inputs are any hashable objects the family likes; outputs and
    rendered inputs are strings.  Every hook takes its RNG explicitly.
    """

    name: str = ""
    n_choices: int = 3
    max_agree: dict[str, int] = {"ood": 0, "id": 0}
    """Per variant: the candidate rules agree on the first ``j ~ U{0..max_agree}``
    pool inputs, so those demonstrations cannot tell them apart and more
    demonstrations eliminate more distractors."""

    def config(self, difficulty: int = 2, **overrides: Any) -> Any:
        """The validated config dataclass for a difficulty level (1-3)."""
        raise NotImplementedError

    def sample_rule(self, rng: random.Random, variant: str, cfg: Any) -> Hashable:
        raise NotImplementedError

    def sample_distractor(self, rng: random.Random, variant: str, cfg: Any, anchor: Hashable,
                          agree: Sequence[tuple[Hashable, str]]) -> Hashable:
        """A rule from the prior conditioned on giving ``agree``'s outputs.

        The default is rejection sampling from the prior; families with a
        cheaper exact conditional override it.
        """
        for _ in range(2000):
            rule = self.sample_rule(rng, variant, cfg)
            if all(self.apply(rule, x, cfg) == y for x, y in agree):
                return rule
        raise _Retry

    def sample_input(self, rng: random.Random, variant: str, cfg: Any,
                     gold: Hashable | None = None) -> Hashable:
        """One raw input; ``gold`` is given when drawing the support pool past the agreement head."""
        raise NotImplementedError

    def apply(self, rule: Hashable, x: Hashable, cfg: Any) -> str:
        raise NotImplementedError

    def render_input(self, x: Hashable) -> str:
        return str(x)

    def rule_key(self, rule: Hashable) -> str:
        return repr(rule)

    def predictive(self, variant: str, cfg: Any, demos: Sequence[tuple[Hashable, str]],
                   query: Hashable, choices: Sequence[str]) -> list[float]:
        """The ideal learner: P(the hidden rule maps ``query`` to each choice | demos), under the prior."""
        raise NotImplementedError

    def log10_rule_space(self, variant: str, cfg: Any) -> float:
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
    head_rng = item_rng(*ident, "agree")
    j = head_rng.randint(0, family.max_agree.get(variant, 0))
    taken: set = set()
    head = [_fresh(head_rng, lambda r: family.sample_input(r, variant, cfg), taken, "input")
            for _ in range(min(j, pool_size))]
    for attempt in range(_TUPLE_ATTEMPTS):
        rng = item_rng(*ident, "tuple", attempt)
        try:
            rules = _candidate_tuple(family, variant, cfg, rng, head)
            query_inputs, outputs = _queries(family, variant, cfg, rng, rules, set(taken), n_queries)
        except _Retry:
            continue
        break
    else:
        raise GenerationError(
            f"{family.name}/{variant}: no valid candidate tuple in {_TUPLE_ATTEMPTS} attempts")

    if gold_index is None:
        gold_index = item_rng(*ident, "gold").randrange(len(rules))
    gold = rules[gold_index]
    taken |= set(query_inputs)
    pool_rng = item_rng(*ident, "pool")
    pool = head + [_fresh(pool_rng, lambda r: family.sample_input(r, variant, cfg, gold), taken, "input")
                   for _ in range(pool_size - len(head))]

    order_rng = item_rng(*ident, "order")
    queries = []
    for q, outs in zip(query_inputs, outputs):
        perm = list(range(len(rules)))
        order_rng.shuffle(perm)
        queries.append(Query(family.render_input(q), tuple(outs[i] for i in perm), perm.index(gold_index)))
    demos = tuple(Demo(family.render_input(x), family.apply(gold, x, cfg)) for x in pool)
    return Episode(family.name, variant, cfg.difficulty, seed, index, demos, tuple(queries),
                   tuple(pool), tuple(query_inputs), family.rule_key(gold))


def distinct_episodes(family: Family, variant: str, cfg: Any, *, seed: int, n_episodes: int,
                      n_queries: int, pool_size: int):
    """Episodes 0..n-1 of a set, no two of which share a gold rule (for the ood variants).

    An episode whose rule an earlier one already used is redrawn, so a set's first n episodes
    do not depend on how many follow. The id twins' rule spaces are smaller than a set, so
    their rules necessarily repeat.
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


def _candidate_tuple(family: Family, variant: str, cfg: Any, rng: random.Random, head: list) -> list:
    anchor = family.sample_rule(rng, variant, cfg)
    agree = [(x, family.apply(anchor, x, cfg)) for x in head]
    return [anchor] + [family.sample_distractor(rng, variant, cfg, anchor, agree)
                       for _ in range(family.n_choices - 1)]


def _queries(family: Family, variant: str, cfg: Any, rng: random.Random, rules: list,
             taken: set, n_queries: int) -> tuple[list, list]:
    """Query inputs on which every candidate rule gives a different output.

    With two candidates (the binary families: two labels, one per candidate on every query)
    the first candidate's answer alternates from query to query, so whichever candidate is
    gold, an episode's gold labels split 3:2 (5 queries).  Without this an episode's queries
    tend to share one gold label, and a model that always answers "no" scores 0.5 only on
    average over sets: its accuracy on a 100-episode set had a standard deviation of about
    5 pp.  The condition treats the two candidates alike (it only asks that they trade
    answers), so exchangeability holds.
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
            raise _Retry
    return inputs, outputs


def ideal_accuracy(probs: Sequence[float], label: int) -> float:
    """Expected accuracy of answering with the argmax, ties broken uniformly."""
    best = max(probs)
    winners = [i for i, p in enumerate(probs) if p >= best - 1e-12]
    return 1.0 / len(winners) if label in winners else 0.0
