"""affine: an operator on two small integers, written with the neutral symbol '@' ('7@3').

ood: an invented operator a@b = p*a + q*b + c with |p|, |q| <= P and |c| <= C:
     (2P+1)^2 (2C+1) rules, all different as functions; 10^6.2 at difficulty 2.
id:  a familiar operation: a+b, a-b, a*b, max, min, |a-b| (six rules).
The same symbol stands for both, so the format is identical and only the rule differs; the
id operation has to be hidden behind it because the choices are the outputs of several rules.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .._config import require_int_range, with_difficulty
from ..core import Family
from ._numeric import enumerated_predictive, normalise

_SYMBOL = "@"  # no arithmetic meaning in prose or maths, and one token
_FAMILIAR = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "max": max,
    "min": min,
    "absdiff": lambda a, b: abs(a - b),
}
_ID_NAMES = tuple(_FAMILIAR)


@dataclass(frozen=True)
class AffineConfig:
    difficulty: int = 2
    max_input: int = 29  # operands are drawn from 0..max_input
    max_coef: int = 20  # |p|, |q| (ood)
    max_offset: int = 500  # |c| (ood)

    def __post_init__(self) -> None:
        require_int_range("max_input", self.max_input, 19, 99)  # >= 400 operand pairs: pools of 256 fit
        require_int_range("max_coef", self.max_coef, 1, 99)
        require_int_range("max_offset", self.max_offset, 0, 9999)


_LEVELS = {
    1: dict(max_input=19, max_coef=15, max_offset=600),
    2: dict(max_input=29, max_coef=20, max_offset=500),
    3: dict(max_input=49, max_coef=30, max_offset=999),
}


class Affine(Family):
    name = "affine"
    n_choices = 3
    # One shared demo still leaves ~10^3 (p, q) lines; two could leave the anchor alone.
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> AffineConfig:
        return with_difficulty(AffineConfig, _LEVELS, difficulty, overrides)

    # ood rule: (p, q, c); id rule: a name in _FAMILIAR.
    def sample_rule(self, rng: random.Random, variant: str, cfg: AffineConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        p = rng.randint(-cfg.max_coef, cfg.max_coef)
        q = rng.randint(-cfg.max_coef, cfg.max_coef)
        return p, q, rng.randint(-cfg.max_offset, cfg.max_offset)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id":  # any other familiar operation (the tuple needs distinct rules anyway)
            return rng.choice([r for r in _ID_NAMES if r != anchor])
        if not agree:
            return self.sample_rule(rng, variant, cfg)
        return rng.choice(_survivors(cfg, agree))  # exact: the prior is uniform on the box

    def sample_input(self, rng, variant, cfg, gold=None) -> tuple[int, int]:
        return rng.randint(0, cfg.max_input), rng.randint(0, cfg.max_input)

    def render_input(self, x: tuple[int, int]) -> str:
        return f"{x[0]}{_SYMBOL}{x[1]}"

    def apply(self, rule, x: tuple[int, int], cfg=None) -> str:
        a, b = x
        if isinstance(rule, str):
            return str(_FAMILIAR[rule](a, b))
        p, q, c = rule
        return str(p * a + q * b + c)

    def rule_key(self, rule) -> str:
        return rule if isinstance(rule, str) else "p={} q={} c={}".format(*rule)

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        """Exact: without demos, (p, q, c) giving each choice are counted an interval of q per p;
        with demos, the consistent rules are enumerated (c, and q once two demos differ in b,
        follow from p)."""
        if variant == "id":
            return enumerated_predictive(_ID_NAMES, self.apply, demos, query, choices)
        if not demos:
            return normalise([_count(cfg, query, _int(c)) for c in choices])
        a, b = query
        outs = [str(p * a + q * b + c) for p, q, c in _survivors(cfg, demos)]
        return normalise([outs.count(c) for c in choices])

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        return math.log10((2 * cfg.max_coef + 1) ** 2 * (2 * cfg.max_offset + 1))


def _int(s: str) -> int | None:
    try:
        return int(s)
    except ValueError:
        return None


def _count(cfg: AffineConfig, x: tuple[int, int], y: int | None) -> int:
    """How many (p, q, c) in the box give p*a + q*b + c == y."""
    if y is None:
        return 0
    a, b = x
    P, C = cfg.max_coef, cfg.max_offset
    total = 0
    for p in range(-P, P + 1):
        r = y - p * a  # needs |r - q*b| <= C
        if b == 0:
            total += (2 * P + 1) * (abs(r) <= C)
        else:
            total += max(0, min(P, (r + C) // b) - max(-P, -((C - r) // b)) + 1)
    return total


def _survivors(cfg: AffineConfig, demos) -> list[tuple[int, int, int]]:
    """Every (p, q, c) in the box consistent with the (non-empty) demos."""
    P, C = cfg.max_coef, cfg.max_offset
    eqs = [(a, b, _int(y)) for (a, b), y in demos]
    if any(y is None for *_, y in eqs):
        return []
    a1, b1, y1 = eqs[0]
    # Two demos with different b fix q for each p: one candidate per p instead of 2P+1.
    pivot = next(((a - a1, b - b1, y - y1) for a, b, y in eqs[1:] if b != b1), None)
    out = []
    for p in range(-P, P + 1):
        if pivot is None:
            qs = range(-P, P + 1)
        else:
            da, db, dy = pivot
            q, rem = divmod(dy - p * da, db)
            if rem or abs(q) > P:
                continue
            qs = (q,)
        for q in qs:
            c = y1 - p * a1 - q * b1
            if abs(c) <= C and all(p * a + q * b + c == y for a, b, y in eqs):
                out.append((p, q, c))
    return out
