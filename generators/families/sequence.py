"""sequence: continue a sequence mod a prime m from its two seed terms ('4 9 -> 13 22').

Every rule is a second-order recurrence x' = (alpha*x + beta*x_prev + gamma) mod m; the input is
the two seeds (uniform on Z_m^2 in every variant), the output the next two terms.
- id: arithmetic progression (2, -1, 0), Fibonacci (1, 1, 0), Pell (2, 1, 0), mod m.  The tuple
  is the three of them.  (Not alternation: it copies the seeds, so its demo outputs are the demo
  inputs and a learner seeing both as unordered sets would spot it without the pairing.)
- renamed: the same three through a per-episode renaming of the numbers v -> v + s (the rule's
  renaming; v -> u*v + s gives the same rules): gamma becomes s*(1 - alpha - beta), so
  Fibonacci becomes x + x_prev - s and Pell 2x + x_prev - 2s, while an arithmetic progression
  is still one (an affine renaming maps every arithmetic progression to one; a renaming that
  moved it would leave the affine rule space, and the exact ideal with it).  The tuple is the id
  tuple under one renaming.
- ood: (alpha, beta) from ``allowed_pairs`` (both non-zero, not both in {+-1, +-2, +-1/2}),
  gamma any; the tuple is one (alpha, beta) with three distinct gammas.
Familiar (excluded from ood): arithmetic progressions, quadratic (constant second difference),
Fibonacci-like (Fibonacci, Lucas, Pell, Jacobsthal), alternation, x - x_prev, doubling, counting,
constant, geometric and every first-order rule (beta = 0), interleaved first-order rules
(alpha = 0), the multiplicative Fibonacci x*x_prev, and every renaming of these.  Exclusion is exact: an affine renaming keeps
(alpha, beta), and the non-affine familiar rules are unbalanced (see below) while every ood rule is
balanced.  Mod-m rules that never wrap on the shown range are the familiar integer rules; with
uniform residues as seeds every ood rule wraps.  Cost: 2m + 35 of the m^2 linear parts.
Behaviours: |allowed_pairs| * m distinct recurrences (10^4.4 at difficulty 2, 10^4.0 / 10^5.0
at 1 / 3); renamed 2m + 1; id 3.
Pairing: matched_outputs = False.  Equal output multisets on the paired inputs cannot be built
(candidates sharing (alpha, beta) differ by a translation of the output pair, and no set of 16
pairs is invariant under one).  Instead outputs alone say nothing: with beta != 0 the seeds ->
next-two-terms map is an affine bijection of Z_m^2 (determinant beta^2), so the demo outputs are
uniform pairs whichever candidate is gold (only two terms are shown: a third would satisfy the
recurrence among outputs alone and reveal the rule).  The gold's pair at the query never occurs
among its demo outputs (the query is outside the pool), a ~1/m^2 effect.  Residue: a learner that
keeps the recurrences mapping the bag of seeds onto the bag of outputs solves the deranged control
(1.000 renamed and ood; perf/pairing_residue.py, docs/validity.md).
Ideal (exact): candidates sharing (alpha, beta) differ everywhere, so the query is uniform on the
m^2 - 16 fresh inputs under every tuple, and each (alpha, beta) explains choice j with one gamma;
P(gold = j) is proportional to the number of allowed (alpha, beta) that solve the linear equations
(over GF(m)) that the demos under gamma_j and all three choices (one shared linear part) impose.
renamed: the choices fix s (the Fibonacci candidate's first term is x0 + x1 - s), id: the tuple is
fixed; then P(gold = j) is 1 or 0 by consistency with the demos.  The posterior predictive and
the posterior/prior ratio (which ignore the tuple) are competitors.
"""

from __future__ import annotations

import math
from functools import lru_cache

from ..core import normalise
from ._affine_gf import (ResidueFamily, affine_conjugate_match, allowed_pairs, count_allowed, familiar_tables, one_argument,
                         table, to_int)

_ID_OPS = {"arithmetic": (2, -1), "fibonacci": (1, 1), "pell": (2, 1)}
_FAMILIAR = {  # next term from (x_prev, x), for the novelty checker (reduced mod m after)
    "arithmetic": lambda xp, x: 2 * x - xp, "fibonacci": lambda xp, x: x + xp,
    "alternate": lambda xp, x: xp, "pell": lambda xp, x: 2 * x + xp,
    "jacobsthal": lambda xp, x: x + 2 * xp, "difference": lambda xp, x: x - xp,
    "negated alternate": lambda xp, x: -xp, "x_prev-x": lambda xp, x: xp - x,
    "double": lambda xp, x: 2 * x, "count up": lambda xp, x: x + 1, "constant": lambda xp, x: x,
    "product": lambda xp, x: x * xp, "square": lambda xp, x: x * x,
}


