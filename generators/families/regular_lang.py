"""regular_lang: short strings of two symbols sorted into two classes by a finite automaton.

id:      a textbook property of strings over 'a b' (starts with a / b, even / odd length, ends
         with a / b, even / odd number of a's; `n_familiar` of them, in complementary pairs),
         answered yes / no.
renamed: the same properties over the ood alphabet 'z q' through a per-episode symbol bijection,
         the two classes named by a per-episode pair of nonce labels (3 and 2 letters, one token
         each like yes/no: _words.ONE_TOKEN_NONCE), in either order.
ood:     a new language over 'z q', nonce labels as in renamed: uniform over a pool of languages of
         `n_states`-state DFAs (_regular_lang_pool), which excludes every language that the best
         function of a familiar feature (length; count of one symbol; the symbol at one of the first
         or last three positions; first and last; count and length parities; runs; balance;
         sortedness; palindrome; starts / ends / contains a 2- or 3-symbol word) explains up to
         `near_familiar` (10%) of the input mass, then packs the rest greedily so that any two kept
         languages differ on >= `min_distance` (20%) of it.  The feature list is closed under
         renaming the symbols and the criterion under swapping the labels, so a familiar property
         renamed is excluded.  Exclusion is exact (every language is tested): of 34,588 balanced
         4-state languages it drops 2,884 (148 exactly familiar); the packing keeps 3,286.
Behaviours: languages up to complement (label names never separate the choices): 1,643 = 10^3.2
at difficulty 2.  Below 10^4 by necessity: 16 binary demos carry at most 16 bits, and in a prior
closed under complement every other pair {L, not L} leaves one member within half the input mass
of the gold, which survives 16 random demos with probability >= 2**-16; the ideal must reach 0.95
at k=16, and automaton languages are far from an ideal code (posterior predictive at k=16 under a
uniform prior over 13,700 4-state languages packed at 10%: 0.90; over 3,300 packed at 20%: 0.96).
Pairing: the two candidates give equal label counts on the 16 paired inputs (matched_outputs).
Tuple: the labels (and renamed's symbol bijection) drawn once; two languages i.i.d. from the prior,
redrawn together until they have equal counts on the paired inputs and differ on one of them.
Ideal: P(gold says c) is proportional to sum over languages g consistent with the demos and g(q) =
c of sum over languages o with o(q) != c of P(the tuple (g, o) is accepted | what is seen).  Exact:
the posterior, the seen part of the count match, and at k >= 16 everything but the query draw.
Approximate at k < 16: the counts on the unseen paired inputs are independent binomials at each
language's rate (rates in 0.05 buckets).  Ignored: that the query is drawn where the candidates
differ, from inputs not yet taken (a factor 1 / P(disagreement) per tuple).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, require_min_max
from .._words import nonce_label_pair
from ..core import PAIRED_K, Family, RetryTuple, normalise
from ._regular_lang_checker import checker_features
from ._regular_lang_pool import pool, spread

_ALPHABET = {"id": "ab", "renamed": "zq", "ood": "zq"}
_RATE_BUCKETS = 10

_FAMILIAR = (
    ("starts with a", lambda s: s[0] == 0), ("starts with b", lambda s: s[0] == 1),
    ("even length", lambda s: len(s) % 2 == 0), ("odd length", lambda s: len(s) % 2 == 1),
    ("ends with a", lambda s: s[-1] == 0), ("ends with b", lambda s: s[-1] == 1),
    ("even number of a", lambda s: s.count(0) % 2 == 0), ("odd number of a", lambda s: s.count(0) % 2 == 1),
)


def _number(name: str, value, lo: float, hi: float) -> None:
    require(isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi,
            name, value, f"must be a number in [{lo}, {hi}]")


@dataclass(frozen=True)
class RegularLangConfig:
    difficulty: int = 2
    n_states: int = 4  # ood automaton size
    min_distance: float = 0.2  # ood: kept languages differ on at least this share of inputs
    near_familiar: float = 0.1  # ood: excluded within this share of a familiar feature's best fit
    min_len: int = 3  # string length, symbols
    max_len: int = 7
    n_familiar: int = 6  # id / renamed: familiar properties in play

    def __post_init__(self) -> None:
        require_int_range("n_states", self.n_states, 2, 4)
        _number("min_distance", self.min_distance, 0, 0.5)
        _number("near_familiar", self.near_familiar, 0, 0.5)
        require_int_range("min_len", self.min_len, 3, 8)
        require_int_range("max_len", self.max_len, 3, 8)
        require_min_max(self, "min_len", "max_len")
        require(2 ** (self.max_len + 1) - 2 ** self.min_len >= 96, "max_len", self.max_len,
                "too few distinct strings for a 64-demo pool plus queries")
        require_int_range("n_familiar", self.n_familiar, 2, len(_FAMILIAR))
        require(self.n_familiar % 2 == 0, "n_familiar", self.n_familiar,
                "must be even (properties come with their complements)")


_LEVELS = {
    1: dict(n_states=3, min_len=3, max_len=6, n_familiar=4),
    2: dict(n_states=4, min_len=3, max_len=7, n_familiar=6),
    3: dict(n_states=4, min_len=4, max_len=8, n_familiar=8),
}


def _index(x: str, cfg: RegularLangConfig) -> int:
    """Bit of string x in a language mask: per-length blocks, first symbol least significant."""
    syms = x.split(" ")
    offset = sum(2 ** n for n in range(cfg.min_len, len(syms)))
    return offset + sum((c in "bq") << i for i, c in enumerate(syms))


@lru_cache(maxsize=None)
def _familiar_mask(cfg: RegularLangConfig, i: int, swap: bool) -> int:
    mask = offset = 0
    for length in range(cfg.min_len, cfg.max_len + 1):
        for v in range(2 ** length):
            if _FAMILIAR[i][1]([(v >> j & 1) ^ swap for j in range(length)]):
                mask |= 1 << (offset + v)
        offset += 2 ** length
    return mask


@lru_cache(maxsize=None)
def _priors(variant: str, cfg: RegularLangConfig) -> tuple:
    """The prior as sub-priors sharing the episode's surface: tuples of (description, mask)."""
    if variant == "ood":
        return (pool(cfg.n_states, cfg.min_len, cfg.max_len, cfg.min_distance, cfg.near_familiar),)
    swaps = (False,) if variant == "id" else (False, True)
    return tuple(tuple((_FAMILIAR[i][0] + (" (a=q)" if swap else ""), _familiar_mask(cfg, i, swap))
                       for i in range(cfg.n_familiar)) for swap in swaps)


