"""affine: an operation on two residues mod a prime m, written with the neutral symbol '@' ('7@3 -> 10').

Every rule is r(a, b) = (p*a + q*b + c) mod m; inputs are uniform on Z_m^2 in every variant.
- id: the familiar operations a+b, a-b, b-a (mod m, c = 0).  The tuple is the three of them.
- renamed: the same three through a per-episode renaming of the numbers, v -> v + s (the
  shift s is the rule's renaming; conjugating by v -> u*v + s gives the same three rules):
  a+b-s, a-b+s, b-a+s (mod m).  The tuple is the id tuple under one shared renaming.
- ood: (p, q) from ``allowed_pairs`` (both non-zero, not both in {+-1, +-2, +-1/2}), c any;
  the tuple is one (p, q) with three distinct offsets c.
Familiar (excluded from ood): a+b, a-b, b-a, a*b, max, min, |a-b|, the projections a and b,
constants, any function of one operand (a+c, 2a, -b...), 2a+b, a+2b, -a-b, (a+b)/2 and every
renaming of these.  Exclusion is exact: an affine renaming keeps (p, q), so no ood rule is a
renamed familiar affine one; a non-affine familiar one (a*b, max, ...) is unbalanced and no
renaming of it is balanced; by Toyoda-Bruck any isomorphism between these affine quasigroups of
prime order is affine.  Cost: (m-1)^2 - 36 linear parts kept of m^2 (864 of 961 at m = 31).
Behaviours: |allowed_pairs| * m, all different as functions: 10^4.4 at difficulty 2 (10^4.0 /
10^5.0 at 1 / 3); renamed 3m; id 3.
Pairing: matched_outputs = False.  Equal output multisets on the 16 paired inputs cannot be built
inside this rule space (candidates sharing (p, q) differ by a constant shift, and no set of 16 < m
residues is invariant under a shift; candidates with different linear parts give unrelated
multisets).  Instead outputs alone say nothing: every rule with (p, q) != 0 maps the uniform input
to the uniform output (m preimages per value), so the demo outputs are uniform whichever
candidate is gold, independent of the choices (up to the query being outside the pool: the gold's
value at the query has one preimage fewer, a ~1/m^2 effect).  Residue: the outputs are still the
gold's images of the inputs shown, and a learner that keeps the rules mapping the bag of inputs
onto the bag of outputs solves the deranged control (1.000 renamed and ood;
perf/pairing_residue.py, docs/validity.md).  Answers are residues in all three variants, so
prompt and answer lengths match.
Ideal (exact): the gold is uniform in the tuple and, for every tuple consistent with the choices,
the query is uniform on fresh inputs where the candidates differ.  ood: candidates with one
(p, q) differ everywhere, so that likelihood is 1/(m^2 - 16) for every tuple, and each (p, q)
explains the choices with exactly one offset per choice: P(gold = j) is proportional to the
number of allowed (p, q) solving p*(a_i - a) + q*(b_i - b) = y_i - v_j for all demos (linear
algebra over GF(m), then a count).  renamed: the three choices sum to a + b + s, so the choices
fix s and the tuple; id: the tuple is fixed; then P(gold = j) is 1 or 0 by consistency with the
demos.  Nothing depends on the unseen paired inputs.  The posterior predictive and the
posterior/prior ratio are competitors (here they coincide with it or are close).
"""

from __future__ import annotations

import math
from functools import lru_cache

from ..core import normalise
from ._affine_gf import (ResidueFamily, affine_conjugate_match, allowed_pairs, as_difference, as_group,
                         count_allowed, familiar_tables, one_argument, table, to_int)

_SYMBOL = "@"
_ID_OPS = {"add": (1, 1), "sub": (1, -1), "rsub": (-1, 1)}
_FAMILIAR = {  # the novelty checker's list, as plain integer functions (reduced mod m after)
    "a+b": lambda a, b: a + b, "a-b": lambda a, b: a - b, "b-a": lambda a, b: b - a,
    "a*b": lambda a, b: a * b, "max": max, "min": min, "|a-b|": lambda a, b: abs(a - b),
    "a": lambda a, b: a, "b": lambda a, b: b, "2a": lambda a, b: 2 * a, "2b": lambda a, b: 2 * b,
    "-a-b": lambda a, b: -a - b, "2a+b": lambda a, b: 2 * a + b, "a+2b": lambda a, b: a + 2 * b,
    "2a-b": lambda a, b: 2 * a - b, "a-2b": lambda a, b: a - 2 * b, "a+b+1": lambda a, b: a + b + 1,
    "a^2+b^2": lambda a, b: a * a + b * b, "(a+b)^2": lambda a, b: (a + b) ** 2,
}


