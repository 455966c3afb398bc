"""word_order: an n-word sentence, reordered (and, off the familiar surface, translated word by word).

id:      an English sentence of a fixed role template (n=8: 'the old dog sees a small cat
         today', i.e. det adj noun verb det adj noun adverb; n=6 drops the determiners), reordered
         by a familiar rule: reverse, swap subject and object, verb-final (SOV), verb-initial (VSO),
         adverb to the front, first word to the end, swap the first two words, swap the ends.
renamed: the same eight reorderings, on sentences of n distinct words drawn from ONE fixed nonce
         vocabulary (every slot draws from it, no role template), and every word translated by a
         per-episode lexicon (input word -> a distinct nonce word that is never an input word;
         part of the rule object, shared by the candidates).  The output is 'the same sentence in
         another language'.  Every nonce word is one token, as the id words are
         (_words.ONE_TOKEN_NONCE; an input word also at the start of a line), so the three
         variants' prompts and answers match in tokens.
ood:     the same surface with a NEW order: any permutation of the n slots that is not
         familiar.  Familiar (_word_order_familiar.py builds them as permutations): the
         dihedral group (identity, rotations, reversal and reversed rotations), every swap of two
         words, every move of one word, every reversal of a contiguous block, every swap of two
         adjacent blocks, the adjacent-pair swap, the id reorderings, and each of these composed
         with reversal.  Excluded exactly: the generator draws from the complement (n=8: 40,081
         of 40,320 orders, 239 familiar ones out; n=6: 619 of 720).  familiar_match is an independent behavioural
         checker: sequence operations written with slicing (plus alphabetical sorts), compared
         with the rule on sampled inputs up to a renaming of the output words.
Behaviours: the lexicon never separates the choices (the candidates share it), so a rule's
         behaviour is its order: log10 of the allowed orders (n=8, levels 2-3: 4.6; n=6, level 1:
         2.8; id and renamed: log10 8 = 0.9).
Pairing: the candidates share the lexicon and differ in order; the outputs cannot have the same
         multiset under two orders (that needs a set of 16 sentences closed under a slot
         permutation and a relabelling, which random inputs never are), so matched_outputs is
         False and the outputs are made uninformative instead: every slot draws from one
         vocabulary, so the demo outputs are i.i.d. sentences whose law does not depend on the
         order (exact chance for any learner that ignores the inputs), and the translation
         removes the input words from the outputs, so content re-pairing finds no match.
         Residue: a learner that searches for the lexicon (a word bijection) under which the
         bag of inputs becomes the bag of outputs as word sets re-pairs them and solves the
         deranged control (at least 0.917 renamed, 0.930 ood; perf/pairing_residue.py,
         docs/validity.md).
Ideal: the tuple is a uniform lexicon plus three distinct orders drawn uniformly from the
         variant's orders; every query has distinct words, so given the order of choice i the
         lexicon on the query is pinned, and so is the order every other choice needs.  P(gold=i)
         is proportional to the number of orders consistent with the demos and (query, choice i)
         under one injective lexicon whose implied orders for the other choices are also allowed
         (every consistent hypothesis pins the same words, so lexicon weights cancel).  Exact;
         found by backtracking over slots.  The plain posterior predictive is a competitor.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range
from .._words import ONE_TOKEN_NONCE
from ..core import Family, RetryTuple, item_rng, normalise
from ._word_order_familiar import allowed_orders, familiar_function_match, id_orders

# Nonce words of one token each, like the id words (_words.ONE_TOKEN_NONCE): the inputs also at a
# line's start (a sentence's first word has no space before it), the outputs never an input.
_NONCE_INPUTS = ("bos", "fet", "kar", "lig", "mur", "nar", "pel", "rab",
                 "sil", "tur", "ves", "ove", "idi", "ure", "kel", "fal")
_NONCE_OUTPUTS = tuple(w for w in ONE_TOKEN_NONCE[3] if w not in _NONCE_INPUTS)
_DETS = ("the", "a", "one", "this", "that", "my", "your", "our", "his", "her")
_ADJS = ("big", "old", "small", "young", "happy", "quiet", "brave", "lazy", "tall", "calm")
_NOUNS = ("dog", "cat", "horse", "sheep", "goat", "lion", "tiger", "wolf", "fox", "bear", "mouse", "crow")
_VERBS = ("sees", "likes", "chases", "follows", "finds", "feeds", "helps", "watches")
_ADVS = ("today", "again", "often", "daily", "slowly", "quietly", "tonight", "twice")


@dataclass(frozen=True)
class WordOrderConfig:
    difficulty: int = 2
    n_words: int = 8  # words per sentence (even: two equal noun phrases, a verb, an adverb)
    vocab: int = 12  # nonce input words (renamed, ood); more words take more demos to translate

    def __post_init__(self) -> None:
        require_int_range("n_words", self.n_words, 6, 8)
        require(self.n_words % 2 == 0, "n_words", self.n_words, "must be even (role template)")
        require_int_range("vocab", self.vocab, self.n_words, len(_NONCE_INPUTS))


class WordOrder(Family):
    name = "word_order"
    n_choices = 3
    config_class = WordOrderConfig
    levels = {1: dict(n_words=6, vocab=10), 2: dict(n_words=8, vocab=12), 3: dict(n_words=8, vocab=16)}
    matched_outputs = False  # see the module docstring: exchangeable outputs instead

    # id rule: an order; renamed/ood rule: (order, lexicon), lexicon[i] translates _NONCE_INPUTS[i].
    def sample_tuple(self, rng, variant, cfg, paired):
        orders = [rng.choice(_orders(variant, cfg.n_words)) for _ in range(self.n_choices)]
        if len(set(orders)) < len(orders):
            raise RetryTuple  # uniform over ordered triples of distinct orders
        if variant == "id":
            return orders
        lexicon = _lexicon(rng, cfg)
        return [(o, lexicon) for o in orders]

    def sample_input(self, rng, variant, cfg) -> tuple[str, ...]:
        if variant != "id":
            return tuple(rng.sample(_NONCE_INPUTS[: cfg.vocab], cfg.n_words))
        half = (cfg.n_words - 2) // 2
        dets = rng.sample(_DETS, 2) if half == 3 else [None, None]
        adjs, nouns = rng.sample(_ADJS, 2), rng.sample(_NOUNS, 2)
        phrase = lambda i: [w for w in (dets[i], adjs[i], nouns[i]) if w]  # noqa: E731
        return tuple(phrase(0) + [rng.choice(_VERBS)] + phrase(1) + [rng.choice(_ADVS)])

    def render_input(self, x) -> str:
        return " ".join(x)

    def apply(self, rule, x, cfg) -> str:
        if isinstance(rule[0], int):
            return " ".join(x[p] for p in rule)
        order, lexicon = rule
        return " ".join(lexicon[_NONCE_INPUTS.index(x[p])] for p in order)

    def rule_key(self, rule) -> str:
        if isinstance(rule[0], int):
            return "".join(map(str, rule))
        return "".join(map(str, rule[0])) + "|" + ",".join(rule[1])

    # -- what the task measures ---------------------------------------------------------------
    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        return normalise(_scores(variant, cfg.n_words, tuple(demos), query, tuple(choices), True))

    def competitors(self):
        def posterior_predictive(variant, cfg, demos, query, choices):
            return normalise(_scores(variant, cfg.n_words, tuple(demos), query, tuple(choices), False))
        return {"posterior_predictive": posterior_predictive}

    def familiar_match(self, rule, cfg) -> str | None:
        rng = item_rng("word_order", "familiar_match", cfg.n_words, cfg.vocab)
        xs = [self.sample_input(rng, "ood", cfg) for _ in range(12)]
        return familiar_function_match(xs, [tuple(self.apply(rule, x, cfg).split()) for x in xs])

    def log10_behaviours(self, variant, cfg) -> float:
        return math.log10(len(_orders(variant, cfg.n_words)))


def _lexicon(rng: random.Random, cfg: WordOrderConfig) -> tuple[str, ...]:
    """A uniform injection of the input vocabulary into the output nonce words (exchangeable)."""
    return tuple(rng.sample(_NONCE_OUTPUTS, cfg.vocab))


@lru_cache(maxsize=None)
def _orders(variant: str, n: int) -> tuple[tuple[int, ...], ...]:
    return tuple(id_orders(n).values()) if variant != "ood" else allowed_orders(n)


@lru_cache(maxsize=None)
def _order_set(variant: str, n: int) -> frozenset:
    return frozenset(_orders(variant, n))


@lru_cache(maxsize=4096)
def _scores(variant: str, n: int, demos: tuple, query: tuple, choices: tuple, tuple_aware: bool) -> list[float]:
    """Per choice: the orders (gold hypotheses) consistent with demos + (query, choice) whose
    implied orders for the other choices are allowed too (tuple_aware) or not required to be."""
    if not demos:  # every order fits (query, choice) alone: equal counts, skip the n! enumeration
        return [1.0] * len(choices)
    allowed = _order_set(variant, n)
    pairs = [(tuple(x), tuple(y.split())) for x, y in demos]
    outs = [tuple(c.split()) for c in choices]
    scores = []
    for i, c in enumerate(outs):
        total = 0
        for order, lex in _consistent(pairs + [(tuple(query), c)], n, variant == "id"):
            if order not in allowed:
                continue
            if tuple_aware:
                back = {lex[w]: p for p, w in enumerate(query)}  # output word -> query position
                others = [tuple(back.get(u, -1) for u in o) for j, o in enumerate(outs) if j != i]
                if not all(o in allowed for o in others):
                    continue
            total += 1
        scores.append(float(total))
    return scores


def _consistent(pairs: list, n: int, identity: bool):
    """Every order (with its lexicon) under which each pair's output is its input reordered and
    translated by one injective lexicon (the identity lexicon for id).  Backtracking over slots."""
    lex: dict[str, str] = {}
    inv: dict[str, str] = {}
    order = [0] * n
    used = [False] * n

    def place(j: int):
        if j == n:
            yield tuple(order), dict(lex)
            return
        for p in range(n):
            if used[p]:
                continue
            added, ok = [], True
            for x, y in pairs:
                w, u = x[p], y[j]
                if identity and w != u:
                    ok = False
                elif w in lex:
                    ok = lex[w] == u
                elif u in inv:
                    ok = False
                else:
                    lex[w], inv[u] = u, w
                    added.append((w, u))
                if not ok:
                    break
            if ok:
                used[p], order[j] = True, p
                yield from place(j + 1)
                used[p] = False
            for w, u in added:
                del lex[w], inv[u]

    yield from place(0)
