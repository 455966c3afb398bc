"""cipher: a letter substitution applied to a word.

ood: a random bijection of the 26 letters (26! rules) applied to nonce words.
id:  a Caesar shift by s in 1..25 (the familiar cipher) applied to common English words.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass

from .._config import require_int_range, require_min_max, with_difficulty
from .._words import LEXICON, nonce_word
from ..core import Family

_ABC = string.ascii_lowercase


@dataclass(frozen=True)
class CipherConfig:
    difficulty: int = 2
    min_len: int = 4  # word length, letters
    max_len: int = 5

    def __post_init__(self) -> None:
        require_int_range("min_len", self.min_len, 2, 12)
        require_int_range("max_len", self.max_len, 2, 12)
        require_min_max(self, "min_len", "max_len")


_LEVELS = {1: dict(min_len=3, max_len=4), 2: dict(min_len=4, max_len=5), 3: dict(min_len=6, max_len=8)}


class Cipher(Family):
    name = "cipher"
    n_choices = 3
    max_agree = {"ood": 2, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> CipherConfig:
        return with_difficulty(CipherConfig, _LEVELS, difficulty, overrides)

    # A rule is a 26-letter string: the image of a..z.
    def sample_rule(self, rng: random.Random, variant: str, cfg: CipherConfig) -> str:
        if variant == "id":
            s = rng.randint(1, 25)
            return _ABC[s:] + _ABC[:s]
        letters = list(_ABC)
        rng.shuffle(letters)
        return "".join(letters)

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id" or not agree:
            return super().sample_distractor(rng, variant, cfg, anchor, agree)
        # Exact conditional for bijections: keep the letters the agreement fixes, shuffle the rest.
        fixed = {c: anchor[ord(c) - 97] for x, _ in agree for c in x}
        free_src = [c for c in _ABC if c not in fixed]
        free_dst = [anchor[ord(c) - 97] for c in free_src]
        rng.shuffle(free_dst)
        image = dict(fixed, **dict(zip(free_src, free_dst)))
        return "".join(image[c] for c in _ABC)

    def sample_input(self, rng, variant, cfg, gold=None) -> str:
        if variant == "id":
            while True:
                w = rng.choice(LEXICON)
                if cfg.min_len <= len(w) <= cfg.max_len:
                    return w
        return nonce_word(rng, rng.randint(cfg.min_len, cfg.max_len))

    def apply(self, rule: str, x: str, cfg) -> str:
        return "".join(rule[ord(c) - 97] for c in x)

    def rule_key(self, rule: str) -> str:
        return rule

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        # Under a uniform prior over bijections (ood) every choice consistent with the
        # letter map the demos reveal is equally likely; for the Caesar space the
        # consistent shifts are counted directly.
        if variant == "id":
            shifts = [s for s in range(1, 26)
                      if all(self.apply(_ABC[s:] + _ABC[:s], x, cfg) == y for x, y in demos)]
            counts = [sum(self.apply(_ABC[s:] + _ABC[:s], query, cfg) == c for s in shifts)
                      for c in choices]
        else:
            seen: dict[str, str] = {}
            for x, y in demos:
                seen.update(zip(x, y))
            counts = [int(_consistent(seen, query, c)) for c in choices]
        total = sum(counts)
        return [c / total for c in counts] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        return math.log10(25) if variant == "id" else math.lgamma(27) / math.log(10)


def _consistent(seen: dict[str, str], query: str, choice: str) -> bool:
    """Can one bijection extend ``seen`` and map ``query`` to ``choice``?"""
    if len(choice) != len(query):
        return False
    used = set(seen.values())
    new: dict[str, str] = {}
    for s, d in zip(query, choice):
        if s in seen:
            if seen[s] != d:
                return False
        elif s in new:
            if new[s] != d:
                return False
        elif d in used or d in new.values():
            return False
        else:
            new[s] = d
    return True


