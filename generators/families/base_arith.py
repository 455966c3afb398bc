"""base_arith: the sum of two decimal numbers ('47+38'), written in some numeral system.

ood: a positional system with a secret base b (5-9 at difficulty 2; never 10) whose digits
     are b distinct letters from a fixed pool of P (the digit -> letter map is secret):
     sum over b of P!/(P-b)! rules, 10^8.0 at difficulty 2 (10^6.8 / 10^13.8 at 1 / 3).
id:  a familiar numeral system: decimal, hexadecimal, octal, binary, Roman numerals or
     English words (six rules).
Both variants show the same decimal additions, so the gap measures the numeral system alone.
The input is decimal because the core renders an input without the rule: letter-written
operands would pin one alphabet (one base) for all candidates, leaving b! < 10^6 rules for
b <= 9 and making the ideal learner a cryptarithm count; decimal operands keep it exact.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .._config import require, require_int_range, require_min_max, with_difficulty
from ..core import Family
from ._numeric import enumerated_predictive, normalise

_POOL = "bcdfghjklmnpqrstvwxz"  # consonants: no vowels, so outputs never spell English words
_HEX = "0123456789abcdef"
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
          (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _digits(n: int, base: int) -> list[int]:
    out = []
    while True:
        n, d = divmod(n, base)
        out.append(d)
        if not n:
            return out[::-1]


def _words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else "")
    big, unit = (1000, "thousand") if n >= 1000 else (100, "hundred")
    return f"{_words(n // big)} {unit}" + (f" {_words(n % big)}" if n % big else "")


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        k, n = divmod(n, value)
        out += letters * k
    return out


_FAMILIAR = {"dec": (10, _HEX[:10]), "hex": (16, _HEX), "oct": (8, _HEX[:8]), "bin": (2, "01"),
             "roman": (0, _roman), "words": (0, _words)}
_ID_NAMES = tuple(_FAMILIAR)


@dataclass(frozen=True)
class BaseArithConfig:
    difficulty: int = 2
    min_addend: int = 10  # decimal operands
    max_addend: int = 99
    min_base: int = 5  # ood base range; 10 is always skipped
    max_base: int = 9
    n_glyphs: int = 12  # letters in the ood digit pool

    def __post_init__(self) -> None:
        require_int_range("min_addend", self.min_addend, 1, 999)  # Roman numerals have no zero
        require_int_range("max_addend", self.max_addend, 1, 999)
        require_min_max(self, "min_addend", "max_addend")
        require(self.max_addend - self.min_addend >= 19, "max_addend", self.max_addend,
                "needs at least 20 operand values (>= 400 distinct pairs: pools of 256 fit)")
        require_int_range("min_base", self.min_base, 2, 16)
        require_int_range("max_base", self.max_base, 2, 16)
        require_min_max(self, "min_base", "max_base")
        require(self.bases, "max_base", self.max_base, "the range holds no base other than 10")
        require_int_range("n_glyphs", self.n_glyphs, self.max_base, len(_POOL))

    @property
    def bases(self) -> tuple[int, ...]:
        return tuple(b for b in range(self.min_base, self.max_base + 1) if b != 10)


_LEVELS = {
    1: dict(min_addend=1, max_addend=40, min_base=6, max_base=9, n_glyphs=10),
    2: dict(min_addend=10, max_addend=99, min_base=5, max_base=9, n_glyphs=12),
    3: dict(min_addend=10, max_addend=199, min_base=11, max_base=16, n_glyphs=16),
}


class BaseArith(Family):
    name = "base_arith"
    n_choices = 3
    # Distractors may share the gold's readings of the first two sums: those demos show
    # letters but cannot separate the candidates, so later demos have to.
    max_agree = {"ood": 2, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> BaseArithConfig:
        return with_difficulty(BaseArithConfig, _LEVELS, difficulty, overrides)

    # ood rule: (base, letters) with letters[d] the glyph of digit d; id rule: a name in _FAMILIAR.
    def sample_rule(self, rng: random.Random, variant: str, cfg: BaseArithConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        base = rng.choice(cfg.bases)
        return base, "".join(rng.sample(_POOL[: cfg.n_glyphs], base))

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id":  # any other familiar system (the tuple needs distinct rules anyway)
            return rng.choice([r for r in _ID_NAMES if r != anchor])
        # Exact conditional: P(b | agree) is proportional to (P - K_b)!, then the digits
        # the agreement does not reveal get random unused letters.
        fits = [(b, f) for b in cfg.bases if (f := _fit(b, agree)) is not None]
        base, (d2g, g2d) = rng.choices(fits, [math.factorial(cfg.n_glyphs - len(f[0])) for _, f in fits])[0]
        new = iter(rng.sample([g for g in _POOL[: cfg.n_glyphs] if g not in g2d], base - len(d2g)))
        return base, "".join(d2g[d] if d in d2g else next(new) for d in range(base))

    def sample_input(self, rng, variant, cfg, gold=None) -> tuple[int, int]:
        return rng.randint(cfg.min_addend, cfg.max_addend), rng.randint(cfg.min_addend, cfg.max_addend)

    def render_input(self, x: tuple[int, int]) -> str:
        return f"{x[0]}+{x[1]}"

    def apply(self, rule, x: tuple[int, int], cfg=None) -> str:
        n = x[0] + x[1]
        base, letters = _FAMILIAR[rule] if isinstance(rule, str) else rule
        if not base:
            return letters(n)
        return "".join(letters[d] for d in _digits(n, base))

    def rule_key(self, rule) -> str:
        return rule if isinstance(rule, str) else f"{rule[0]}:{rule[1]}"

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        """Exact: per base, the demos fix K digits' letters, and a choice needing u more
        digits has (P-K-u)!/(P-b)! consistent maps, so its weight is the sum of (P-K-u)!."""
        if variant == "id":
            return enumerated_predictive(_ID_NAMES, self.apply, demos, query, choices)
        pool = set(_POOL[: cfg.n_glyphs])
        weights = [0] * len(choices)
        for base in cfg.bases:
            fit = _fit(base, demos)
            if fit is None:
                continue
            ds = _digits(query[0] + query[1], base)
            for i, c in enumerate(choices):
                u = _extra_digits(*fit, ds, c, pool)
                if u is not None:
                    weights[i] += math.factorial(cfg.n_glyphs - len(fit[0]) - u)
        return normalise(weights)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        p = cfg.n_glyphs
        return math.log10(sum(math.perm(p, b) for b in cfg.bases))


def _fit(base: int, demos) -> tuple[dict, dict] | None:
    """The digit <-> letter maps the demos reveal under this base, or None if they contradict it."""
    d2g: dict[int, str] = {}
    g2d: dict[str, int] = {}
    for x, y in demos:
        ds = _digits(x[0] + x[1], base)
        if len(ds) != len(y):
            return None
        for d, g in zip(ds, y):
            if d2g.setdefault(d, g) != g or g2d.setdefault(g, d) != d:
                return None
    return d2g, g2d


def _extra_digits(d2g: dict, g2d: dict, ds: list[int], y: str, pool: set) -> int | None:
    """How many digits beyond the known ones writing ``ds`` as ``y`` assigns, or None if it cannot."""
    if len(ds) != len(y):
        return None
    new_d: dict[int, str] = {}
    new_g: dict[str, int] = {}
    for d, g in zip(ds, y):
        if d in d2g:
            if d2g[d] != g:
                return None
        elif g in g2d or g not in pool or new_d.setdefault(d, g) != g or new_g.setdefault(g, d) != d:
            return None
    return len(new_d)