class Affine(ResidueFamily):
    name = "affine"
    id_ops = _ID_OPS

    # -- the generative process: a rule is (p, q, c) mod m ------------------------------------
    def render_input(self, x: tuple[int, int]) -> str:
        return f"{x[0]}{_SYMBOL}{x[1]}"

    def apply(self, rule, x: tuple[int, int], cfg) -> str:
        p, q, c = rule
        return str((p * x[0] + q * x[1] + c) % cfg.modulus)

    def rule_key(self, rule) -> str:
        return "p={} q={} c={}".format(*rule)

    # -- the ideal learner and its competitors --------------------------------------------------
    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        m = cfg.modulus
        vals = [to_int(c) for c in choices]
        if any(v is None for v in vals):
            return [0.0] * len(choices)
        if variant == "ood":
            return normalise([count_allowed(_rows(demos, query, v), m) for v in vals])
        return self.familiar_ideal(variant, cfg, demos, query, choices)

    def competitors(self):
        return {"posterior_predictive": lambda *a: _predictive(self, *a, ratio=False),
                "posterior_prior_ratio": lambda *a: _predictive(self, *a, ratio=True)}

    # -- what the task measures -----------------------------------------------------------------
    def familiar_match(self, rule, cfg) -> str | None:
        """Independent of the generator: the rule's full table is tested for renaming-invariant
        familiar structure, then compared with every familiar operation under every affine renaming."""
        m = cfg.modulus
        p, q, c = rule
        t = table(lambda a, b: p * a + q * b + c, m)
        trivial = one_argument(t)
        if trivial:
            return trivial
        transposed = tuple(zip(*t))
        if as_group(t):
            return "a+b (some renaming)"
        if as_difference(t) or as_difference(transposed):
            return "a-b or b-a (some renaming)"
        return affine_conjugate_match(t, _familiar_tabs(m), m)

    def log10_behaviours(self, variant, cfg) -> float:
        m = cfg.modulus
        return math.log10({"id": 3, "renamed": 3 * m, "ood": len(allowed_pairs(m)) * m}[variant])


@lru_cache(maxsize=None)
def _familiar_tabs(m: int) -> dict:
    return familiar_tables(_FAMILIAR, m)


def _rows(demos, query, v: int) -> list[tuple[int, int, int]]:
    """The equations on (p, q) when the rule gives v at the query (its c = v - p*a - q*b)."""
    a, b = query
    rows = []
    for (ai, bi), y in demos:
        yi = to_int(y)
        rows.append((ai - a, bi - b, yi - v) if yi is not None else (0, 0, 1))  # (0, 0, 1): no solution
    return rows


def _predictive(fam: Affine, variant, cfg, demos, query, choices, ratio: bool) -> list[float]:
    """P(r(query) = choice | demos) for one rule drawn from the variant's prior (every
    (op, shift) in renamed), divided by its prior value when ``ratio``: the tuple ignored."""
    m = cfg.modulus
    vals = [to_int(c) for c in choices]
    if any(v is None for v in vals):
        return [0.0] * len(choices)
    if variant == "ood":  # the prior predictive is |allowed| for every value: ratio = predictive
        return normalise([count_allowed(_rows(demos, query, v), m) for v in vals])
    shifts = range(m) if variant == "renamed" else (0,)
    rules = [Affine.rename(op, s, m) for op in _ID_OPS.values() for s in shifts]
    post, prior = [0] * len(vals), [0] * len(vals)
    for r in rules:
        out = to_int(fam.apply(r, query, cfg))
        if out in vals:
            j = vals.index(out)
            prior[j] += 1
            post[j] += all(fam.apply(r, x, cfg) == y for x, y in demos)
    return normalise([p / q if ratio and q else float(p) for p, q in zip(post, prior)])
