"""word_order: a four-word sentence "subject verb object adverb" ('dog sees cat today'), reordered.

ood: translation into an invented language: each vocabulary word has a random nonce word
     (a random injection into the nonce_word space) and the four roles come out in a random
     order (24): 10^57 / 10^81 / 10^165 rules at difficulty 1 / 2 / 3.  The candidates share
     the lexicon and differ in word order, so every choice holds the same four nonce words:
     the demonstrations must teach which word translates which and where each role goes.
id:  a familiar reordering of the same real words: reverse, swap subject and object, swap
     the first two words, move the first word to the end or the last word to the front, swap
     the first and last words.  No identity (it shares the query's prefix) and no sort (the
     lexicographic minimum of any tuple): either would single out one rule to a demo-blind
     heuristic, at chance only on average and noisy over 200 episodes.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, with_difficulty
from .._words import nonce_space_size, nonce_word
from ..core import Family, RetryTuple as _Retry

Sentence = tuple[str, str, str, str]  # subject, verb, object, adverb

_NOUNS = ("cat", "dog", "horse", "cow", "sheep", "goat", "pig", "lion", "tiger", "bear", "wolf", "fox")
_VERBS = ("sees", "likes", "chases", "follows", "finds", "feeds", "helps", "watches")
_ADVERBS = ("today", "again", "often", "daily", "slowly", "quietly", "tonight", "twice")
_ORDERS = tuple(itertools.permutations(range(4)))  # output slot i shows role order[i]

_ID_RULES = {
    "reverse": lambda s: s[::-1],
    "swap_subject_object": lambda s: (s[2], s[1], s[0], s[3]),
    "swap_first_two": lambda s: (s[1], s[0], s[2], s[3]),
    "first_to_end": lambda s: s[1:] + s[:1],
    "last_to_front": lambda s: s[-1:] + s[:-1],
    "swap_ends": lambda s: (s[3], s[1], s[2], s[0]),
}
_ID_NAMES = tuple(_ID_RULES)


@dataclass(frozen=True)
class WordOrderConfig:
    difficulty: int = 2
    nouns: int = 8  # vocabulary sizes: more words take more demonstrations to cover
    verbs: int = 6
    adverbs: int = 6
    nonce_len: int = 4  # letters of a nonce word (ood)

    def __post_init__(self) -> None:
        require_int_range("nouns", self.nouns, 3, len(_NOUNS))
        require_int_range("verbs", self.verbs, 2, len(_VERBS))
        require_int_range("adverbs", self.adverbs, 2, len(_ADVERBS))
        require_int_range("nonce_len", self.nonce_len, 4, 8)
        # nonce_word is uniform over its words only at even lengths; the ideal learner needs that.
        require(self.nonce_len % 2 == 0, "nonce_len", self.nonce_len, "must be even")
        sentences = self.nouns * (self.nouns - 1) * self.verbs * self.adverbs
        require(sentences >= 69, "nouns", self.nouns,
                f"{sentences} possible sentences; a pool of 64 plus 5 queries needs 69")


_LEVELS = {
    1: dict(nouns=6, verbs=4, adverbs=4),
    2: dict(nouns=8, verbs=6, adverbs=6),
    3: dict(nouns=12, verbs=8, adverbs=8, nonce_len=6),
}


def _vocab(cfg: WordOrderConfig) -> tuple[str, ...]:
    return _NOUNS[: cfg.nouns] + _VERBS[: cfg.verbs] + _ADVERBS[: cfg.adverbs]


class WordOrder(Family):
    name = "word_order"
    n_choices = 3
    max_agree = {"ood": 0, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> WordOrderConfig:
        return with_difficulty(WordOrderConfig, _LEVELS, difficulty, overrides)

    # ood rule: (nonce word per vocabulary word, order); id rule: a name.
    def sample_rule(self, rng: random.Random, variant: str, cfg: WordOrderConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        words: list[str] = []
        while len(words) < len(_vocab(cfg)):  # uniform over injections
            w = nonce_word(rng, cfg.nonce_len)
            if w not in words:
                words.append(w)
        return (tuple(words), rng.choice(_ORDERS))

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        # ood: the anchor's lexicon in another order drawn from the prior (the tuple stays
        # exchangeable).  A copy of the anchor would fail every query: fail the tuple early.
        if variant == "id":
            rule = self.sample_rule(rng, variant, cfg)
        else:
            rule = (anchor[0], rng.choice(_ORDERS))
        if rule == anchor:
            raise _Retry
        return rule

    def sample_input(self, rng, variant, cfg, gold=None) -> Sentence:
        subject, obj = rng.sample(_NOUNS[: cfg.nouns], 2)
        return (subject, rng.choice(_VERBS[: cfg.verbs]), obj, rng.choice(_ADVERBS[: cfg.adverbs]))

    def render_input(self, x: Sentence) -> str:
        return " ".join(x)

    def apply(self, rule, x: Sentence, cfg) -> str:
        if isinstance(rule, str):
            return " ".join(_ID_RULES[rule](x))
        lexicon, order = rule
        index = {w: i for i, w in enumerate(_vocab(cfg))}
        return " ".join(lexicon[index[x[role]]] for role in order)

    def rule_key(self, rule) -> str:
        if isinstance(rule, str):
            return rule
        return "".join(map(str, rule[1])) + "|" + ",".join(rule[0])

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        if variant == "id":
            live = [n for n in _ID_NAMES if all(self.apply(n, x, cfg) == y for x, y in demos)]
            counts = [sum(" ".join(_ID_RULES[n](query)) == c for n in live) for c in choices]
        else:
            # Every (order, choice) pair consistent with the demos pins the same number of
            # lexicon entries, so under a uniform lexicon each is equally likely: count them.
            counts = [0] * len(choices)
            for order, seen, used in _orders(tuple(demos)):
                for i, c in enumerate(choices):
                    counts[i] += _extend(seen, used, query, order, c) is not None
        total = sum(counts)
        return [c / total for c in counts] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        n = nonce_space_size(cfg.nonce_len)
        lexicons = sum(math.log10(n - i) for i in range(len(_vocab(cfg))))
        return lexicons + math.log10(len(_ORDERS))


def _extend(seen: dict, used: dict, x: Sentence, order: tuple, y: str):
    """Extend the partial lexicon (seen, its inverse used) so that x reads y under order, or None."""
    out = y.split()
    if len(out) != len(order):
        return None
    seen, used = dict(seen), dict(used)
    for role, nonce in zip(order, out):
        word = x[role]
        if seen.get(word, nonce) != nonce or used.get(nonce, word) != word:
            return None
        seen[word], used[nonce] = nonce, word
    return seen, used


@lru_cache(maxsize=256)
def _orders(demos: tuple) -> list:
    """(order, lexicon it implies, inverse) for each order consistent with the demos."""
    if not demos:
        return [(o, {}, {}) for o in _ORDERS]
    x, y = demos[-1]
    live = []
    for order, seen, used in _orders(demos[:-1]):
        ext = _extend(seen, used, x, order, y)
        if ext is not None:
            live.append((order, *ext))
    return live