@lru_cache(maxsize=None)
def _sliced(variant: str, cfg: RegularLangConfig, part: int) -> tuple:
    """Bit-sliced sub-prior: per input, the set of member languages (a bitset over languages), and
    per rate bucket, its languages with the bucket's mean rate."""
    masks = [m for _, m in _priors(variant, cfg)[part]]
    width = sum(2 ** n for n in range(cfg.min_len, cfg.max_len + 1))
    cols = [0] * width
    for j, m in enumerate(masks):
        while m:
            low = m & -m
            cols[low.bit_length() - 1] |= 1 << j
            m ^= low
    total = (cfg.max_len - cfg.min_len + 1) * 2 ** cfg.max_len
    groups: dict[int, list] = {}
    for j, m in enumerate(masks):
        rate = spread(m, cfg.min_len, cfg.max_len).bit_count() / total
        key = ((rate > 0.5) - (rate < 0.5), int(abs(rate - 0.5) * 20))  # symmetric under complement
        groups.setdefault(key, []).append((j, rate))
    buckets = tuple((sum(1 << j for j, _ in g), sum(r for _, r in g) / len(g)) for g in groups.values())
    return tuple(cols), buckets, (1 << len(masks)) - 1


@lru_cache(maxsize=None)
def _match(m: int, d: int, rg: float, ro: float) -> float:
    """P(U_o = U_g + d) for independent U_g ~ Bin(m, rg), U_o ~ Bin(m, ro)."""
    def pmf(r, u):
        return math.comb(m, u) * r ** u * (1 - r) ** (m - u) if 0 <= u <= m else 0.0
    return sum(pmf(rg, u) * pmf(ro, u + d) for u in range(m + 1))


def _counts(cols, xs, full: int) -> dict:
    """Per count s, the languages with s members among the inputs xs (bit-sliced adder)."""
    planes = [0] * 5
    for x in xs:
        carry = cols[x]
        for b in range(5):
            planes[b], carry = planes[b] ^ carry, planes[b] & carry
    out = {}
    for s in range(len(xs) + 1):
        e = full
        for b in range(5):
            e &= planes[b] if s >> b & 1 else full ^ planes[b]
        if e:
            out[s] = e
    return out


@lru_cache(maxsize=2048)
def _groups(variant: str, cfg: RegularLangConfig, part: int, demos: tuple) -> tuple:
    """(gold groups: (languages, rate), other groups: (languages, rate, seen count), s_g, unseen)."""
    cols, buckets, full = _sliced(variant, cfg, part)
    alive = alive16 = full
    for i, (x, member) in enumerate(demos):
        alive &= cols[x] if member else full ^ cols[x]
        if i == PAIRED_K - 1:
            alive16 = alive
    seen = demos[:PAIRED_K]
    others = full if len(seen) < PAIRED_K else full ^ alive16  # the candidates differ on a paired input
    gold = tuple((alive & b, r) for b, r in buckets if alive & b)
    rest = tuple((e & b & others, r, s) for s, e in _counts(cols, [x for x, _ in seen], full).items()
                 for b, r in buckets if e & b & others)
    return gold, rest, sum(m for _, m in seen), PAIRED_K - len(seen)


