"""string_edit: an edit program applied to a nonce word, letters shown spaced ('d a b e').

ood: 1 to max_ops position edits (swap two letters, duplicate or delete one, reverse, rotate),
     then `shifts` output letters moved along the alphabet by random amounts (the letter
     successor, generalised), uniform over the distinct (position map, shifts) pairs:
     10^6.3 / 10^7.0 / 10^9.2 functions at difficulty 1 / 2 / 3.
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

from .._config import require, require_int_range, with_difficulty
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
    length: int = 5  # letters of an input word (fixed, so a position means the same in every demo)
    max_ops: int = 3  # position edits composed (ood)
    shifts: int = 2  # output letters shifted (ood)

    def __post_init__(self) -> None:
        require_int_range("length", self.length, 4, 7)
        require_int_range("max_ops", self.max_ops, 1, 3)
        require_int_range("shifts", self.shifts, 1, 3)
        require(self.shifts < self.length, "shifts", self.shifts, f"must be < length={self.length}")


_LEVELS = {1: dict(length=4), 2: dict(length=5), 3: dict(length=6, shifts=3)}


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
        out = list(idx)
        out[op[1]], out[op[2]] = out[op[2]], out[op[1]]
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
def _maps(length: int, max_ops: int, shifts: int) -> tuple[tuple, tuple, dict]:
    """The distinct position maps (output slot -> input position) that 1..max_ops edits reach.

    Returns (maps, cumulative rule counts, maps by output length).  The prior is uniform
    over rules, so a map is drawn in proportion to its C(len, shifts) shift placements.
    """
    level, seen = {tuple(range(length))}, set()
    for _ in range(max_ops):
        level = {_edit(idx, op) for idx in level for op in _ops(len(idx), length)}
        seen |= level
    maps = tuple(sorted(m for m in seen if len(m) == length))
    cum, total = [], 0
    for m in maps:
        total += math.comb(len(m), shifts)
        cum.append(total)
    by_len: dict[int, list] = {}
    for m in maps:
        by_len.setdefault(len(m), []).append(m)
    return maps, tuple(cum), by_len


def _run(rule, x: str) -> str:
    m, delta = rule
    return "".join(chr((ord(x[s]) - 97 + d) % 26 + 97) for s, d in zip(m, delta))


class StringEdit(Family):
    name = "string_edit"
    n_choices = 4
    # Agreeing on a demo leaves few rules under a uniform prior: candidates are drawn independently.
    max_agree = {"ood": 0, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> StringEditConfig:
        return with_difficulty(StringEditConfig, _LEVELS, difficulty, overrides)

    # ood rule: (position map, shift per output slot); id rule: the edit's name.
    def sample_rule(self, rng: random.Random, variant: str, cfg: StringEditConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        maps, cum, _ = _maps(cfg.length, cfg.max_ops, cfg.shifts)
        m = maps[bisect.bisect_right(cum, rng.randrange(cum[-1]))]
        delta = [0] * len(m)
        for slot in rng.sample(range(len(m)), cfg.shifts):
            delta[slot] = rng.randint(1, 25)
        return (m, tuple(delta))

    def sample_input(self, rng, variant, cfg, gold=None) -> str:
        return nonce_word(rng, cfg.length)

    def render_input(self, x: str) -> str:
        return " ".join(x)

    def apply(self, rule, x: str, cfg) -> str:
        return " ".join(_ID_EDITS[rule](x) if isinstance(rule, str) else _run(rule, x))

    def rule_key(self, rule) -> str:
        if isinstance(rule, str):
            return rule
        return ",".join(map(str, rule[0])) + "|" + ",".join(map(str, rule[1]))

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        # Uniform prior over rules: a choice's weight is the number of live rules giving it.
        outs = [c.replace(" ", "") for c in choices]
        if variant == "id":
            live = [n for n in _ID_NAMES if all(self.apply(n, x, cfg) == y for x, y in demos)]
            counts = [sum(_ID_EDITS[n](query) == c for n in live) for c in outs]
        elif not demos:
            counts = [len(_consistent(cfg, query, c)) for c in outs]
        else:
            live = _survivors(cfg, tuple((x, y.replace(" ", "")) for x, y in demos))
            counts = [sum(_run(r, query) == c for r in live) for c in outs]
        total = sum(counts)
        return [c / total for c in counts] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        maps = _maps(cfg.length, cfg.max_ops, cfg.shifts)[0]
        return math.log10(sum(math.comb(len(m), cfg.shifts) * 25 ** cfg.shifts for m in maps))


def _consistent(cfg: StringEditConfig, x: str, y: str) -> list:
    """Every rule mapping x to y: per position map, the shifts are forced; keep exactly `shifts` of them."""
    xs, ys = [ord(c) for c in x], [ord(c) for c in y]
    live = []
    for m in _maps(cfg.length, cfg.max_ops, cfg.shifts)[2].get(len(ys), ()):
        delta = tuple((b - xs[s]) % 26 for s, b in zip(m, ys))
        if len(delta) - delta.count(0) == cfg.shifts:
            live.append((m, delta))
    return live


@lru_cache(maxsize=256)
def _survivors(cfg: StringEditConfig, demos: tuple) -> list:
    """Rules consistent with the demos; nested demo prefixes reuse the cache."""
    if len(demos) == 1:
        return _consistent(cfg, *demos[0])
    x, y = demos[-1]
    return [r for r in _survivors(cfg, demos[:-1]) if _run(r, x) == y]
