"""The family contract shared by every family (suite v3); generators.episodes builds episodes.

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
output multiset on the paired inputs is the same whichever candidate is gold; elsewhere in the
renamed and ood variants the ``_k16_decoupled`` control shows the gold's outputs on fresh inputs,
whose law is the same whichever candidate is gold (episodes.decoupled_demos; docs/validity.md).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any, Hashable, Iterable, Sequence

from ._config import with_difficulty

SUITE_VERSION = "3.1"
"""Bumped whenever a change can move any generated row (3.1: cipher and list_fn draw their
candidates as a coset of a symmetry of the paired inputs; four families' nonce vocabularies)."""
SEED_SPACE = "3"
"""The namespace of every item RNG (the first field of an episode's identity).  Kept apart from
SUITE_VERSION so that a version bump does not reshuffle the families it did not change: their
rows, and their validity figures, carry over byte for byte.  Changing it reshuffles every family."""

VARIANTS = ("id", "renamed", "ood")
"""id: familiar rule, familiar surface; renamed: the id rules through a per-episode renaming into
the ood surface; ood: a new rule (never equivalent to a familiar one under any renaming)."""
DIFFICULTIES = (1, 2, 3)
PAIRED_K = 16
"""The demonstrations the pairing constraint covers: the k of the pairing control."""



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
    control: tuple[int, ...] = ()  # the pairing control's derangement of the first PAIRED_K demos

    @property
    def episode_id(self) -> str:
        return f"{self.family}_{self.variant}_d{self.difficulty}_s{self.seed}_e{self.index:05d}"

    def identity(self) -> tuple:
        return episode_identity(self.family, self.variant, self.difficulty, self.seed, self.index)


def episode_identity(family: str, variant: str, difficulty: int, seed: int, index: int) -> tuple:
    """What names an episode (a dataset row carries the same fields): the seed of its private RNGs."""
    return (SEED_SPACE, family, variant, difficulty, seed, index)


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

    def matched(self, variant: str) -> bool:
        """Whether the pairing constraint holds in this variant (by default: ``matched_outputs``)."""
        return self.matched_outputs

    def config(self, difficulty: int = 2, **overrides: Any) -> Any:
        """The validated config dataclass for a difficulty level (1-3)."""
        return with_difficulty(self.config_class, self.levels, difficulty, overrides)

    # -- the generative process ---------------------------------------------------------------
    def sample_tuple(self, rng: random.Random, variant: str, cfg: Any, paired: Sequence[Hashable]) -> list:
        """The ``n_choices`` candidate rules; ``paired`` are the first PAIRED_K pool inputs.  Draw
        them so that ``ideal`` can be Bayes-optimal for the draw (docs/validity.md): e.g. i.i.d.
        prior draws, or a symmetric draw accepted on equal output multisets on ``paired``."""
        raise NotImplementedError

    def sample_input(self, rng: random.Random, variant: str, cfg: Any) -> Hashable:
        """One raw input, drawn independently of every rule."""
        raise NotImplementedError

    def sample_paired(self, rng: random.Random, variant: str, cfg: Any) -> tuple[list, list] | None:
        """Optionally, the PAIRED_K paired inputs drawn together, with a block id for each: a
        family whose candidates are a coset of a symmetry of these inputs (the input set is
        closed under the symmetry; a block is one orbit) returns (inputs, blocks), distinct
        inputs in random order.  The pairing control then never gives a demo an output of its
        own block, so whichever candidate is gold the control shows the same distribution
        (docs/validity.md).  None (the default): PAIRED_K independent draws of sample_input,
        each its own block."""
        return None

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


def orbit_inputs(rng: random.Random, draw, orbit, k: int = PAIRED_K) -> tuple[list, list]:
    """``Family.sample_paired`` for a family whose paired inputs are whole orbits of a group: draw
    ``draw(rng)`` until k inputs are covered by disjoint full-size orbits (``orbit(u)`` lists u's
    images, one per group element), then shuffle them; returns (inputs, blocks = orbit index)."""
    inputs: list = []
    blocks: list = []
    taken: set = set()
    while len(inputs) < k:
        images = orbit(draw(rng))
        if len(set(images)) == len(images) and not taken.intersection(images):
            taken.update(images)
            blocks += [len(inputs) // len(images)] * len(images)
            inputs += images
    order = list(range(k))
    rng.shuffle(order)
    return [inputs[i] for i in order], [blocks[i] for i in order]


def one_renaming(pairs: Iterable[tuple[Hashable, Hashable]]) -> bool:
    """Whether a single injective renaming R has R(a) == b for every pair (a, b): the novelty
    checkers' test that two behaviours differ only in the names of their symbols."""
    fwd: dict = {}
    back: dict = {}
    return all(fwd.setdefault(a, b) == b and back.setdefault(b, a) == a for a, b in pairs)
