"""label_map: real words labelled by their semantic category, through a hidden map.

ood: the six categories are split 3/3 at random and the two halves get two nonce labels
     (e.g. 'dax'/'wug'): 20 splits x ~10^8 label pairs.
id:  the familiar question "is it a <category>?" for one hidden category, answered yes/no;
     half of the demonstrations are members, so the category shows up quickly.
Both ask for one of two labels; the distractor is the other label.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from .._config import require, require_int_range, with_difficulty
from .._words import CATEGORIES, CATEGORY_OF, nonce_word, nonce_space_size
from ..core import Family

_CATS = tuple(sorted(CATEGORIES))


@dataclass(frozen=True)
class LabelMapConfig:
    difficulty: int = 2
    n_categories: int = 6  # categories in play (3+3 in ood)
    label_len: int = 3  # letters of a nonce label

    def __post_init__(self) -> None:
        require_int_range("n_categories", self.n_categories, 2, len(_CATS))
        require(self.n_categories % 2 == 0, "n_categories", self.n_categories, "must be even (ood splits them in halves)")
        require_int_range("label_len", self.label_len, 3, 8)


_LEVELS = {1: dict(n_categories=4), 2: dict(n_categories=6), 3: dict(n_categories=6, label_len=5)}


class LabelMap(Family):
    name = "label_map"
    n_choices = 2
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> LabelMapConfig:
        return with_difficulty(LabelMapConfig, _LEVELS, difficulty, overrides)

    # ood rule: (categories labelled A, label A, label B); id rule: ("is", category).
    def sample_rule(self, rng: random.Random, variant: str, cfg: LabelMapConfig):
        cats = _CATS[: cfg.n_categories]
        if variant == "id":
            return ("is", rng.choice(cats))
        half = frozenset(rng.sample(cats, cfg.n_categories // 2))
        a = nonce_word(rng, cfg.label_len)
        b = a
        while b == a:
            b = nonce_word(rng, cfg.label_len)
        return (half, a, b)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        # Same label words as the anchor (the choices are the episode's two labels);
        # another split/category, conditioned on agreeing on the head demonstrations.
        for _ in range(2000):
            rule = self.sample_rule(rng, variant, cfg)
            if variant == "ood":
                rule = (rule[0], anchor[1], anchor[2])
            if all(self.apply(rule, x, cfg) == y for x, y in agree):
                return rule
        raise AssertionError("unreachable: the anchor itself qualifies")  # pragma: no cover

    def sample_input(self, rng, variant, cfg, gold=None) -> str:
        cats = _CATS[: cfg.n_categories]
        if variant == "id" and gold is not None:
            # Half members, half not: a demo pool in which the category shows up.
            inside = rng.random() < 0.5
            pool = [gold[1]] if inside else [c for c in cats if c != gold[1]]
            return rng.choice(CATEGORIES[rng.choice(pool)])
        return rng.choice(CATEGORIES[rng.choice(cats)])

    def apply(self, rule, x: str, cfg) -> str:
        cat = CATEGORY_OF[x]
        if rule[0] == "is":
            return "yes" if cat == rule[1] else "no"
        half, a, b = rule
        return a if cat in half else b

    def rule_key(self, rule) -> str:
        if rule[0] == "is":
            return f"is:{rule[1]}"
        return f"{','.join(sorted(rule[0]))}->{rule[1]}|{rule[2]}"

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        cats = _CATS[: cfg.n_categories]
        if variant == "id":
            rules = [("is", c) for c in cats]
        else:  # the label words are the two choices; enumerate splits x label order
            a, b = choices
            rules = [(frozenset(h), x, y) for h in itertools.combinations(cats, len(cats) // 2)
                     for x, y in ((a, b), (b, a))]
        live = [r for r in rules if all(self.apply(r, x, cfg) == y for x, y in demos)]
        counts = [sum(self.apply(r, query, cfg) == c for r in live) for c in choices]
        total = sum(counts)
        return [c / total for c in counts] if total else [0.5, 0.5]

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(cfg.n_categories)
        n = nonce_space_size(cfg.label_len)
        return math.log10(math.comb(cfg.n_categories, cfg.n_categories // 2) * n * (n - 1))
