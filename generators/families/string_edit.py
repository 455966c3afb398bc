"""string_edit: an edit program applied to a nonce word, letters shown spaced ('d a b e').

ood: a random program of position edits (swap two letters, duplicate or delete one, reverse,
     rotate), then each output letter is shifted along the alphabet by a random amount with
     probability shift_rate (the letter successor, generalised): sum over the distinct
     position maps of 26^(output length), ~10^8 to 10^11 functions.
id:  one familiar edit: reverse, increment the last letter (abc -> abd), drop the first or
     the last letter, move the first letter to the end, sort the letters.
Both variants edit the same nonce words, so the gap measures the rule, not the input.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, require_min_max, with_difficulty
from .._words import nonce_word
from ..core import Family

_ID_EDITS = {
    "reverse": lambda w: w[::-1],
    "increment_last": lambda w: w[:-1] + chr((ord(w[-1]) - 96) % 26 + 97),
    "drop_first": lambda w: w[1:],
    "drop_last": lambda w: w[:-1],
    "first_to_end": lambda w: w[1:] + w[:1],
    "sort": lambda w: "".join(sorted(w)),
}
_ID_NAMES = tuple(_ID_EDITS)


@dataclass(frozen=True)
class StringEditConfig:
    difficulty: int = 2
    length: int = 5  # letters of an input word (fixed, so position edits mean the same in every demo)
    min_ops: int = 1  # position edits composed (ood)
    max_ops: int = 2
    shift_rate: float = 0.25  # chance that an output letter is shifted (ood)

    def __post_init__(self) -> None:
        require_int_range("length", self.length, 4, 7)
        require_int_range("min_ops", self.min_ops, 1, 3)
        require_int_range("max_ops", self.max_ops, 1, 3)
        require_min_max(self, "min_ops", "max_ops")
        require(isinstance(self.shift_rate, (int, float)) and 0 < self.shift_rate < 1,
                "shift_rate", self.shift_rate, "must be a number in (0, 1)")


_LEVELS = {
    1: dict(length=4, min_ops=1, max_ops=1),
    2: dict(length=5, min_ops=1, max_ops=2),
    3: dict(length=6, min_ops=2, max_ops=2, shift_rate=0.35),
}


def _ops(n: int, length: int) -> list[tuple]:
    # Lengths stay within length +- 1: one duplicate or one deletion at most, net.
    ops: list[tuple] = [("swap", i, j) for i in range(n) for j in range(i + 1, n)]
    ops += [("reverse",), ("rotl",), ("rotr",)]
    if n <= length:
        ops += [("dup", i) for i in range(n)]
    if n >= length:
        ops += [("del", i) for i in range(n)]
    return ops


def _edit(idx: tuple[int, ...], op: tuple) -> tuple[int, ...]:
    kind = op[0]
    if kind == "swap":
        i, j = op[1], op[2]
        out = list(idx)
        out[i], out[j] = out[j], out[i]
        return tuple(out)
    if kind == "reverse":
        return idx[::-1]
    if kind == "rotl":
        return idx[1:] + idx[:1]
    if kind == "rotr":
        return idx[-1:] + idx[:-1]
    i = op[1]
    return idx[: i + 1] + idx[i:] if kind == "dup" else idx[:i] + idx[i + 1:]


@lru_cache(maxsize=None)
def _maps(length: int, lo: int, hi: int) -> tuple[tuple, tuple, dict]:
    """Distinct position maps (output slot -> input position) with their prior weight.

    The prior is the generator's: number of edits uniform in [lo, hi], each edit uniform
    among those valid at the current length.  Returns (maps, cumulative weights, by length).
    """
    level = {tuple(range(length)): 1.0}
    weights: dict[tuple[int, ...], float] = {}
    for depth in range(1, hi + 1):
        nxt: dict[tuple[int, ...], float] = {}
        for idx, w in level.items():
            ops = _ops(len(idx), length)
            for op in ops:
                out = _edit(idx, op)
                nxt[out] = nxt.get(out, 0.0) + w / len(ops)
        if depth >= lo:
            for m, w in nxt.items():
                weights[m] = weights.get(m, 0.0) + w / (hi - lo + 1)
        level = nxt
    maps = tuple(sorted(weights))
    cum, total = [], 0.0
    for m in maps:
        total += weights[m]
        cum.append(total)
    by_len: dict[int, list] = {}
    for m in maps:
        by_len.setdefault(len(m), []).append((m, weights[m]))
    return maps, tuple(cum), by_len


def _shift_prob(rate: float, d: int) -> float:
    return 1 - rate if d == 0 else rate / 25


def _letters(y: str) -> str:
    return y.replace(" ", "")


class StringEdit(Family):
    name = "string_edit"
    n_choices = 4
    # One agreed demonstration: the first demo then leaves every candidate standing.
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> StringEditConfig:
        return with_difficulty(StringEditConfig, _LEVELS, difficulty, overrides)

    # ood rule: (position map, shift per output slot); id rule: the edit's name.
    def sample_rule(self, rng: random.Random, variant: str, cfg: StringEditConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        maps, cum, _ = _maps(cfg.length, cfg.min_ops, cfg.max_ops)
        m = maps[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(maps) - 1)]
        shifts = tuple(rng.randint(1, 25) if rng.random() < cfg.shift_rate else 0 for _ in m)
        return (m, shifts)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id" or not agree:
            return self.sample_rule(rng, variant, cfg)
        # Exact conditional: one demo fixes every slot's shift given the position map.
        live = _survivors(cfg.length, cfg.min_ops, cfg.max_ops, cfg.shift_rate, tuple(agree))
        return rng.choices([r for r, _ in live], weights=[w for _, w in live])[0]

    def sample_input(self, rng, variant, cfg, gold=None) -> str:
        return nonce_word(rng, cfg.length)

    def render_input(self, x: str) -> str:
        return " ".join(x)

    def apply(self, rule, x: str, cfg) -> str:
        if isinstance(rule, str):
            return " ".join(_ID_EDITS[rule](x))
        m, shifts = rule
        return " ".join(chr((ord(x[s]) - 97 + d) % 26 + 97) for s, d in zip(m, shifts))

    def rule_key(self, rule) -> str:
        if isinstance(rule, str):
            return rule
        return ",".join(map(str, rule[0])) + "|" + ",".join(map(str, rule[1]))

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        if variant == "id":
            live = [(n, 1.0) for n in _ID_NAMES if all(self.apply(n, x, cfg) == y for x, y in demos)]
            weights = [sum(w for n, w in live if self.apply(n, query, cfg) == c) for c in choices]
        elif not demos:  # the prior predictive: each choice read as a demonstration of the query
            weights = [sum(w for _, w in _survivors(cfg.length, cfg.min_ops, cfg.max_ops,
                                                    cfg.shift_rate, ((query, c),), cache=False))
                       for c in choices]
        else:
            live = _survivors(cfg.length, cfg.min_ops, cfg.max_ops, cfg.shift_rate, tuple(demos))
            weights = [sum(w for r, w in live if self.apply(r, query, cfg) == c) for c in choices]
        total = sum(weights)
        return [w / total for w in weights] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        maps, _, _ = _maps(cfg.length, cfg.min_ops, cfg.max_ops)
        return math.log10(sum(26 ** len(m) for m in maps))


def _survivors(length: int, lo: int, hi: int, rate: float, demos: tuple, cache: bool = True) -> list:
    """Rules consistent with the demos, with prior weight; nested demo prefixes reuse the cache."""
    if cache:
        return _survivors_cached(length, lo, hi, rate, demos)
    return _first(length, lo, hi, rate, demos[0])


def _first(length: int, lo: int, hi: int, rate: float, demo: tuple[str, str]) -> list:
    x, y = demo[0], _letters(demo[1])
    xs, ys = [ord(c) - 97 for c in x], [ord(c) - 97 for c in y]
    live = []
    for m, w in _maps(length, lo, hi)[2].get(len(ys), ()):
        shifts = tuple((b - xs[s]) % 26 for s, b in zip(m, ys))
        for d in shifts:
            w *= _shift_prob(rate, d)
        live.append(((m, shifts), w))
    return live


@lru_cache(maxsize=256)
def _survivors_cached(length: int, lo: int, hi: int, rate: float, demos: tuple) -> list:
    if len(demos) == 1:
        return _first(length, lo, hi, rate, demos[0])
    live = _survivors_cached(length, lo, hi, rate, demos[:-1])
    x, y = demos[-1]
    y = _letters(y)
    return [(r, w) for r, w in live
            if "".join(chr((ord(x[s]) - 97 + d) % 26 + 97) for s, d in zip(*r)) == y]
