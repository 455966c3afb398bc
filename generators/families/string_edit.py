"""string_edit: an edit rule applied to a nonce word, letters shown spaced ('d a b e k').

ood: every output letter copies a random input position (so letters move, repeat or vanish:
     swaps and duplications in one normal form), and exactly `shifts` of them are moved along
     the alphabet by random amounts (the letter successor, generalised); uniform over the
     L^L * C(L, shifts) * 25^shifts rules: 10^7.3 / 10^8.6 / 10^11.7 at difficulty 1 / 2 / 3.
id:  one familiar edit: reverse, increment the last letter (abc -> abd), move the first
     letter to the end or the last to the front, swap the first and last letters or the
     first two.  (Not sort: the lexicographic minimum of any tuple, it would single out
     one rule to a demo-blind heuristic.)
Both variants edit the same nonce words and keep their length, so the gap measures the rule.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, with_difficulty
from .._words import nonce_word
from ..core import Family, RetryTuple as _Retry

_ID_EDITS = {
    "reverse": lambda w: w[::-1],
    "increment_last": lambda w: w[:-1] + chr((ord(w[-1]) - 96) % 26 + 97),
    "first_to_end": lambda w: w[1:] + w[:1],
    "last_to_front": lambda w: w[-1:] + w[:-1],
    "swap_ends": lambda w: w[-1] + w[1:-1] + w[0],
    "swap_first_two": lambda w: w[1] + w[0] + w[2:],
}
_ID_NAMES = tuple(_ID_EDITS)
_ANY = -1  # no demonstration constrains this (slot, source) pair yet


@dataclass(frozen=True)
class StringEditConfig:
    difficulty: int = 2
    length: int = 5  # letters of a word (fixed, so a position means the same in every demo)
    shifts: int = 2  # output letters shifted along the alphabet (ood)

    def __post_init__(self) -> None:
        require_int_range("length", self.length, 4, 8)
        require_int_range("shifts", self.shifts, 1, 4)
        require(self.shifts < self.length, "shifts", self.shifts, f"must be < length={self.length}")


_LEVELS = {1: dict(length=4, shifts=2), 2: dict(length=5, shifts=2), 3: dict(length=7, shifts=3)}


def _run(rule, x: str) -> str:
    sources, delta = rule
    return "".join(chr((ord(x[p]) - 97 + d) % 26 + 97) for p, d in zip(sources, delta))


class StringEdit(Family):
    name = "string_edit"
    n_choices = 3
    # The candidates agree on the first j ~ U{0,1} demos, so one demo need not settle it.
    # Two agreed demos would pin nearly every slot and leave the anchor alone.
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> StringEditConfig:
        return with_difficulty(StringEditConfig, _LEVELS, difficulty, overrides)

    # ood rule: (source position per output slot, shift per output slot); id rule: a name.
    def sample_rule(self, rng: random.Random, variant: str, cfg: StringEditConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        sources = tuple(rng.randrange(cfg.length) for _ in range(cfg.length))
        delta = [0] * cfg.length
        for slot in rng.sample(range(cfg.length), cfg.shifts):
            delta[slot] = rng.randint(1, 25)
        return (sources, tuple(delta))

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id":
            rule = self.sample_rule(rng, variant, cfg)
            if rule == anchor:  # the tuple would fail every query anyway: fail it early
                raise _Retry
            return rule
        if not agree:
            return self.sample_rule(rng, variant, cfg)
        # Exact conditional: slot by slot, weighted by the completions with exactly `shifts` shifts.
        table = _table(cfg.length, tuple((x, y.replace(" ", "")) for x, y in agree))
        options = [([p for p, t in enumerate(row) if t == 0],
                     [(p, t) for p, t in enumerate(row) if t is not None and t > 0]) for row in table]
        ways = [[0] * (cfg.shifts + 1) for _ in range(cfg.length + 1)]
        ways[cfg.length][0] = 1  # ways[j][r]: completions of slots j.. with r shifts left
        for j in range(cfg.length - 1, -1, -1):
            for r in range(cfg.shifts + 1):
                ways[j][r] = (len(options[j][0]) * ways[j + 1][r]
                              + (len(options[j][1]) * ways[j + 1][r - 1] if r else 0))
        sources, delta, left = [], [], cfg.shifts
        for j, (copies, shifted) in enumerate(options):
            if rng.randrange(ways[j][left]) < len(copies) * ways[j + 1][left]:
                sources.append(rng.choice(copies))
                delta.append(0)
            else:
                p, d = rng.choice(shifted)
                sources.append(p)
                delta.append(d)
                left -= 1
        return (tuple(sources), tuple(delta))

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
        # The prior is uniform, so a choice's weight is the number of rules consistent with
        # the demos that give it: exact, counted slot by slot (see _count).
        outs = [c.replace(" ", "") for c in choices]
        if variant == "id":
            live = [n for n in _ID_NAMES if all(self.apply(n, x, cfg) == y for x, y in demos)]
            counts = [sum(_ID_EDITS[n](query) == c for n in live) for c in outs]
        else:
            table = _table(cfg.length, tuple((x, y.replace(" ", "")) for x, y in demos))
            counts = [_count(table, cfg.shifts, query, c) for c in outs]
        total = sum(counts)
        return [c / total for c in counts] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        n, s = cfg.length, cfg.shifts
        return n * math.log10(n) + math.log10(math.comb(n, s)) + s * math.log10(25)


@lru_cache(maxsize=256)
def _table(length: int, demos: tuple) -> tuple:
    """table[slot][source]: the one shift the demos allow (0 = copy), _ANY, or None (ruled out).

    Nested demo prefixes (k = 1, 4, 16 of one episode) reuse the cache.
    """
    if not demos:
        return tuple((_ANY,) * length for _ in range(length))
    prev = _table(length, demos[:-1])
    x, y = demos[-1]
    rows = []
    for j, prow in enumerate(prev):
        b = ord(y[j])
        row = []
        for p, t in enumerate(prow):
            d = (b - ord(x[p])) % 26
            row.append(d if t == _ANY or t == d else None)
        rows.append(tuple(row))
    return tuple(rows)


def _count(table: tuple, shifts: int, x: str, y: str) -> int:
    """Rules consistent with the table and with x -> y: [z^shifts] of prod_j (copies_j + shifted_j z).

    Slots are independent but for the total number of shifted slots, hence the polynomial.
    """
    if len(y) != len(table):
        return 0
    poly = [1]
    for j, row in enumerate(table):
        b = ord(y[j])
        copy = shift = 0
        for p, t in enumerate(row):
            d = (b - ord(x[p])) % 26
            if t == _ANY or t == d:
                copy += d == 0
                shift += d != 0
        nxt = [0] * (len(poly) + 1)
        for i, c in enumerate(poly):
            nxt[i] += c * copy
            nxt[i + 1] += c * shift
        poly = nxt[: shifts + 1]
    return poly[shifts] if len(poly) > shifts else 0