class Sequence(ResidueFamily):
    name = "sequence"
    id_ops = _ID_OPS

    # -- the generative process: a rule is (alpha, beta, gamma) mod m ---------------------------
    def render_input(self, x: tuple[int, int]) -> str:
        return f"{x[0]} {x[1]}"

    def apply(self, rule, x: tuple[int, int], cfg) -> str:
        return "{} {}".format(*_terms(rule, x, cfg.modulus))

    def rule_key(self, rule) -> str:
        return "alpha={} beta={} gamma={}".format(*rule)

    # -- the ideal learner and its competitors --------------------------------------------------
    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        m = cfg.modulus
        vals = [_pair(c) for c in choices]
        if any(v is None for v in vals):
            return [0.0] * len(choices)
        if variant == "ood":
            shared = [row for v in vals for row in _choice_rows(query, v)]
            return normalise([count_allowed(_demo_rows(demos, query, v) + shared, m) for v in vals])
        return self.familiar_ideal(variant, cfg, demos, query, choices)

    def competitors(self):
        return {"posterior_predictive": lambda *a: _predictive(self, *a, ratio=False),
                "posterior_prior_ratio": lambda *a: _predictive(self, *a, ratio=True)}

    # -- what the task measures -----------------------------------------------------------------
    def familiar_match(self, rule, cfg) -> str | None:
        """Independent of the generator: the next-term function's full table is tested for
        dependence on one term only (first-order, copying, constant), compared with every familiar
        recurrence under every affine renaming of the residues, and tested for a constant second
        difference (quadratic sequences)."""
        m = cfg.modulus
        a, b, g = rule
        t = table(lambda xp, x: a * x + b * xp + g, m)
        found = one_argument(t) or affine_conjugate_match(t, _familiar_tabs(m), m)
        if not found and len({(t[xp][x] - 2 * x + xp) % m for xp in range(m) for x in range(m)}) == 1:
            found = "quadratic (constant second difference)"
        return found

    def log10_behaviours(self, variant, cfg) -> float:
        m = cfg.modulus
        return math.log10({"id": 3, "renamed": 2 * m + 1, "ood": len(allowed_pairs(m)) * m}[variant])


@lru_cache(maxsize=None)
def _familiar_tabs(m: int) -> dict:
    average = {"average": lambda xp, x: (x + xp) * pow(2, -1, m)}  # (x + x_prev)/2
    return familiar_tables(dict(_FAMILIAR, **average), m)


def _terms(rule, x, m: int) -> tuple[int, int]:
    a, b, g = rule
    x0, x1 = x
    x2 = (a * x1 + b * x0 + g) % m
    return x2, (a * x2 + b * x1 + g) % m


def _pair(s: str) -> tuple[int, int] | None:
    parts = [to_int(t) for t in s.split()]
    return tuple(parts) if len(parts) == 2 and None not in parts else None


def _choice_rows(query, v) -> list[tuple[int, int, int]]:
    """The candidate giving the pair v at the query has gamma = v0 - alpha*x1 - beta*x0; its
    second term then states alpha*(v0 - x1) + beta*(x1 - x0) = v1 - v0."""
    x0, x1 = query
    return [(v[0] - x1, x1 - x0, v[1] - v[0])]


def _demo_rows(demos, query, v) -> list[tuple[int, int, int]]:
    """The equations on (alpha, beta) when the gold gives v at the query (gamma as above)."""
    x0, x1 = query
    rows = []
    for (s0, s1), y in demos:
        t = _pair(y)
        if t is None:
            return [(0, 0, 1)]  # no solution
        rows.append((s1 - x1, s0 - x0, t[0] - v[0]))
        rows.append((t[0] - x1, s1 - x0, t[1] - v[0]))
    return rows


def _predictive(fam: Sequence, variant, cfg, demos, query, choices, ratio: bool) -> list[float]:
    """P(r(query) = choice | demos) for one rule drawn from the variant's prior (every
    (rule, shift) in renamed), divided by its prior value when ``ratio``: the tuple ignored."""
    m = cfg.modulus
    vals = [_pair(c) for c in choices]
    if any(v is None for v in vals):
        return [0.0] * len(choices)
    if variant == "ood":
        post = [count_allowed(_demo_rows(demos, query, v) + _choice_rows(query, v), m) for v in vals]
        prior = [count_allowed(_choice_rows(query, v), m) for v in vals]
    else:
        post, prior = [0] * len(vals), [0] * len(vals)
        shifts = range(m) if variant == "renamed" else (0,)
        for r in [Sequence.rename(op, s, m) for op in _ID_OPS.values() for s in shifts]:
            out = _terms(r, query, m)
            if out in vals:
                j = vals.index(out)
                prior[j] += 1
                post[j] += all(fam.apply(r, x, cfg) == y for x, y in demos)
    return normalise([p / q if ratio and q else float(p) for p, q in zip(post, prior)])
