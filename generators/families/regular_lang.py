"""regular_lang: short strings of two symbols sorted into two classes by a finite automaton.

ood: a random 3-state DFA (start state fixed, random transitions and accepting states) over a
     nonce alphabet ('z', 'q'), the two classes named by two nonce labels (e.g. 'zup'/'mok').
     The prior is uniform over raw automata whose language accepts 25-75% of the inputs, restricted
     to a greedy packing of languages at least 20-25% apart (so 16 demos pin the rule down).  The
     rule space counts those distinct languages (144-250) x unordered label pairs (~8.8*10^5; a
     language with swapped labels is its complement): 10^8.1-10^10.2 rules.
id:  a textbook property of strings over 'a b', one hidden among 4-8 in complementary pairs
     (starts with a / b, even / odd length, ends with a / b, even / odd number of a's), answered
     yes/no: without demonstrations yes and no are exactly as likely.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, require_min_max, with_difficulty
from .._words import nonce_space_size, nonce_word
from ..core import Family

_ALPHABET = {"ood": "zq", "id": "ab"}
_INDEX = {ch: i for abc in _ALPHABET.values() for i, ch in enumerate(abc)}
_MIN_RATE = 0.25  # a language must accept 25-75% of the inputs: both classes show up in demos
_BALANCE_TRIES = 100

# Familiar properties in complementary pairs, most familiar first, as predicates on symbol
# indices (a=0, b=1).
_FAMILIAR = (
    ("starts with a", lambda s: s[0] == 0), ("starts with b", lambda s: s[0] == 1),
    ("even length", lambda s: len(s) % 2 == 0), ("odd length", lambda s: len(s) % 2 == 1),
    ("ends with a", lambda s: s[-1] == 0), ("ends with b", lambda s: s[-1] == 1),
    ("even number of a", lambda s: s.count(0) % 2 == 0), ("odd number of a", lambda s: s.count(0) % 2 == 1),
)


@dataclass(frozen=True)
class RegularLangConfig:
    difficulty: int = 2
    n_states: int = 3  # ood automaton size
    min_distance: float = 0.2  # ood: kept languages differ on at least this share of inputs
    min_len: int = 3  # string length, symbols
    max_len: int = 7
    n_familiar: int = 6  # id: familiar properties in play
    label_len: int = 3  # letters of a nonce label

    def __post_init__(self) -> None:
        require_int_range("n_states", self.n_states, 2, 3)
        require(isinstance(self.min_distance, (int, float)) and not isinstance(self.min_distance, bool)
                and 0 <= self.min_distance <= 0.5,
                "min_distance", self.min_distance, "must be a number in [0, 0.5]")
        require_int_range("min_len", self.min_len, 1, 8)
        require_int_range("max_len", self.max_len, 1, 8)
        require_min_max(self, "min_len", "max_len")
        require(2 ** (self.max_len + 1) - 2 ** self.min_len >= 96, "max_len", self.max_len,
                "too few distinct strings for a 64-demo pool plus queries")
        require_int_range("n_familiar", self.n_familiar, 2, len(_FAMILIAR))
        require(self.n_familiar % 2 == 0, "n_familiar", self.n_familiar,
                "must be even (properties come with their complements)")
        require_int_range("label_len", self.label_len, 3, 8)


_LEVELS = {
    1: dict(min_distance=0.25, min_len=2, max_len=6, n_familiar=4),
    2: dict(min_distance=0.2, min_len=3, max_len=7, n_familiar=6),
    3: dict(min_distance=0.2, min_len=4, max_len=8, n_familiar=8, label_len=4),
}


def _index(x: str, cfg: RegularLangConfig) -> int:
    """Bit of string x in a language mask: per-length blocks, first symbol least significant."""
    syms = x.split(" ")
    offset = sum(2 ** n for n in range(cfg.min_len, len(syms)))
    return offset + sum(_INDEX[c] << i for i, c in enumerate(syms))


@lru_cache(maxsize=None)
def _languages(n_states: int, lo: int, hi: int, min_distance: float) -> tuple[tuple[str, int, int], ...]:
    """(a DFA giving it, language mask over the input space, raw DFAs giving it) for the prior.

    A DFA is written d=<delta(0,z) delta(0,q) delta(1,z) ...> F=<accepting states>, start 0.

    Appending a symbol c to the strings of length L sets the new most significant digit,
    so the strings reaching each state are extended by a shift of c * 2**L.
    """
    counts: dict[int, int] = {}
    reps: dict[int, str] = {}
    for table in itertools.product(range(n_states), repeat=2 * n_states):
        reach, spans, rates = [1] + [0] * (n_states - 1), [0] * n_states, [0.0] * n_states
        offset = 0
        for length in range(hi + 1):
            if length >= lo:
                for s in range(n_states):
                    spans[s] |= reach[s] << offset
                    rates[s] += reach[s].bit_count() / 2 ** length / (hi - lo + 1)
                offset += 2 ** length
            nxt = [0] * n_states
            for s in range(n_states):
                for c in (0, 1):
                    nxt[table[2 * s + c]] |= reach[s] << (c * 2 ** length)
            reach = nxt
        for accept in range(1, 2 ** n_states - 1):
            states = [s for s in range(n_states) if accept >> s & 1]
            rate = sum(rates[s] for s in states)
            if min(rate, 1 - rate) > _MIN_RATE - 1e-9:  # symmetric, so complements stay paired
                mask = 0
                for s in states:
                    mask |= spans[s]
                counts[mask] = counts.get(mask, 0) + 1
                reps.setdefault(mask, f"d={''.join(map(str, table))} F={''.join(map(str, states))}")
    kept = _separated(sorted(counts, key=lambda m: (-counts[m], m)), lo, hi, min_distance)
    return tuple((reps[m], m, counts[m]) for m in kept)


def _separated(masks: list[int], lo: int, hi: int, min_distance: float) -> tuple[int, ...]:
    """A greedy packing of the languages: each kept one differs from every other kept one on
    at least min_distance of the inputs, so a few demos cannot leave a near-twin standing.

    Lengths are weighted as the inputs draw them: a length-L block is repeated 2**(hi-L)
    times, so that one popcount of a XOR is the distance.  Complements are kept together.
    """
    def spread(m: int) -> int:
        out, offset = 0, 0
        for length in range(lo, hi + 1):
            block = m >> offset & ((1 << 2 ** length) - 1)
            offset += 2 ** length
            for _ in range(2 ** (hi - length)):
                out = out << 2 ** length | block
        return out

    full = (1 << (2 ** (hi + 1) - 2 ** lo)) - 1
    need = min_distance * (hi - lo + 1) * 2 ** hi
    kept: list[int] = []
    spread_kept: list[int] = []
    for m in masks:
        e = spread(m)
        if m not in kept and all((e ^ k).bit_count() >= need for k in spread_kept):
            kept += [m, full ^ m]
            spread_kept += [e, spread(full ^ m)]
    return tuple(kept)


@lru_cache(maxsize=None)
def _familiar(lo: int, hi: int, n: int) -> tuple[tuple[str, int, int], ...]:
    out = []
    for name, prop in _FAMILIAR[:n]:
        mask = offset = 0
        for length in range(lo, hi + 1):
            for i, s in enumerate(itertools.product((0, 1), repeat=length)):
                if prop(s[::-1]):  # product runs the last symbol fastest; our first symbol is digit 0
                    mask |= 1 << (offset + i)
            offset += 2 ** length
        out.append((name, mask, 1))
    return tuple(out)


def _space(variant: str, cfg: RegularLangConfig) -> tuple[tuple[str, int, int], ...]:
    """The prior: (description, language mask, weight) triples."""
    if variant == "id":
        return _familiar(cfg.min_len, cfg.max_len, cfg.n_familiar)
    return _languages(cfg.n_states, cfg.min_len, cfg.max_len, cfg.min_distance)


@lru_cache(maxsize=None)
def _cum_weights(space: tuple) -> list[int]:
    return list(itertools.accumulate(w for _, _, w in space))


class RegularLang(Family):
    name = "regular_lang"
    n_choices = 2
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> RegularLangConfig:
        return with_difficulty(RegularLangConfig, _LEVELS, difficulty, overrides)

    # A rule is (description, language mask, label of members, label of non-members).
    def sample_rule(self, rng: random.Random, variant: str, cfg: RegularLangConfig):
        space = _space(variant, cfg)
        desc, mask, _ = rng.choices(space, cum_weights=_cum_weights(space))[0]
        if variant == "id":
            return (desc, mask, "yes", "no")
        a = nonce_word(rng, cfg.label_len)
        b = a
        while b == a:
            b = nonce_word(rng, cfg.label_len)
        return (desc, mask, a, b)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        # The anchor's labels in the anchor's order: the prior is closed under complement,
        # so this order loses nothing.  Another language (a copy of the anchor would waste the
        # tuple), agreeing on the head demonstrations.
        for _ in range(2000):
            rule = self.sample_rule(rng, variant, cfg)[:2] + anchor[2:]
            if rule[1] != anchor[1] and all(self.apply(rule, x, cfg) == y for x, y in agree):
                return rule
        return anchor  # no other language agrees: the builder discards this tuple

    def sample_input(self, rng, variant, cfg, gold=None) -> str:
        # Uniform length, then uniform string; for the support pool each class half the time.
        want = None if gold is None else rng.random() < 0.5
        abc = _ALPHABET[variant]
        for _ in range(_BALANCE_TRIES):
            x = " ".join(rng.choice(abc) for _ in range(rng.randint(cfg.min_len, cfg.max_len)))
            if want is None or (gold[1] >> _index(x, cfg) & 1) == want:
                return x
        return x

    def apply(self, rule, x: str, cfg) -> str:
        return rule[2] if rule[1] >> _index(x, cfg) & 1 else rule[3]

    def rule_key(self, rule) -> str:
        return f"{rule[0]}->{rule[2]}|{rule[3]}"

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        # Exact: the prior weight of every consistent language.  One label order suffices for
        # ood (the prior is closed under complement); for id yes/no fixes it.
        yes = "yes" if variant == "id" else choices[0]
        pos = neg = 0
        for x, y in demos:
            if y == yes:
                pos |= 1 << _index(x, cfg)
            else:
                neg |= 1 << _index(x, cfg)
        q = 1 << _index(query, cfg)
        inside = outside = 0
        for _, m, w in _space(variant, cfg):
            if m & pos == pos and not m & neg:
                if m & q:
                    inside += w
                else:
                    outside += w
        if not inside + outside or yes not in choices:
            return [1 / len(choices)] * len(choices)
        return [(inside if c == yes else outside) / (inside + outside) for c in choices]

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(cfg.n_familiar)
        labels = nonce_space_size(cfg.label_len)
        return math.log10(len(_space(variant, cfg)) * labels * (labels - 1) / 2)
