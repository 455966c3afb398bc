"""Shared by affine and sequence: rules that are affine maps over GF(m), m prime.

- ``allowed_pairs(m)``: the ood coefficient pairs (both non-zero, not both in the small set
  {+-1, +-2, +-1/2}): the generator's exclusion of every familiar linear part.
- ``solutions(rows, m)``: the (x, y) in GF(m)^2 solving linear equations a*x + b*y = r; the
  exact ideal learners count these inside ``allowed_pairs``.
- ``table`` / ``as_group`` / ``affine_conjugate_match``: the pieces of the independent novelty
  checkers (behaviour on every input, renaming-invariant tests, brute force over renamings).
- ``ResidueFamily``: the generative process both families share (tuples, inputs, levels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from .._config import require, require_int_range
from ..core import Family, normalise
from ._numeric import primes_between

ALL = "all"  # ``solutions`` when no equation constrains anything


def small_coefficients(m: int) -> frozenset[int]:
    """The 'textbook' coefficients: +-1, +-2 and +-1/2 (halving) mod m."""
    half = pow(2, -1, m)
    return frozenset(v % m for v in (1, -1, 2, -2, half, -half))


@lru_cache(maxsize=None)
def allowed_pairs(m: int) -> tuple[tuple[int, int], ...]:
    """Coefficient pairs of the ood rules: both non-zero (the rule uses both inputs) and not
    both textbook (a+b, a-b, 2a+b, (a+b)/2, -a-b... and every renaming of them)."""
    small = small_coefficients(m)
    return tuple((p, q) for p in range(1, m) for q in range(1, m) if not (p in small and q in small))


@lru_cache(maxsize=None)
def allowed_set(m: int) -> frozenset[tuple[int, int]]:
    return frozenset(allowed_pairs(m))


def solutions(rows: Sequence[tuple[int, int, int]], m: int):
    """Every (x, y) with a*x + b*y == r (mod m) for all rows: a list of points, or ALL."""
    rows = [(a % m, b % m, r % m) for a, b, r in rows]
    pivot = next(((a, b, r) for a, b, r in rows if a or b), None)
    if pivot is None:
        return ALL if all(r == 0 for *_, r in rows) else []
    a1, b1, r1 = pivot
    pts = None
    for a, b, r in rows:
        det = (a1 * b - a * b1) % m
        if det:  # two independent equations: one point
            inv = pow(det, -1, m)
            pts = [((r1 * b - r * b1) * inv % m, (a1 * r - a * r1) * inv % m)]
            break
    if pts is None:  # one independent equation: a line of m points
        if b1:
            ib = pow(b1, -1, m)
            pts = [(x, (r1 - a1 * x) * ib % m) for x in range(m)]
        else:
            ia = pow(a1, -1, m)
            pts = [(r1 * ia % m, y) for y in range(m)]
    return [(x, y) for x, y in pts if all((a * x + b * y - r) % m == 0 for a, b, r in rows)]


def count_allowed(rows: Sequence[tuple[int, int, int]], m: int) -> int:
    """How many ood coefficient pairs solve the equations."""
    sol = solutions(rows, m)
    if sol == ALL:
        return len(allowed_pairs(m))
    ok = allowed_set(m)
    return sum(pt in ok for pt in sol)


def to_int(s: str) -> int | None:
    try:
        return int(s)
    except ValueError:
        return None


# -- the independent novelty checkers' pieces ---------------------------------------------------

def table(fn: Callable[[int, int], int], m: int) -> tuple[tuple[int, ...], ...]:
    """fn on every pair of residues: t[x][y] = fn(x, y) mod m."""
    return tuple(tuple(fn(x, y) % m for y in range(m)) for x in range(m))


def one_argument(t) -> str | None:
    """'constant', 'first argument only' or 'second argument only' (invariant under every renaming)."""
    m = len(t)
    if all(t[x][y] == t[0][0] for x in range(m) for y in range(m)):
        return "constant"
    if all(t[x][y] == t[x][0] for x in range(m) for y in range(m)):
        return "first argument only"
    if all(t[x][y] == t[0][y] for x in range(m) for y in range(m)):
        return "second argument only"
    return None


def as_group(t) -> bool:
    """True when (Z_m, t) is a group: then, m being prime, it is (Z_m, +) under some renaming."""
    m = len(t)
    e = next((e for e in range(m) if all(t[e][x] == x and t[x][e] == x for x in range(m))), None)
    if e is None:
        return False
    return all(t[t[x][y]][z] == t[x][t[y][z]] for x in range(m) for y in range(m) for z in range(m))


def as_difference(t) -> bool:
    """True when t is x - y in some group under some renaming: t(x, x) is a constant d, d is a
    right identity, and x * y = t(x, t(d, y)) is a group."""
    m = len(t)
    d = t[0][0]
    if any(t[x][x] != d or t[x][d] != x for x in range(m)):
        return False
    return as_group(tuple(tuple(t[x][t[d][y]] for y in range(m)) for x in range(m)))


def _profile(t) -> tuple[int, ...]:
    """The sorted fibre sizes: a renaming (any bijection) leaves them unchanged."""
    counts = [0] * len(t)
    for row in t:
        for v in row:
            counts[v] += 1
    return tuple(sorted(counts))


def familiar_tables(familiar: dict[str, Callable[[int, int], int]], m: int) -> dict:
    """name -> (table, fibre profile) of each familiar operation (build once per modulus)."""
    out = {}
    for name, g in familiar.items():
        gt = table(g, m)
        out[name] = (gt, _profile(gt))
    return out


def affine_conjugate_match(t, familiar_tabs: dict, m: int) -> str | None:
    """The familiar operation g with t == rho o g o (rho^-1 x rho^-1) for an affine renaming
    rho(v) = u*v + s of the residues, by brute force over g, u, s (early exit per candidate;
    g whose fibre sizes differ from t's are skipped, as no renaming could match them)."""
    probe = [(1, 2), (3, 5), (0, 4), (2, 2), (7 % m, 3)] + [(x, y) for x in range(m) for y in range(m)]
    prof = _profile(t)
    for name, (gt, gprof) in familiar_tabs.items():
        if gprof != prof:
            continue
        for u in range(1, m):
            iu = pow(u, -1, m)
            for s in range(m):
                if all((u * gt[(x - s) * iu % m][(y - s) * iu % m] + s) % m == t[x][y] for x, y in probe):
                    return f"{name} (renamed v -> {u}v+{s})"
    return None


@dataclass(frozen=True)
class ResidueConfig:
    """Both families' knobs: inputs (operand pairs, seed pairs) and outputs are residues mod a prime."""

    difficulty: int = 2
    modulus: int = 31  # prime; every number shown is a residue 0..modulus-1

    def __post_init__(self) -> None:
        require_int_range("modulus", self.modulus, 23, 97)  # >= 529 input pairs: pools of 256 fit
        require(self.modulus in primes_between(23, 97), "modulus", self.modulus, "must be prime")


class ResidueFamily(Family):
    """The shared half of affine and sequence: rules are three residues mod a prime m, inputs are
    uniform pairs of residues, and the tuples are drawn alike.  ood: one allowed linear part shared
    by the three candidates, three distinct offsets; id / renamed: the three familiar operations in
    a random order, under one renaming shift (0 for id).  A subclass sets ``id_ops``, ``render_input`` and ``apply``."""

    n_choices = 3
    matched_outputs = False  # the module docstrings: outputs are uniform under every rule
    levels = {1: dict(modulus=23), 2: dict(modulus=31), 3: dict(modulus=47)}
    id_ops: dict = {}
    config_class = ResidueConfig

    @staticmethod
    def rename(op: tuple[int, int], s: int, m: int) -> tuple[int, int, int]:
        """The familiar linear part (p, q) conjugated by the renaming v -> v + s of every number:
        r(v) = p*v1 + q*v2 + s*(1 - p - q), in both families (an operation or a recurrence)."""
        p, q = op
        return p % m, q % m, s * (1 - p - q) % m

    def sample_tuple(self, rng, variant, cfg, paired):
        m = cfg.modulus
        if variant == "ood":
            a, b = rng.choice(allowed_pairs(m))
            return [(a, b, c) for c in rng.sample(range(m), 3)]
        s = rng.randrange(m) if variant == "renamed" else 0
        ops = list(self.id_ops.values())
        rng.shuffle(ops)
        return [self.rename(op, s, m) for op in ops]

    def sample_input(self, rng, variant, cfg) -> tuple[int, int]:
        return rng.randrange(cfg.modulus), rng.randrange(cfg.modulus)

    def familiar_ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        """id / renamed: the tuple is the three familiar operations under one shift, so the choices
        pin the shift (renamed); each choice scores 1 per shift whose operation giving it fits the demos."""
        m = cfg.modulus
        weights = [0] * len(choices)
        for s in (range(m) if variant == "renamed" else (0,)):
            by_output = {self.apply(r, query, cfg): r for r in (self.rename(op, s, m) for op in self.id_ops.values())}
            if sorted(by_output) != sorted(choices):
                continue
            for j, c in enumerate(choices):
                weights[j] += all(self.apply(by_output[c], x, cfg) == y for x, y in demos)
        return normalise(weights)