def _scores(variant, cfg, demos, query, choices, mode: str) -> list[float]:
    """mode 'ideal' (module docstring) or 'posterior' (the posterior predictive)."""
    if not demos:  # the prior is closed under complement: each label is gold half the time
        return [1 / len(choices)] * len(choices)
    member = "yes" if "yes" in choices else choices[0]
    coded = tuple((_index(x, cfg), y == member) for x, y in demos)
    q = _index(query, cfg)
    weight = {True: 0.0, False: 0.0}  # gold says member / non-member
    for part in range(len(_priors(variant, cfg))):
        cols, _, _ = _sliced(variant, cfg, part)
        gold, rest, s_g, unseen = _groups(variant, cfg, part, coded)
        col = cols[q]
        for says in (True, False):
            pick = col if says else ~col
            g_w = [((g & pick).bit_count(), rg) for g, rg in gold]
            if mode == "posterior":
                weight[says] += sum(n for n, _ in g_w)
                continue
            o_w = [((o & ~pick).bit_count(), ro, s) for o, ro, s in rest]
            weight[says] += sum(n * sum(no * _match(unseen, s_g - s, rg, ro) for no, ro, s in o_w if no)
                                for n, rg in g_w if n)
    return normalise([weight[c == member] for c in choices])


class RegularLang(Family):
    name = "regular_lang"
    n_choices = 2
    config_class = RegularLangConfig
    levels = _LEVELS

    # A rule is (description, language mask, label of members, label of non-members, alphabet).
    def _labels(self, rng: random.Random, variant: str, cfg: RegularLangConfig) -> list[str]:
        if variant == "id":
            return ["yes", "no"]
        labels = list(nonce_label_pair(rng))
        rng.shuffle(labels)
        return labels

    def sample_tuple(self, rng, variant, cfg, paired):
        # The surface (labels, renamed's symbol bijection) once; two i.i.d. languages, redrawn
        # together until their member counts on the paired inputs agree and they differ there.
        parts = _priors(variant, cfg)
        space = parts[rng.randrange(len(parts))]
        labels = self._labels(rng, variant, cfg)
        xs = [_index(x, cfg) for x in paired]
        for _ in range(5000):
            a, b = rng.choice(space), rng.choice(space)
            ya, yb = [a[1] >> x & 1 for x in xs], [b[1] >> x & 1 for x in xs]
            if sum(ya) == sum(yb) and ya != yb:
                return [(*r, *labels, _ALPHABET[variant]) for r in (a, b)]
        raise RetryTuple

    def sample_input(self, rng, variant, cfg) -> str:
        abc = _ALPHABET[variant]
        return " ".join(rng.choice(abc) for _ in range(rng.randint(cfg.min_len, cfg.max_len)))

    def apply(self, rule, x: str, cfg) -> str:
        return rule[2] if rule[1] >> _index(x, cfg) & 1 else rule[3]

    def rule_key(self, rule) -> str:
        return f"{rule[0]}->{rule[2]}|{rule[3]}"

    def ideal(self, variant, cfg, demos, query, choices):
        return _scores(variant, cfg, demos, query, choices, "ideal")

    def competitors(self):
        return {"rl_posterior": lambda v, c, d, q, ch: _scores(v, c, d, q, ch, "posterior")}

    def familiar_match(self, rule, cfg):
        """The familiar feature whose best function agrees with the rule on all but less than
        `near_familiar` of the input mass, by brute force over the strings (either label order)."""
        lengths = range(cfg.min_len, cfg.max_len + 1)
        strings = [s for n in lengths for s in itertools.product((0, 1), repeat=n)]
        said = [self.apply(rule, " ".join(rule[4][c] for c in s), cfg) == rule[2] for s in strings]
        for name, f in checker_features().items():
            mass: dict = {}
            for s, y in zip(strings, said):
                key = (f(s), y)
                mass[key] = mass.get(key, 0.0) + 1 / (len(lengths) * 2 ** len(s))
            off = sum(min(mass.get((v, True), 0.0), mass.get((v, False), 0.0)) for v, _ in mass)
            if off < cfg.near_familiar * (1 - 1e-9):
                return name if off < 1e-12 else f"near {name}"
        return None

    def log10_behaviours(self, variant, cfg):
        masks = {m for part in _priors(variant, cfg) for _, m in part}
        if variant != "id":  # the nonce labels never separate the choices: count up to complement
            full = (1 << sum(2 ** n for n in range(cfg.min_len, cfg.max_len + 1))) - 1
            masks = {min(m, full ^ m) for m in masks}
        return math.log10(len(masks))
