"""string_edit: an edit of a word's letters, shown spaced ('p l a n e t -> l a n e t p').

An ood rule is (src, delta): output slot j shows input letter src[j] moved delta[j] places along
the alphabet (mod 26); an id or renamed rule is the name of a familiar edit.
- ``id``: a familiar edit (rotation left or right by 1 or 2, reversal, swap of neighbour pairs)
  applied to common English words of length-1..length+1 letters (enough words for a pool of 64;
  mean within 5% of ``length``).
- ``renamed``: the same edits applied to the ood surface, random strings of uniform letters.
  A renaming of the letters commutes with a position edit, so renaming the words is all that
  changes: the surface, not the rule.
- ``ood``: src is a derangement of the positions (every letter moves) that is no familiar
  position map, and exactly ``shifts`` slots are shifted by 1..25: uniform over
  |allowed src| * C(length, shifts) * 25^shifts rules (255 / 255 / 14820 allowed src; 10^4.6 /
  10^6.4 / 10^10.1 at difficulty 1 / 2 / 3), every one a distinct behaviour on the inputs.  The
  length is even (6 or 8) so that reversal and the pair swap move every letter too.

Familiar rules and the exclusion.  Familiar position maps: identity, rotations, reversal and the
other reflections (the dihedral group), single swaps, swaps of neighbour pairs (also with wrap).
Familiar letter patterns: no letter changed, one slot changed (increment the last letter, under
any renaming of the letters), every slot changed alike (a Caesar shift).  A renaming of the
letters fixes positions, so an ood rule is a renamed familiar rule only if its position map is
familiar; the generator excludes those maps exactly (they are absent from its list of allowed
src).  ``familiar_match`` instead probes the rule on sampled words (which input position each
slot follows, which slots change letters) and compares with the familiar list.

Pairing design (``matched_outputs = False``).  Equal output multisets on the 16 paired inputs
are impossible: two bijective edits f != g give the same multiset iff g^-1 f maps the set of
random words onto itself, which a random set never allows.  The outputs alone are instead made
exactly uninformative: every rule is a bijection of the strings, the ood and renamed inputs are
uniform strings (a distribution every bijection preserves) and the tuple is exchangeable (i.i.d.
draws, or a uniform 3-subset of the familiar edits), so swapping the gold c1 for c2 and the
inputs W for c2^-1 c1 (W) keeps the measure, the output multiset and the choices.  Every
candidate moves every letter, so re-pairing by content and then looking letters up in place
(``repaired_lookup``) learns nothing either.  Residue: a learner that re-pairs by content and
then votes, slot by slot, for the source position and shift still succeeds on the control
(0.86 renamed, 0.72 ood at k=16, 100 episodes): the outputs are near-anagrams of their inputs.

Ideal: with i.i.d. candidates (ood), P(choice j gold) is proportional to N_D(y_j) / N_0(y_j),
where N counts the allowed rules mapping the query to y that agree with the demos (N_D) or with
nothing (N_0): a permanent-like sum over src, computed exactly by a dynamic programme over the
used positions and the shifts spent.  For a 3-subset of the familiar edits (id, renamed) the
ideal counts the ordered triples of distinct edits that give the choices, the gold agreeing with
the demos.  Residual: the acceptance events (candidates differ on the paired inputs and on the
query) are ignored; they fail with probability < 1e-4 averaged over the tuples.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

from .._config import require, require_int_range
from .._words import SpelledWordInputs
from ..core import Family, item_rng, normalise

_ABC = "abcdefghijklmnopqrstuvwxyz"
_ANY = -1  # no demonstration constrains this (slot, source) pair yet


@dataclass(frozen=True)
class StringEditConfig:
    difficulty: int = 2
    length: int = 6  # letters of a word (fixed, so a position means the same in every demo)
    shifts: int = 2  # output letters shifted along the alphabet (ood)

    def __post_init__(self) -> None:
        require_int_range("length", self.length, 6, 8)
        require(self.length % 2 == 0, "length", self.length,
                "must be even: reversal and pair swaps must move every letter")
        require_int_range("shifts", self.shifts, 1, 4)
        require(self.shifts < self.length, "shifts", self.shifts, f"must be < length={self.length}")


@lru_cache(maxsize=8)
def _familiar_maps(n: int) -> dict[tuple, str]:
    """Familiar position maps (src tuples) -> name."""
    out = {tuple(range(n)): "identity"}
    for c in range(n):
        out.setdefault(tuple((c - j) % n for j in range(n)), "reverse" if c == n - 1 else f"reflection {c}")
    for r in range(1, n):
        out[tuple((j + r) % n for j in range(n))] = f"rotate left {r}"
    for a in range(n):
        for b in range(a + 1, n):
            out.setdefault(tuple(b if j == a else a if j == b else j for j in range(n)), f"swap {a} {b}")
    out[tuple(j ^ 1 for j in range(n))] = "swap neighbour pairs"
    out[_pairs_wrapped(n)] = "swap neighbour pairs (wrapped)"
    return out


_EDITS = {  # the id and renamed rules, on a list of letters of any length
    "rotate left 1": lambda w: w[1:] + w[:1],
    "rotate right 1": lambda w: w[-1:] + w[:-1],
    "rotate left 2": lambda w: w[2:] + w[:2],
    "rotate right 2": lambda w: w[-2:] + w[:-2],
    "reverse": lambda w: w[::-1],
    "swap neighbour pairs": lambda w: [w[i ^ 1] if i ^ 1 < len(w) else w[i] for i in range(len(w))],
}
_EDIT_NAMES = tuple(_EDITS)


@lru_cache(maxsize=8)
def _allowed_src(n: int) -> tuple[tuple, ...]:
    familiar = _familiar_maps(n)  # it holds every id edit's position map
    return tuple(p for p in permutations(range(n)) if all(p[j] != j for j in range(n)) and p not in familiar)


def _pairs_wrapped(n: int) -> tuple:
    """Neighbour pairs swapped with the wrap: (1 2)(3 4)...(n-1 0)."""
    return tuple((j + 1) % n if j % 2 else (j - 1) % n for j in range(n))


def _run(rule, x: str) -> str:
    if isinstance(rule, str):
        return "".join(_EDITS[rule](list(x)))
    src, delta = rule
    return "".join(_ABC[(ord(x[p]) - 97 + d) % 26] for p, d in zip(src, delta))


class StringEdit(SpelledWordInputs, Family):
    name = "string_edit"
    n_choices = 3
    config_class = StringEditConfig
    levels = {1: dict(length=6, shifts=1), 2: dict(length=6, shifts=2), 3: dict(length=8, shifts=3)}
    matched_outputs = False  # impossible for bijective edits of random words: see the module docstring

    def sample_rule(self, rng: random.Random, variant: str, cfg: StringEditConfig):
        if variant != "ood":
            return rng.choice(_EDIT_NAMES)
        src = rng.choice(_allowed_src(cfg.length))
        delta = [0] * cfg.length
        for slot in rng.sample(range(cfg.length), cfg.shifts):
            delta[slot] = rng.randint(1, 25)
        return (src, tuple(delta))

    def sample_tuple(self, rng, variant, cfg, paired):
        if variant != "ood":  # a uniform 3-subset of the familiar edits: exchangeable
            return rng.sample(_EDIT_NAMES, self.n_choices)
        return [self.sample_rule(rng, variant, cfg) for _ in range(self.n_choices)]

    def apply(self, rule, x: str, cfg) -> str:
        return " ".join(_run(rule, x))

    def rule_key(self, rule) -> str:
        if isinstance(rule, str):
            return rule
        return ",".join(map(str, rule[0])) + "|" + ",".join(map(str, rule[1]))

    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        outs = [c.replace(" ", "") for c in choices]
        if variant != "ood":
            return normalise(_triples(tuple((x, y.replace(" ", "")) for x, y in demos), query, tuple(outs)))
        table = _table(cfg.length, tuple((x, y.replace(" ", "")) for x, y in demos))
        empty = _table(cfg.length, ())
        return normalise([_count(table, cfg.shifts, query, y) / max(1, _count(empty, cfg.shifts, query, y))
                          for y in outs])

    def competitors(self) -> dict:
        return {"posterior_predictive": _predictive}

    def familiar_match(self, rule, cfg) -> str | None:
        n = cfg.length
        rng = item_rng("string_edit familiar_match", self.rule_key(rule))
        words = ["".join(rng.choice(_ABC) for _ in range(n)) for _ in range(60)]
        src = []
        for j in range(n):  # which input position output slot j follows
            moved = [p for p in range(n) if all(
                _run(rule, w)[j] != _run(rule, w[:p] + _ABC[(ord(w[p]) - 96) % 26] + w[p + 1:])[j] for w in words)]
            if len(moved) != 1:
                return None
            src.append(moved[0])
        name = _familiar_maps(n).get(tuple(src))
        if name is None:
            return None
        # Familiar letter patterns: none changed, one slot changed, or every slot by one same map.
        changed = [j for j in range(n) if any(_run(rule, w)[j] != w[src[j]] for w in words)]
        letter_map: dict = {}
        same_map = all(letter_map.setdefault(w[src[j]], _run(rule, w)[j]) == _run(rule, w)[j]
                       for w in words for j in range(n))
        return name if len(changed) <= 1 or len(changed) == n and same_map else None

    def log10_behaviours(self, variant, cfg) -> float:
        if variant != "ood":
            return math.log10(len(_EDIT_NAMES))
        n, s = cfg.length, cfg.shifts
        return math.log10(len(_allowed_src(n)) * math.comb(n, s) * 25 ** s)


def _predictive(variant, cfg, demos, query, choices) -> list[float]:
    """The posterior predictive alone, P(rule(query) = choice | demos): not the ideal (it
    ignores that the distractors are prior draws too)."""
    demos = tuple((x, y.replace(" ", "")) for x, y in demos)
    outs = [c.replace(" ", "") for c in choices]
    if variant != "ood":
        fits = [r for r in _EDIT_NAMES if all(_run(r, x) == y for x, y in demos)]
        return normalise([sum(_run(r, query) == y for r in fits) for y in outs])
    return normalise([_count(_table(cfg.length, demos), cfg.shifts, query, y) for y in outs])


@lru_cache(maxsize=4096)
def _table(length: int, demos: tuple) -> tuple:
    """table[slot][source]: the one shift the demos allow (0 = copy), _ANY, or None (ruled out).

    Nested demo prefixes (k = 1, 4, 16 of one episode) reuse the cache.
    """
    if not demos:
        return tuple((_ANY,) * length for _ in range(length))
    prev = _table(length, demos[:-1])
    x, y = demos[-1]
    return tuple(tuple(d if t in (_ANY, d) else None for t, d in
                       ((t, (ord(y[j]) - ord(x[p])) % 26) for p, t in enumerate(row)))
                 for j, row in enumerate(prev))


def _count(table: tuple, shifts: int, x: str, y: str) -> int:
    """Allowed ood rules that agree with the table and send x to y: derangements src with exactly
    ``shifts`` shifted slots (a dynamic programme over the used positions), minus the familiar ones."""
    n = len(table)
    cells = [[None] * n for _ in range(n)]
    for j, row in enumerate(table):
        for p, t in enumerate(row):
            d = (ord(y[j]) - ord(x[p])) % 26
            if p != j and t in (_ANY, d):
                cells[j][p] = d != 0
    ways = {0: [1] + [0] * shifts}
    for j in range(n):
        nxt: dict = {}
        for mask, counts in ways.items():
            for p in range(n):
                nz = cells[j][p]
                if nz is None or mask >> p & 1:
                    continue
                acc = nxt.setdefault(mask | 1 << p, [0] * (shifts + 1))
                for c in range(shifts + 1 - nz):
                    acc[c + nz] += counts[c]
        ways = nxt
    total = sum(counts[shifts] for counts in ways.values())
    for src in _excluded_derangements(n):
        flags = [cells[j][p] for j, p in enumerate(src)]
        total -= None not in flags and sum(flags) == shifts
    return total


@lru_cache(maxsize=8)
def _excluded_derangements(n: int) -> tuple:
    return tuple(s for s in _familiar_maps(n) if all(s[j] != j for j in range(n)))


@lru_cache(maxsize=4096)
def _triples(demos: tuple, query: str, outs: tuple) -> list[int]:
    """Per choice: ordered triples of distinct familiar edits giving the choices, the gold
    (that choice's edit) agreeing with the demos."""
    edits = _EDIT_NAMES
    makes = [[r for r in edits if _run(r, query) == y] for y in outs]
    fits = {r for r in edits if all(_run(r, x) == y for x, y in demos)}
    scores = []
    for j in range(len(outs)):
        others = [i for i in range(len(outs)) if i != j]
        scores.append(sum(1 for g in makes[j] if g in fits
                          for a in makes[others[0]] if a != g
                          for b in makes[others[1]] if b not in (g, a)))
    return scores
