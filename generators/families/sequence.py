"""sequence: continue a sequence from its two seed terms ('4 9' -> the next n_out terms).

ood: a random second-order recurrence x' = (alpha*x + beta*x_prev + gamma) mod m, with m a
     prime in [min_modulus, max_modulus] and alpha, beta, gamma in Z_m: the sum of m^3 over
     those primes, 10^6.7 at difficulty 2 (10^6.1 / 10^7.4 at 1 / 3), all different
     as functions up to a negligible set of rules that never wrap on the seeds.
id:  a familiar recurrence on the integers: arithmetic progression (continue the difference),
     Fibonacci, alternation (4 9 4 9), doubling, counting up or down by one (six rules).
The seeds are drawn below the smallest modulus, so they are valid terms under every candidate,
and the input must hold only seeds: the core renders an input without the rule.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .._config import require, require_int_range, require_min_max, with_difficulty
from ..core import Family
from ._numeric import enumerated_predictive, normalise, primes_between

# (modulus, alpha, beta, gamma), modulus 0 = plain integers
_FAMILIAR = {
    "arithmetic": (0, 2, -1, 0),
    "fibonacci": (0, 1, 1, 0),
    "alternate": (0, 0, 1, 0),
    "double": (0, 2, 0, 0),
    "count_up": (0, 1, 0, 1),
    "count_down": (0, 1, 0, -1),
}
_ID_RULES = tuple(_FAMILIAR.values())
_ID_NAME = {rule: name for name, rule in _FAMILIAR.items()}


@dataclass(frozen=True)
class SequenceConfig:
    difficulty: int = 2
    min_modulus: int = 23  # ood moduli: the primes in [min_modulus, max_modulus]; seeds < min_modulus
    max_modulus: int = 97
    n_out: int = 1  # terms to continue

    def __post_init__(self) -> None:
        require_int_range("min_modulus", self.min_modulus, 20, 500)  # >= 400 seed pairs: pools of 256 fit
        require_int_range("max_modulus", self.max_modulus, 10, 500)
        require_min_max(self, "min_modulus", "max_modulus")
        require(bool(self.moduli), "max_modulus", self.max_modulus, "no prime in the modulus range")
        require_int_range("n_out", self.n_out, 1, 5)

    @property
    def moduli(self) -> tuple[int, ...]:
        return primes_between(self.min_modulus, self.max_modulus)


_LEVELS = {
    1: dict(min_modulus=23, max_modulus=67, n_out=2),
    2: dict(min_modulus=23, max_modulus=97, n_out=1),
    3: dict(min_modulus=23, max_modulus=151, n_out=1),
}


class Sequence(Family):
    name = "sequence"
    n_choices = 3
    # A demo with n_out >= 3 pins the rule for its modulus, so distractors agreeing on it
    # would mostly be the anchor itself: they are drawn independently.
    max_agree = {"ood": 0, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> SequenceConfig:
        return with_difficulty(SequenceConfig, _LEVELS, difficulty, overrides)

    def sample_rule(self, rng: random.Random, variant: str, cfg: SequenceConfig):
        if variant == "id":
            return rng.choice(_ID_RULES)
        m = rng.choice(cfg.moduli)
        return m, rng.randrange(m), rng.randrange(m), rng.randrange(m)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id":  # any other familiar recurrence (the tuple needs distinct rules anyway)
            return rng.choice([r for r in _ID_RULES if r != anchor])
        return self.sample_rule(rng, variant, cfg)

    def sample_input(self, rng, variant, cfg, gold=None) -> tuple[int, int]:
        return rng.randrange(cfg.min_modulus), rng.randrange(cfg.min_modulus)

    def render_input(self, x: tuple[int, int]) -> str:
        return f"{x[0]} {x[1]}"

    def apply(self, rule, x: tuple[int, int], cfg) -> str:
        m, alpha, beta, gamma = rule
        prev, cur = x
        out = []
        for _ in range(cfg.n_out):
            prev, cur = cur, alpha * cur + beta * prev + gamma
            if m:
                cur %= m
            out.append(str(cur))
        return " ".join(out)

    def rule_key(self, rule) -> str:
        return _ID_NAME.get(rule) or "m={} a={} b={} c={}".format(*rule)

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        """Exact: every term after the seeds is one linear equation in (alpha, beta, gamma) over
        GF(m); a consistent system of rank r leaves m^(3-r) rules, so under the uniform prior
        P(observations | m) = m^-r, summed over the primes."""
        if variant == "id":
            return enumerated_predictive(_ID_RULES, lambda r, x: self.apply(r, x, cfg), demos, query, choices)
        demo_rows = [row for x, y in demos for row in _rows(x, y)]
        choice_rows = [_rows(query, c) for c in choices]
        weights = [0.0] * len(choices)
        for m in cfg.moduli:
            basis = _solve([], demo_rows, m)
            if basis is None:
                continue
            for i, rows in enumerate(choice_rows):
                full = _solve(basis, rows, m)
                if full is not None:
                    weights[i] += float(m) ** -len(full)
        return normalise(weights)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_RULES))
        return math.log10(sum(m ** 3 for m in cfg.moduli))


def _rows(seeds: tuple[int, int], terms: str) -> list[tuple[int, ...]] | None:
    """The equations alpha*x + beta*x_prev + gamma = x' that the terms after the seeds state."""
    try:
        z = [*seeds, *(int(t) for t in terms.split())]
    except ValueError:
        return None
    return [(z[i - 1], z[i - 2], 1, z[i]) for i in range(2, len(z))]


def _solve(basis: list, rows, m: int) -> list | None:
    """Add equations to a reduced row-echelon basis over GF(m); None if they contradict it
    (or state a term that is not a residue mod m)."""
    if rows is None:
        return None
    basis = list(basis)
    for row in rows:
        if not 0 <= row[3] < m:
            return None
        if len(basis) == 3:  # the rule is pinned: checking is cheaper than reducing
            sol = {piv: b[3] for piv, b in basis}
            if (sol[0] * row[0] + sol[1] * row[1] + sol[2]) % m != row[3]:
                return None
            continue
        row = [v % m for v in row]
        for piv, b in basis:
            if row[piv]:
                f = row[piv]
                row = [(u - f * v) % m for u, v in zip(row, b)]
        piv = next((j for j in range(3) if row[j]), None)
        if piv is None:
            if row[3]:
                return None
            continue
        inv = pow(row[piv], -1, m)
        row = [u * inv % m for u in row]
        basis = [(p, [(u - b[piv] * v) % m for u, v in zip(b, row)] if b[piv] else b) for p, b in basis]
        basis.append((piv, row))
    return basis
