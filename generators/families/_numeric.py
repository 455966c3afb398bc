"""Small helpers shared by the numeric families (base_arith, affine, sequence)."""

from __future__ import annotations

from typing import Callable, Hashable, Sequence


def normalise(weights: Sequence[float]) -> list[float]:
    """Weights to probabilities; uniform when nothing is consistent (cannot happen for a real episode)."""
    total = sum(weights)
    if not total:
        return [1 / len(weights)] * len(weights)
    return [float(w / total) for w in weights]


def enumerated_predictive(rules: Sequence[Hashable], apply: Callable[[Hashable, Hashable], str],
                          demos: Sequence[tuple[Hashable, str]], query: Hashable,
                          choices: Sequence[str]) -> list[float]:
    """The exact posterior predictive over a small rule list under a uniform prior."""
    live = [r for r in rules if all(apply(r, x) == y for x, y in demos)]
    outs = [apply(r, query) for r in live]
    return normalise([outs.count(c) for c in choices])


def primes_between(lo: int, hi: int) -> tuple[int, ...]:
    return tuple(n for n in range(max(lo, 2), hi + 1) if all(n % d for d in range(2, int(n ** 0.5) + 1)))
