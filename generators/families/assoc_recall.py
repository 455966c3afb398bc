"""assoc_recall: look up each key of a short list in a hidden dictionary.

The input is 2-3 distinct keys, the output their values in order ('ko te' -> 'dax wug').  A
query never repeats a demonstration's input, but its keys are keys the demonstrations used, in a
new combination: the answer must be put together from bindings seen in context.

ood: a dictionary from 6-10 fixed nonce keys ('ko', 'pi', ...) to distinct random nonce values,
     drawn per episode: (~1.3*10^3 to 9.8*10^3 values)^(6-10 keys), 10^18.7-10^39.9 rules.  The
     distractors are the same values bound to other keys, so every choice is made of words the
     demonstrations show and only the bindings tell them apart.
id:  countries and a familiar relation (capital, currency, nationality, continent, language,
     ISO code), one hidden among 6: 'France Japan' -> 'Paris Tokyo'.

DESIGN.md's "query a key shown in the demos; id = country->capital" breaks the contract (a query
cannot be a demo input, and country->capital is answerable without demos): hence key lists.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .._config import require, require_int_range, require_min_max, with_difficulty
from .._words import nonce_space_size, nonce_word
from ..core import Family

_KEYS = ("ko", "pi", "du", "ga", "mo", "te", "bu", "ri", "fa", "ne", "zo", "li")
_RELATIONS = ("capital", "currency", "nationality", "continent", "language", "code")
_COUNTRIES = {  # single-word values; continents limited to Europe, Asia, Africa; ISO codes
    row[0]: dict(zip(_RELATIONS, row[1:])) for row in (r.split() for r in """
    France Paris euro French Europe French FR|Germany Berlin euro German Europe German DE
    Italy Rome euro Italian Europe Italian IT|Spain Madrid euro Spanish Europe Spanish ES
    Greece Athens euro Greek Europe Greek GR|Portugal Lisbon euro Portuguese Europe Portuguese PT
    Sweden Stockholm krona Swedish Europe Swedish SE|Norway Oslo krone Norwegian Europe Norwegian NO
    Poland Warsaw zloty Polish Europe Polish PL|Hungary Budapest forint Hungarian Europe Hungarian HU
    Austria Vienna euro Austrian Europe German AT|Denmark Copenhagen krone Danish Europe Danish DK
    Finland Helsinki euro Finnish Europe Finnish FI|Japan Tokyo yen Japanese Asia Japanese JP
    China Beijing yuan Chinese Asia Chinese CN|Thailand Bangkok baht Thai Asia Thai TH
    Vietnam Hanoi dong Vietnamese Asia Vietnamese VN|Iran Tehran rial Iranian Asia Persian IR
    Indonesia Jakarta rupiah Indonesian Asia Indonesian ID|Pakistan Islamabad rupee Pakistani Asia Urdu PK
    Egypt Cairo pound Egyptian Africa Arabic EG|Kenya Nairobi shilling Kenyan Africa Swahili KE
    Nigeria Abuja naira Nigerian Africa English NG|Morocco Rabat dirham Moroccan Africa Arabic MA
    Ghana Accra cedi Ghanaian Africa English GH""".replace("\n", "|").split("|") if r.strip())
}
_COUNTRY_NAMES = tuple(_COUNTRIES)


@dataclass(frozen=True)
class AssocRecallConfig:
    difficulty: int = 2
    n_keys: int = 8  # ood dictionary size
    min_keys: int = 2  # keys per input
    max_keys: int = 3
    value_len: int = 3  # letters of a nonce value
    n_relations: int = 6  # id: familiar relations in play

    def __post_init__(self) -> None:
        require_int_range("n_keys", self.n_keys, 4, len(_KEYS))
        require_int_range("min_keys", self.min_keys, 1, 4)
        require_int_range("max_keys", self.max_keys, 1, 4)
        require_min_max(self, "min_keys", "max_keys")
        require(self.max_keys <= self.n_keys, "max_keys", self.max_keys, "must be <= n_keys")
        inputs = sum(math.perm(self.n_keys, n) for n in range(self.min_keys, self.max_keys + 1))
        require(inputs >= 96, "n_keys", self.n_keys, "too few key lists for a 64-demo pool plus queries")
        require_int_range("value_len", self.value_len, 3, 8)
        # Four distinct relations make a tuple; with only four, most random draws repeat one.
        require_int_range("n_relations", self.n_relations, 5, len(_RELATIONS))


_LEVELS = {
    1: dict(n_keys=6, min_keys=2, max_keys=3),
    2: dict(n_keys=8, min_keys=2, max_keys=3),
    3: dict(n_keys=10, min_keys=3, max_keys=3, value_len=4),
}


class AssocRecall(Family):
    name = "assoc_recall"
    n_choices = 3
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> AssocRecallConfig:
        return with_difficulty(AssocRecallConfig, _LEVELS, difficulty, overrides)

    # ood rule: ("map", values of _KEYS[:n_keys]); id rule: ("rel", relation).
    def sample_rule(self, rng: random.Random, variant: str, cfg: AssocRecallConfig):
        if variant == "id":
            return ("rel", rng.choice(_RELATIONS[: cfg.n_relations]))
        values: list[str] = []
        while len(values) < cfg.n_keys:
            v = nonce_word(rng, cfg.value_len)
            if v not in values:
                values.append(v)
        return ("map", tuple(values))

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id":  # never the anchor itself: a tuple with a repeat is discarded
            return ("rel", rng.choice([r for r in _RELATIONS[: cfg.n_relations] if r != anchor[1]]))
        # The anchor's values reshuffled among the keys the agreement leaves free: the
        # choices share their words, so only the bindings in the demos tell them apart.
        fixed = {_KEYS.index(k) for x, _ in agree for k in x}
        free = [i for i in range(cfg.n_keys) if i not in fixed]
        moved = [anchor[1][i] for i in free]
        for _ in range(8):  # an unmoved copy of the anchor would waste the tuple
            rng.shuffle(moved)
            if moved != [anchor[1][i] for i in free]:
                break
        values = list(anchor[1])
        for i, v in zip(free, moved):
            values[i] = v
        return ("map", tuple(values))

    def sample_input(self, rng, variant, cfg, gold=None) -> tuple[str, ...]:
        keys = _COUNTRY_NAMES if variant == "id" else _KEYS[: cfg.n_keys]
        return tuple(rng.sample(keys, rng.randint(cfg.min_keys, cfg.max_keys)))

    def render_input(self, x) -> str:
        return " ".join(x)

    def apply(self, rule, x, cfg) -> str:
        if rule[0] == "rel":
            return " ".join(_COUNTRIES[k][rule[1]] for k in x)
        return " ".join(rule[1][_KEYS.index(k)] for k in x)

    def rule_key(self, rule) -> str:
        return rule[1] if rule[0] == "rel" else ",".join(rule[1])

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        if variant == "id":  # count the consistent relations behind each choice
            live = [("rel", r) for r in _RELATIONS[: cfg.n_relations]
                    if all(self.apply(("rel", r), x, cfg) == y for x, y in demos)]
            counts = [sum(self.apply(rule, query, cfg) == c for rule in live) for c in choices]
        else:
            # Values are i.i.d. nonce words up to injectivity, so every choice that agrees with
            # the bindings the demos show (and gives unseen keys unseen values) is equally likely.
            seen: dict[str, str] = {}
            for x, y in demos:
                seen.update(zip(x, y.split(" ")))
            counts = [int(_consistent(seen, query, c)) for c in choices]
        total = sum(counts)
        return [c / total for c in counts] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(cfg.n_relations)
        return math.log10(math.perm(nonce_space_size(cfg.value_len), cfg.n_keys))


def _consistent(seen: dict[str, str], query: tuple[str, ...], choice: str) -> bool:
    values = choice.split(" ")
    if len(values) != len(query) or len(set(values)) != len(values):
        return False
    taken = set(seen.values())
    return all(seen[k] == v if k in seen else v not in taken for k, v in zip(query, values))
