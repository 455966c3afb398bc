"""Demo-blind heuristics: answer from the query and the choices alone.

Every one of them must score chance on every task (see docs/validity.md): a task one of
them can solve would measure something other than learning from the demonstrations.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

Heuristic = Callable[[str, Sequence[str]], int]


def _argmax(scores: Sequence[float]) -> int:
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def _overlap(a: str, b: str) -> float:
    ca, cb = Counter(a), Counter(b)
    return sum((ca & cb).values()) / max(1, len(a) + len(b))


def _prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


HEURISTICS: dict[str, Heuristic] = {
    "first": lambda q, cs: 0,
    "last": lambda q, cs: len(cs) - 1,
    "longest": lambda q, cs: _argmax([len(c) for c in cs]),
    "shortest": lambda q, cs: _argmax([-len(c) for c in cs]),
    "lexicographic_min": lambda q, cs: min(range(len(cs)), key=lambda i: cs[i]),
    "overlap_with_query": lambda q, cs: _argmax([_overlap(q, c) for c in cs]),
    "shares_prefix_with_query": lambda q, cs: _argmax([_prefix(q, c) for c in cs]),
    "medoid": lambda q, cs: _argmax([sum(_overlap(c, o) for o in cs if o is not c) for c in cs]),
    "odd_one_out": lambda q, cs: _argmax([-sum(_overlap(c, o) for o in cs if o is not c) for c in cs]),
    "most_distinct_chars": lambda q, cs: _argmax([len(set(c)) for c in cs]),
}
