"""grid_1d: a rearrangement of a 1-D row of coloured cells, one digit per cell ('03705600', 0 = empty).

Inputs (every variant): `cells` cells, `min_empty`-`max_empty` empty, the rest of distinct colours
1-9, in uniformly random order: the row distribution is exchangeable.  A rule rearranges the
positions (output cell i = input cell p[i]), then recolours by the episode's colour bijection.
id:      one of 6 familiar moves (rotate right / left by 1 or 2, mirror, swap the halves), colours kept.
renamed: the same moves; output colours renamed by a per-episode bijection of 1-9 (0 stays empty).
ood:     a new rearrangement, recoloured as in renamed: uniform over the permutations that keep no
         cell in place (that would copy an input position) and differ in >= `novelty` (4) positions
         from every familiar one: the rotations and reflections (identity included), composed on
         either side with identity, swap adjacent pairs, reverse each half, swap halves, riffle,
         unriffle.  Exact exclusion by enumeration: it drops 31% of the 14,833 derangements of 8.
Checker (_grid_1d_checker): the same list written as row functions plus moves that lose cells and
pushes; it finds the rule's position map with one-cell probes.
Behaviours: the recolouring is shared by the candidates (a renaming that never separates the
choices), so behaviours are rearrangements: 10,210 = 10^4.0 at difficulty 2, 10^5.1 at 3; id 6.
Pairing (matched_outputs = False): an output shows its input's cells, so two rules give the same
output multiset on 16 random rows only by agreeing on them.  Instead outputs are uninformative:
inputs are exchangeable and every candidate is a rearrangement then the shared recolouring, so all
candidates' outputs have one distribution.  Residue: a search for the recolouring that maps the
bag of inputs' colour sets onto the outputs' re-pairs them and solves the deranged control (at least
0.873 renamed, 0.867 ood; perf/pairing_residue.py).  Tuple: 3 i.i.d. draws, redrawn until distinct.
Ideal: P(gold = i) is proportional to the sum over rearrangements s consistent with the demos (with
some recolouring) of [s(q) recolours to choice i] * N(j) * N(k), N(j) = the prior rearrangements
giving choice j under the recolouring this pins (the other candidates are prior draws); the count
of recolourings, (9 - colours seen)!, is common to all terms.  Residual: the core's acceptance
(candidates differ on the paired rows and on the query) is ignored; two rearrangements agree on a
row only if they differ just by moving empty cells, a small reweighting of the tuples.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, require_min_max
from ..core import Family, normalise
from ._grid_1d_checker import familiar_match

Row = tuple[int, ...]
_COLOURS = 9
_ID_NAMES = ("rotate_right", "rotate_left", "rotate_right_2", "rotate_left_2", "mirror", "swap_halves")


@dataclass(frozen=True)
class Grid1dConfig:
    difficulty: int = 2
    cells: int = 8
    min_empty: int = 2  # empty cells per row
    max_empty: int = 4
    novelty: int = 4  # ood: differ from every familiar permutation in at least this many positions

    def __post_init__(self) -> None:
        require_int_range("cells", self.cells, 6, 9)
        require_int_range("min_empty", self.min_empty, 1, self.cells - 2)
        require_int_range("max_empty", self.max_empty, 1, self.cells - 2)
        require_min_max(self, "min_empty", "max_empty")
        require(self.cells - self.min_empty <= _COLOURS, "min_empty", self.min_empty,
                f"at most {_COLOURS} distinct colours fit in a row")
        require_int_range("novelty", self.novelty, 2, 5)


def _perm(n: int, name: str) -> Row:
    """A named move as a position map: output cell i = input cell p[i]."""
    h, r = divmod(n, 2)
    return {
        "identity": tuple(range(n)),
        "rotate_right": tuple((i - 1) % n for i in range(n)),
        "rotate_left": tuple((i + 1) % n for i in range(n)),
        "rotate_right_2": tuple((i - 2) % n for i in range(n)),
        "rotate_left_2": tuple((i + 2) % n for i in range(n)),
        "mirror": tuple(n - 1 - i for i in range(n)),
        "swap_halves": tuple(range(h + r, n)) + tuple(range(h, h + r)) + tuple(range(h)),
        "swap_pairs": tuple(i ^ 1 if i ^ 1 < n else i for i in range(n)),
        "reverse_halves": tuple(range(h - 1, -1, -1)) + tuple(range(n - 1, h - 1, -1)),
        "riffle": tuple(i // 2 if i % 2 == 0 else (n + 1) // 2 + i // 2 for i in range(n)),
    }[name]


@lru_cache(maxsize=None)
def _familiar_perms(cells: int) -> frozenset:
    """Dihedral group composed on either side with the textbook rearrangements."""
    n = cells
    dihedral = [tuple((i - s) % n for i in range(n)) for s in range(n)]
    dihedral += [tuple((s - i) % n for i in range(n)) for s in range(n)]
    riffle = _perm(n, "riffle")
    unriffle = tuple(riffle.index(i) for i in range(n))
    textbook = [_perm(n, t) for t in ("identity", "swap_pairs", "reverse_halves", "swap_halves")]
    out = set()
    for d in dihedral:
        for t in textbook + [riffle, unriffle]:
            out.add(tuple(t[d[i]] for i in range(n)))
            out.add(tuple(d[t[i]] for i in range(n)))
    return frozenset(out)


@lru_cache(maxsize=None)
def _valid(cells: int, novelty: int, p: Row) -> bool:
    if any(p[i] == i for i in range(cells)):
        return False
    return all(sum(a != b for a, b in zip(p, f)) >= novelty for f in _familiar_perms(cells))


@lru_cache(maxsize=None)
def _ood_count(cells: int, novelty: int) -> int:
    return sum(_valid(cells, novelty, p) for p in itertools.permutations(range(cells)))


_LEVELS = {
    1: dict(cells=8, min_empty=1, max_empty=2),
    2: dict(cells=8, min_empty=2, max_empty=4),
    3: dict(cells=9, min_empty=3, max_empty=5),
}


def _in_prior(variant: str, cfg: Grid1dConfig, p: Row) -> bool:
    if variant == "ood":
        return _valid(cfg.cells, cfg.novelty, p)
    return p in _id_perms(cfg.cells)


@lru_cache(maxsize=None)
def _id_perms(cells: int) -> frozenset:
    return frozenset(_perm(cells, n) for n in _ID_NAMES)


@lru_cache(maxsize=65536)
def _prior_count(variant: str, cfg: Grid1dConfig, q: Row, r: Row) -> int:
    """How many prior rearrangements p give p(q) = r (colours of q are distinct; empties interchange)."""
    fixed = {}
    empty_src = [j for j, v in enumerate(q) if v == 0]
    empty_dst = [i for i, v in enumerate(r) if v == 0]
    for i, v in enumerate(r):
        if v:
            fixed[i] = q.index(v)
    count = 0
    for srcs in itertools.permutations(empty_src):
        p = dict(fixed)
        p.update(zip(empty_dst, srcs))
        count += _in_prior(variant, cfg, tuple(p[i] for i in range(cfg.cells)))
    return count


def _extend(m: dict, src, dst) -> dict | None:
    """Extend the partial recolouring m (colour -> colour, 0 -> 0) so that src maps to dst."""
    m = dict(m)
    used = set(m.values())
    for a, b in zip(src, dst):
        if (a == 0) != (b == 0):
            return None
        if a == 0:
            continue
        if a in m:
            if m[a] != b:
                return None
        elif b in used:
            return None
        else:
            m[a] = b
            used.add(b)
    return m


def _one_demo(variant: str, cfg: Grid1dConfig, x: Row, y: Row) -> list:
    """(rearrangement, recolouring) pairs of the prior consistent with one demo."""
    if variant != "ood":
        start = {c: c for c in range(1, _COLOURS + 1)} if variant == "id" else {}
        found = [(p, _extend(start, tuple(x[j] for j in p), y)) for p in sorted(_id_perms(cfg.cells))]
        return [(p, m) for p, m in found if m is not None]
    n, out = cfg.cells, []

    def place(i: int, p: list, m: dict, used: set) -> None:  # backtracking over output cells
        if i == n:
            if _valid(n, cfg.novelty, tuple(p)):
                out.append((tuple(p), m))
            return
        for j in range(n):
            if j == i or j in p:
                continue
            a, b = x[j], y[i]
            if (a == 0) != (b == 0):
                continue
            if a and (m.get(a, b) != b or (a not in m and b in used)):
                continue
            place(i + 1, p + [j], {**m, a: b} if a else m, used | {b} if a else used)

    place(0, [], {}, set())
    return out


@lru_cache(maxsize=4096)
def _survivors(variant: str, cfg: Grid1dConfig, demos: tuple) -> list:
    x, y = demos[-1]
    y = tuple(map(int, y))
    if len(demos) == 1:
        return _one_demo(variant, cfg, x, y)
    live = []
    for p, m in _survivors(variant, cfg, demos[:-1]):
        m2 = _extend(m, tuple(x[j] for j in p), y)
        if m2 is not None:
            live.append((p, m2))
    return live


def _scores(variant: str, cfg: Grid1dConfig, demos, query: Row, choices, mode: str) -> list[float]:
    """mode 'ideal': the Bayes score (module docstring); 'posterior': the posterior predictive;
    'ratio': the posterior predictive over the prior predictive under the recolouring it pins."""
    if not demos:
        return [1 / len(choices)] * len(choices)
    rows = [tuple(map(int, c)) for c in choices]
    weights = [0.0] * len(rows)
    for p, m in _survivors(variant, cfg, tuple(demos)):
        moved = tuple(query[j] for j in p)
        for i, r in enumerate(rows):
            full = _extend(m, moved, r)
            if full is None:
                continue
            if mode == "posterior":
                weights[i] += 1
                continue
            inv = {b: a for a, b in full.items()}
            pre = [tuple(inv.get(v, -1) if v else 0 for v in c) for c in rows]
            counts = [_prior_count(variant, cfg, query, s) if -1 not in s else 0 for s in pre]
            if mode == "ratio":
                weights[i] += 1 / counts[i]
            else:
                weights[i] += math.prod(c for j, c in enumerate(counts) if j != i)
    return normalise(weights)


class Grid1d(Family):
    name = "grid_1d"
    n_choices = 3
    config_class = Grid1dConfig
    levels = _LEVELS
    matched_outputs = False  # a row shows its input's cells: see the module docstring

    # A rule is (id name or "", position map, recolouring as a tuple over 0-9 with 0 -> 0).
    def _draw(self, rng: random.Random, variant: str, cfg: Grid1dConfig) -> tuple[str, Row]:
        if variant != "ood":
            name = rng.choice(_ID_NAMES)
            return name, _perm(cfg.cells, name)
        while True:
            p = list(range(cfg.cells))
            rng.shuffle(p)
            if _valid(cfg.cells, cfg.novelty, tuple(p)):
                return "", tuple(p)

    @staticmethod
    def _recolouring(rng: random.Random, variant: str) -> Row:
        colours = list(range(1, _COLOURS + 1))
        if variant != "id":
            rng.shuffle(colours)
        return (0, *colours)

    def sample_tuple(self, rng, variant, cfg, paired):
        # Three i.i.d. prior draws, redrawn until distinct; one recolouring for the whole episode.
        colours = self._recolouring(rng, variant)
        drawn: list = []
        while len(drawn) < self.n_choices:
            d = self._draw(rng, variant, cfg)
            if d not in drawn:
                drawn.append(d)
        return [d + (colours,) for d in drawn]

    def sample_input(self, rng, variant, cfg) -> Row:
        empty = rng.randint(cfg.min_empty, cfg.max_empty)
        row = [0] * empty + rng.sample(range(1, _COLOURS + 1), cfg.cells - empty)
        rng.shuffle(row)
        return tuple(row)

    def render_input(self, x: Row) -> str:
        return "".join(map(str, x))

    def apply(self, rule, x: Row, cfg) -> str:
        _, p, colours = rule
        return "".join(str(colours[x[j]]) for j in p)

    def rule_key(self, rule) -> str:
        name, p, colours = rule
        return f"{name or ''.join(map(str, p))}|{''.join(map(str, colours[1:]))}"

    def ideal(self, variant, cfg, demos, query, choices):
        return _scores(variant, cfg, demos, query, choices, "ideal")

    def competitors(self):
        return {f"grid_{mode}": (lambda v, c, d, q, ch, mode=mode: _scores(v, c, d, q, ch, mode))
                for mode in ("posterior", "ratio")}

    def familiar_match(self, rule, cfg):
        return familiar_match(lambda x: self.apply(rule, x, cfg), lambda r: self.sample_input(r, "ood", cfg), cfg)

    def log10_behaviours(self, variant, cfg):
        if variant != "ood":
            return math.log10(len(_ID_NAMES))
        return math.log10(_ood_count(cfg.cells, cfg.novelty))
