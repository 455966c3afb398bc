"""feature_class: words sorted into two classes by a hidden spelling feature.

ood: nonce words (e.g. 'dabeki') split by a hidden letter feature -- contains the letter c,
     the i-th (or last) letter is c, the first letter is one of a pair {c, d} -- and the two classes
     carry two nonce labels (e.g. 'zup'/'mok'): 57-266 features x 1.8*10^6-9.6*10^7 ordered label
     pairs, 10^8.0-10^10.4 rules.
id:  common English words and the familiar yes/no question for one hidden feature out of 4-8,
     in complementary pairs (starts with a vowel / a consonant? longer than five letters / five
     or fewer? ends with a vowel / a consonant? has a double letter / none?), so that without
     demonstrations yes and no are exactly as likely.
Both ask for one of two labels; the distractor is the other label.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, require_min_max, with_difficulty
from .._words import LEXICON, _CONSONANTS, _VOWELS, nonce_space_size, nonce_word
from ..core import Family

_LETTERS = _CONSONANTS + _VOWELS
_BALANCE_TRIES = 200  # nonce words drawn to find one of the wanted class

# id: familiar features, most familiar first, each with its complement; the rarer class of
# each has at least 26 of the lexicon's 297 words.
_FAMILIAR = tuple(f for base in (("vowel_first",), ("longer", 5), ("vowel_last",), ("double",))
                  for f in (base, ("not", base)))


@dataclass(frozen=True)
class FeatureClassConfig:
    difficulty: int = 2
    min_len: int = 4  # nonce word length (ood)
    max_len: int = 6
    positions: int = 2  # ood: letter positions a feature may inspect (1st, 2nd, ...), plus the last
    pair_first: bool = False  # ood: also "the first letter is c or d"
    n_familiar: int = 6  # id: familiar features in play
    label_len: int = 3  # letters of a nonce label

    def __post_init__(self) -> None:
        require_int_range("min_len", self.min_len, 3, 10)
        require_int_range("max_len", self.max_len, 3, 10)
        require_min_max(self, "min_len", "max_len")
        require_int_range("positions", self.positions, 1, 3)
        require(self.positions <= self.min_len - 1, "positions", self.positions, "must be < min_len")
        require(isinstance(self.pair_first, bool), "pair_first", self.pair_first, "must be a bool")
        require_int_range("n_familiar", self.n_familiar, 2, len(_FAMILIAR))
        require(self.n_familiar % 2 == 0, "n_familiar", self.n_familiar,
                "must be even (features come with their complements)")
        require_int_range("label_len", self.label_len, 3, 8)


_LEVELS = {
    1: dict(min_len=4, max_len=5, positions=1, n_familiar=4),
    2: dict(min_len=4, max_len=6, positions=2, n_familiar=6),
    3: dict(min_len=5, max_len=7, positions=3, pair_first=True, n_familiar=8, label_len=4),
}


def _holds(feature: tuple, w: str) -> bool:
    kind = feature[0]
    if kind == "not":
        return not _holds(feature[1], w)
    if kind == "has":
        return feature[1] in w
    if kind == "at":
        return w[feature[1]] == feature[2]
    if kind == "first_in":
        return w[0] in feature[1]
    if kind == "vowel_first":
        return w[0] in _VOWELS
    if kind == "vowel_last":
        return w[-1] in _VOWELS
    if kind == "longer":
        return len(w) > feature[1]
    if kind == "double":
        return any(a == b for a, b in zip(w, w[1:]))
    raise ValueError(f"unknown feature {feature!r}")


def _describe(feature: tuple) -> str:
    return "not:" + _describe(feature[1]) if feature[0] == "not" else ":".join(map(str, feature))


@lru_cache(maxsize=None)
def _ood_features(positions: int, pair_first: bool) -> tuple[tuple, ...]:
    feats = [("has", c) for c in _LETTERS]
    feats += [("at", i, c) for i in (*range(positions), -1) for c in _LETTERS]
    if pair_first:
        feats += [("first_in", a + b) for a, b in itertools.combinations(_LETTERS, 2)]
    return tuple(feats)


@lru_cache(maxsize=None)
def _lexicon_split(feature: tuple) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (tuple(w for w in LEXICON if _holds(feature, w)),
            tuple(w for w in LEXICON if not _holds(feature, w)))


def _features(variant: str, cfg: FeatureClassConfig) -> tuple[tuple, ...]:
    return _FAMILIAR[: cfg.n_familiar] if variant == "id" else _ood_features(cfg.positions, cfg.pair_first)


class FeatureClass(Family):
    name = "feature_class"
    n_choices = 2
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> FeatureClassConfig:
        return with_difficulty(FeatureClassConfig, _LEVELS, difficulty, overrides)

    # A rule is (feature, label if it holds, label if not); id labels are yes/no.
    def sample_rule(self, rng: random.Random, variant: str, cfg: FeatureClassConfig):
        feature = rng.choice(_features(variant, cfg))
        if variant == "id":
            return (feature, "yes", "no")
        a = nonce_word(rng, cfg.label_len)
        b = a
        while b == a:
            b = nonce_word(rng, cfg.label_len)
        return (feature, a, b)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        # The same two labels (the choices are the episode's two labels), in either order
        # for ood; another rule (a copy of the anchor would waste the tuple), conditioned on
        # agreeing on the head demonstrations.
        for _ in range(2000):
            feature = rng.choice(_features(variant, cfg))
            flip = variant == "ood" and rng.random() < 0.5
            rule = (feature, anchor[2], anchor[1]) if flip else (feature, anchor[1], anchor[2])
            if rule != anchor and all(self.apply(rule, x, cfg) == y for x, y in agree):
                return rule
        return anchor  # no other rule agrees: the builder discards this tuple

    def sample_input(self, rng, variant, cfg, gold=None) -> str:
        # With the gold rule known (the support pool), each class is drawn half the time,
        # so rare features (a given first letter) still show up among 16 demos.
        want = None if gold is None else rng.random() < 0.5
        if variant == "id":
            if want is None:
                return rng.choice(LEXICON)
            inside, outside = _lexicon_split(gold[0])
            return rng.choice(inside if want else outside)
        for _ in range(_BALANCE_TRIES):
            w = nonce_word(rng, rng.randint(cfg.min_len, cfg.max_len))
            if want is None or _holds(gold[0], w) == want:
                return w
        return w

    def apply(self, rule, x: str, cfg) -> str:
        return rule[1] if _holds(rule[0], x) else rule[2]

    def rule_key(self, rule) -> str:
        return f"{_describe(rule[0])}->{rule[1]}|{rule[2]}"

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        # Uniform prior over features and, for ood, over which choice names the class
        # where the feature holds: count the consistent (feature, order) pairs exactly.
        a, b = choices if variant == "ood" else ("yes", "no")
        orders = ((a, b), (b, a)) if variant == "ood" else ((a, b),)
        counts = dict.fromkeys(choices, 0)
        for feature in _features(variant, cfg):
            truth = [_holds(feature, x) for x, _ in demos]
            q = _holds(feature, query)
            for yes, no in orders:
                if all((yes if t else no) == y for t, (_, y) in zip(truth, demos)):
                    out = yes if q else no
                    if out in counts:
                        counts[out] += 1
        total = sum(counts.values())
        return [counts[c] / total for c in choices] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        n = len(_features(variant, cfg))
        if variant == "id":
            return math.log10(n)
        labels = nonce_space_size(cfg.label_len)
        return math.log10(n * labels * (labels - 1))
