"""base_arith: register arithmetic on two numbers ('47 38 -> 85'), answered in a numeral system.

The input is two operands written as w-digit decimals; the answer is ``a op b`` modulo M = base^w
(the carry out of the top digit is dropped, as in a w-digit register), written as w digits of
the rule's base, each digit as the rule's symbol for it.  op is one of add (a+b), sub (a-b) and
rsub (b-a).  A rule is (op, base, symbols).
- ``id``: base 10 with the digits themselves ('47 38 -> 85' / '09' / '91'); three rules.
- ``renamed``: the same three decimal rules with the ten digit symbols permuted by a per-episode
  bijection, never the identity ('47 38 -> 21' when 8 is written 2 and 5 is written 1).
- ``ood``: base B (7 or 9, cfg.ood_base) written with the symbols 0..B-1 permuted by a per-episode
  bijection, never the identity; operands below B^w (shown in decimal).
The nonce symbols are digits with new meanings, so answers tokenise alike in every variant (one
token per digit for SmolLM2; letters took 1.6 tokens for two where digits take 3).

Familiar rules and the exclusion.  Familiar: decimal, octal, hexadecimal and binary arithmetic
(add, sub, rsub, product, copying an operand, each also with its digits reversed), Roman numerals
and number words, all up to a renaming of the output symbols.  A renaming cannot change how many
symbols a system uses, so excluding the familiar bases from ood (B is never 2, 8, 10 or 16: the
config refuses them) excludes them exactly, at no cost; Roman numerals and words have no fixed
width.  ``familiar_match`` instead tries every familiar rule on 200 sampled inputs and looks for
a consistent one-to-one symbol renaming.

Behaviours: all rules of a variant act differently on its inputs: 3 (id), 3 * 10! = 10^7.0
(renamed), 3 * 9! = 10^6.0 (ood, difficulty 2; 3 * 7! = 10^4.2 at difficulty 1).

Pairing design (``matched_outputs = False``).  Equal output multisets on the 16 paired inputs
are impossible: two symbol maps give the same multiset only if a digit permutation maps the 16
sums onto themselves, which random sums do not allow.  Instead outputs alone are exactly
uninformative in distribution: operands are uniform below M, so ``a op b mod M`` is uniform and
independent across inputs for every op; every candidate's output is a uniform w-symbol string
over the same fixed symbols, whatever its op and map, and the gold's outputs say nothing about
which choice is its answer (old design: bases and letter sets differed between candidates, so
the letters used and the output length named the base).  The register drops the carry because a
full sum's leading digit is skewed (the symbol for 1 would lead most 3-digit outputs).
Residue: the outputs are the gold's results on the inputs shown, so a learner that searches, per
op, for the digit map carrying the bag of plain results onto the bag of outputs re-pairs them
and solves the deranged control (1.000 renamed and ood; perf/pairing_residue.py, docs/validity.md).

Ideal: the tuple is three i.i.d. prior draws (id: the three ops in random order), accepted when
they differ on the paired inputs, and the query is uniform among the inputs where all differ.
So P(choice i gold) is proportional to N_D(c_i) / N_0(c_i): N_D(c) counts (op, map) pairs that
fit the demos and write the query as c, N_0(c) the same without demos (the distractors are prior
draws that must produce the other choices); each count is a sum over ops of (S - K - u)!, K the
digits the demos fix and u the new digits c fixes (S symbols), less the excluded identity map.  Residual: the acceptance and
the query's probability 1/|D| (D the inputs where all candidates differ, 97-100% of them) vary
by a few percent between tuples; they are treated as constants.  ``posterior_predictive`` (N_D
alone) is the rejected simpler ideal, listed in ``competitors()``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range
from ..core import Family, item_rng, normalise

_DIGITS = "0123456789abcdef"
_OPS = ("add", "sub", "rsub")
_FAMILIAR_BASES = (2, 8, 10, 16)


@dataclass(frozen=True)
class BaseArithConfig:
    difficulty: int = 2
    width: int = 2  # digits per operand and per answer, every variant
    ood_base: int = 9

    def __post_init__(self) -> None:
        require_int_range("width", self.width, 2, 3)
        require_int_range("ood_base", self.ood_base, 7, 9)  # 3 * B! >= 10^4; operands fit w decimals
        require(self.ood_base not in _FAMILIAR_BASES, "ood_base", self.ood_base,
                "a familiar base (octal) renamed is not a new rule")


def _compute(op: str, a: int, b: int, mod: int) -> int:
    return (a + b if op == "add" else a - b if op == "sub" else b - a) % mod


def _digits(n: int, base: int, width: int) -> tuple[int, ...]:
    return tuple(n // base ** i % base for i in reversed(range(width)))


class BaseArith(Family):
    name = "base_arith"
    n_choices = 3
    config_class = BaseArithConfig
    levels = {1: dict(width=2, ood_base=7), 2: dict(width=2, ood_base=9), 3: dict(width=3, ood_base=9)}
    matched_outputs = False  # impossible for symbol maps on random sums: see the module docstring

    # A rule is (op, base, symbols): symbols[d] writes digit d.  A raw input is (a, b, width).
    def sample_rule(self, rng: random.Random, variant: str, cfg: BaseArithConfig):
        op = rng.choice(_OPS)
        if variant == "id":
            return op, 10, _DIGITS[:10]
        base = 10 if variant == "renamed" else cfg.ood_base
        while True:  # a bijection of the digits; never the identity (that is the id rule / plain base B)
            symbols = "".join(rng.sample(_DIGITS[:base], base))
            if symbols != _DIGITS[:base]:
                return op, base, symbols

    def sample_tuple(self, rng, variant, cfg, paired):
        if variant == "id":  # the three ops in random order: an exchangeable draw
            return [(op, 10, _DIGITS[:10]) for op in rng.sample(_OPS, 3)]
        return [self.sample_rule(rng, variant, cfg) for _ in range(self.n_choices)]

    def sample_input(self, rng, variant, cfg) -> tuple[int, int, int]:
        mod = (cfg.ood_base if variant == "ood" else 10) ** cfg.width
        return rng.randrange(mod), rng.randrange(mod), cfg.width

    def render_input(self, x) -> str:
        a, b, w = x
        return f"{a:0{w}d} {b:0{w}d}"

    def apply(self, rule, x, cfg=None) -> str:
        op, base, symbols = rule
        a, b, w = x
        return "".join(symbols[d] for d in _digits(_compute(op, a, b, base ** w), base, w))

    def rule_key(self, rule) -> str:
        return ":".join(map(str, rule))

    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        post, prior = _counts(variant, cfg, tuple(demos), query, tuple(choices))
        return normalise([p / q if q else 0.0 for p, q in zip(post, prior)])

    def competitors(self) -> dict:
        return {"posterior_predictive": _posterior_predictive}

    def familiar_match(self, rule, cfg) -> str | None:
        op, base, symbols = rule
        rng = item_rng("base_arith familiar_match", cfg.width, base)
        w, mod = cfg.width, base ** cfg.width
        xs = [(rng.randrange(mod), rng.randrange(mod), w) for _ in range(200)]
        ys = [self.apply(rule, x) for x in xs]
        for name, fn in _familiar(w).items():
            if _renames(fn, xs, ys):
                return name
        return None

    def log10_behaviours(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(3)
        base = 10 if variant == "renamed" else cfg.ood_base
        return math.log10(3 * math.factorial(base))


def _space(variant: str, cfg: BaseArithConfig) -> tuple[int, str | None]:
    """(base, fixed symbols): id writes digits as themselves; the others rename them freely."""
    if variant == "id":
        return 10, _DIGITS[:10]
    return (10 if variant == "renamed" else cfg.ood_base), None


@lru_cache(maxsize=20000)
def _fit(op: str, base: int, demos: tuple) -> tuple[dict, dict] | None:
    """The digit <-> symbol maps the demos reveal under ``op``, or None if they contradict it
    (demos' prefixes are cached, so k = 1, 4, 16 share the work)."""
    if not demos:
        return {}, {}
    prev = _fit(op, base, demos[:-1])
    if prev is None:
        return None
    d2s, s2d = dict(prev[0]), dict(prev[1])
    (a, b, w), y = demos[-1]
    for d, s in zip(_digits(_compute(op, a, b, base ** w), base, w), y):
        if d2s.setdefault(d, s) != s or s2d.setdefault(s, d) != d:
            return None
    return d2s, s2d


def _new_digits(fit: tuple[dict, dict], ds: tuple[int, ...], y: str) -> int | None:
    """How many digits beyond the fitted ones writing ``ds`` as ``y`` fixes; None if it cannot."""
    d2s, s2d = fit
    new_d: dict[int, str] = {}
    new_s: dict[str, int] = {}
    if len(ds) != len(y):
        return None
    for d, s in zip(ds, y):
        if d in d2s:
            if d2s[d] != s:
                return None
        elif s in s2d or new_d.setdefault(d, s) != s or new_s.setdefault(s, d) != d:
            return None
    return len(new_d)


@lru_cache(maxsize=50000)
def _counts(variant: str, cfg: BaseArithConfig, demos: tuple, query, choices: tuple):
    """(N_D(c), N_0(c)) per choice: the (op, map) pairs that write the query as c, with and
    without the demos; a free map of S symbols with K digits fixed has (S - K)! completions."""
    base, fixed = _space(variant, cfg)
    post, prior = [0] * len(choices), [0] * len(choices)
    for op in _OPS:
        ds = _digits(_compute(op, query[0], query[1], base ** query[2]), base, query[2])
        if fixed is not None:  # id: the symbols are the digits; each op is one rule
            ok = all(y == _plain(op, base, x) for x, y in demos)
            for i, c in enumerate(choices):
                hit = c == "".join(fixed[d] for d in ds)
                prior[i] += hit
                post[i] += hit and ok
            continue
        fit = _fit(op, base, demos)
        plain = "".join(_DIGITS[d] for d in ds)  # the identity map, outside the prior
        plain_fits = all(y == _plain(op, base, x) for x, y in demos)
        for i, c in enumerate(choices):
            u0 = _new_digits(({}, {}), ds, c)
            if u0 is not None:
                prior[i] += math.factorial(base - u0) - (c == plain)
            u = _new_digits(fit, ds, c) if fit is not None else None
            if u is not None:
                post[i] += math.factorial(base - len(fit[0]) - u) - (c == plain and plain_fits)
    return post, prior


def _plain(op: str, base: int, x) -> str:
    a, b, w = x
    return "".join(_DIGITS[d] for d in _digits(_compute(op, a, b, base ** w), base, w))


def _posterior_predictive(variant, cfg, demos, query, choices) -> list[float]:
    """The rejected simpler ideal: P(rule(query) = c | demos), blind to how distractors are drawn."""
    post, _ = _counts(variant, cfg, tuple(demos), query, tuple(choices))
    return normalise(post)


@lru_cache(maxsize=4)
def _familiar(width: int) -> dict:
    """name -> function of a raw input giving the familiar rule's output (a string of symbols)."""
    def positional(base, fn, rev):
        def f(x):
            s = "".join(_DIGITS[d] for d in _digits(fn(x[0], x[1]) % base ** width, base, width))
            return s[::-1] if rev else s
        return f

    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "rsub": lambda a, b: b - a,
           "product": lambda a, b: a * b, "copy first": lambda a, b: a, "copy second": lambda a, b: b}
    out = {f"{name} base {base}{' reversed' if rev else ''}": positional(base, fn, rev)
           for base in _FAMILIAR_BASES for name, fn in ops.items() for rev in (False, True)}
    out["roman sum"] = lambda x: _roman(x[0] + x[1])
    out["words sum"] = lambda x: _words(x[0] + x[1])
    out["constant"] = lambda x: "0" * width
    return out


def _renames(fn, xs, ys) -> bool:
    """Is there a one-to-one renaming of fn's output symbols that gives ys on xs?"""
    fwd: dict[str, str] = {}
    back: dict[str, str] = {}
    for x, y in zip(xs, ys):
        z = fn(x)
        if len(z) != len(y):
            return False
        for s, t in zip(z, y):
            if fwd.setdefault(s, t) != t or back.setdefault(t, s) != s:
                return False
    return True


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        k, n = divmod(n, value)
        out += letters * k
    return out


def _words(n: int) -> str:
    ones = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen").split()
    tens = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
    if n < 20:
        return ones[n]
    if n < 100:
        return tens[n // 10] + (f"-{ones[n % 10]}" if n % 10 else "")
    big, unit = (1000, "thousand") if n >= 1000 else (100, "hundred")
    return f"{_words(n // big)} {unit}" + (f" {_words(n % big)}" if n % big else "")
