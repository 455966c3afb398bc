"""list_fn: a function on a short list of digits.

ood: a composition of 2-3 primitives with random constants (add c, multiply by c, c minus x,
     all mod 10; sort; reverse; rotate; cumulative sum; ...): 36^2 + 36^3 ~ 4.8*10^4 programs.
     This is the one ood space under 10^6: the ideal learner is exact because it enumerates
     programs breadth-first, and a 4th level or ~100 primitives would make each call ~30x
     slower. The other families' rules are novel by construction; this one tests composition.
     No two episodes of a set share a program (core.distinct_episodes).
id:  one familiar primitive: sort, sort descending, reverse, add 1, subtract 1, rotate.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .._config import require_int_range, require_min_max, with_difficulty
from ..core import Family

Digits = tuple[int, ...]


def _primitives() -> dict[str, Callable[[Digits], Digits]]:
    prims: dict[str, Callable[[Digits], Digits]] = {
        "reverse": lambda xs: xs[::-1],
        "sort": lambda xs: tuple(sorted(xs)),
        "sort_desc": lambda xs: tuple(sorted(xs, reverse=True)),
        "rotl1": lambda xs: xs[1:] + xs[:1],
        "rotl2": lambda xs: xs[2:] + xs[:2],
        "rotr1": lambda xs: xs[-1:] + xs[:-1],
        "swap_ends": lambda xs: xs[-1:] + xs[1:-1] + xs[:1] if len(xs) > 1 else xs,
        "cumsum": lambda xs: tuple(sum(xs[: i + 1]) % 10 for i in range(len(xs))),
        "add_index": lambda xs: tuple((x + i) % 10 for i, x in enumerate(xs)),
    }
    for c in range(1, 10):
        prims[f"add{c}"] = lambda xs, c=c: tuple((x + c) % 10 for x in xs)
    for c in range(2, 10):
        prims[f"mul{c}"] = lambda xs, c=c: tuple((x * c) % 10 for x in xs)
    for c in range(10):
        prims[f"{c}minus"] = lambda xs, c=c: tuple((c - x) % 10 for x in xs)
    return prims


PRIMITIVES = _primitives()
_OOD_NAMES = tuple(sorted(PRIMITIVES))
_ID_NAMES = ("sort", "sort_desc", "reverse", "add1", "add9", "rotl1", "rotr1")


@dataclass(frozen=True)
class ListFnConfig:
    difficulty: int = 2
    min_len: int = 4  # list length
    max_len: int = 4
    min_depth: int = 2  # primitives composed (ood)
    max_depth: int = 3

    def __post_init__(self) -> None:
        require_int_range("min_len", self.min_len, 2, 10)
        require_int_range("max_len", self.max_len, 2, 10)
        require_min_max(self, "min_len", "max_len")
        require_int_range("min_depth", self.min_depth, 1, 4)
        require_int_range("max_depth", self.max_depth, 1, 4)
        require_min_max(self, "min_depth", "max_depth")


_LEVELS = {
    1: dict(min_len=3, max_len=4, min_depth=2, max_depth=2),
    2: dict(min_len=4, max_len=4, min_depth=2, max_depth=3),
    3: dict(min_len=5, max_len=6, min_depth=3, max_depth=3),
}


def render(xs: Digits) -> str:
    # Digits without separators: SmolLM2-style tokenizers split digits one per token anyway,
    # so spaces would only double the prompt.
    return "".join(map(str, xs))


def run(program: tuple[str, ...], xs: Digits) -> Digits:
    for name in program:
        xs = PRIMITIVES[name](xs)
    return xs


class ListFn(Family):
    name = "list_fn"
    n_choices = 3
    # Agreement on even one whole list leaves mostly equivalent programs (an element-wise
    # affine map is pinned by one list), so the candidates are drawn independently.
    max_agree = {"ood": 0, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> ListFnConfig:
        return with_difficulty(ListFnConfig, _LEVELS, difficulty, overrides)

    def sample_rule(self, rng: random.Random, variant: str, cfg: ListFnConfig) -> tuple[str, ...]:
        if variant == "id":
            return (rng.choice(_ID_NAMES),)
        depth = rng.randint(cfg.min_depth, cfg.max_depth)
        return tuple(rng.choice(_OOD_NAMES) for _ in range(depth))

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if not agree:
            return self.sample_rule(rng, variant, cfg)
        # Exact conditional: draw from the consistent programs by prior weight.
        live = _survivors(variant, cfg.min_depth, cfg.max_depth, tuple(agree))
        programs = sorted(live)
        return rng.choices(programs, weights=[live[p] for p in programs])[0]

    def sample_input(self, rng, variant, cfg, gold=None) -> Digits:
        return tuple(rng.randrange(10) for _ in range(rng.randint(cfg.min_len, cfg.max_len)))

    def render_input(self, x: Digits) -> str:
        return render(x)

    def apply(self, rule, x: Digits, cfg) -> str:
        return render(run(rule, x))

    def rule_key(self, rule) -> str:
        return ">".join(rule)

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        if not demos:  # the prior predictive: the programs that give each choice
            live = {}
            for hits in _reaching(variant, cfg.min_depth, cfg.max_depth, query,
                                  {_parse(c) for c in choices}).values():
                live.update(hits)
        else:
            live = _survivors(variant, cfg.min_depth, cfg.max_depth, tuple(demos))
        weights = dict.fromkeys(choices, 0.0)
        for program, weight in live.items():
            out = render(run(program, query))
            if out in weights:
                weights[out] += weight
        total = sum(weights.values())
        return [weights[c] / total for c in choices] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        n = len(_OOD_NAMES)
        return math.log10(sum(n ** d for d in range(cfg.min_depth, cfg.max_depth + 1)))


def _names(variant: str) -> tuple[str, ...]:
    return _ID_NAMES if variant == "id" else _OOD_NAMES


def _weight(variant: str, lo: int, hi: int, depth: int) -> float:
    """Prior weight of one program: depth uniform in [lo, hi], primitives uniform."""
    if variant == "id":
        return 1 / len(_ID_NAMES)
    return 1 / (hi - lo + 1) / len(_OOD_NAMES) ** depth


def _reaching(variant: str, lo: int, hi: int, x: Digits,
              targets: set[Digits]) -> dict[Digits, dict[tuple[str, ...], float]]:
    """For each target list, every program mapping x to it (with its prior weight).

    Breadth-first over distinct intermediate lists; the last level is checked, not stored.
    """
    if variant == "id":
        lo = hi = 1
    level: dict[Digits, list[tuple[str, ...]]] = {x: [()]}
    found: dict[Digits, dict[tuple[str, ...], float]] = {}
    for depth in range(1, hi + 1):
        nxt: dict[Digits, list[tuple[str, ...]]] = {}
        for value, prefixes in level.items():
            for name in _names(variant):
                out = PRIMITIVES[name](value)
                if depth >= lo and out in targets:
                    hits = found.setdefault(out, {})
                    for p in prefixes:
                        hits[p + (name,)] = _weight(variant, lo, hi, depth)
                if depth < hi:
                    nxt.setdefault(out, []).extend(p + (name,) for p in prefixes)
        level = nxt
    return found


def _parse(y: str) -> Digits:
    return tuple(int(t) for t in y)


@lru_cache(maxsize=256)
def _survivors(variant: str, lo: int, hi: int, demos: tuple) -> dict[tuple[str, ...], float]:
    """Programs (with prior weight) consistent with the demos; nested prefixes reuse the cache."""
    if len(demos) == 1:
        x, y = demos[0]
        return _reaching(variant, lo, hi, x, {_parse(y)}).get(_parse(y), {})
    live = _survivors(variant, lo, hi, demos[:-1])
    x, y = demos[-1]
    return {p: w for p, w in live.items() if render(run(p, x)) == y}
