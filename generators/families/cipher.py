"""cipher: a letter substitution applied to a word, letters shown spaced ('h o r s e -> u b e f r').

Variants (the same format, three choices, words of about ``length`` letters):
- ``id``: a rule of the dihedral group D26 of the alphabet (the 25 Caesar shifts x -> x+b and the
  26 mirrored shifts x -> b-x, atbash among them; not the identity) applied to common English
  words of length-1..length+1 letters (enough words for a pool of 64; mean within 8% of
  ``length``).
- ``renamed``: the same rules applied to the ood surface, random strings of ``length`` letters (one
  length, so that outputs cannot be re-paired with inputs by length).  A cipher's familiarity
  lives in the order of the alphabet, so the renaming acts on the words, not on the letters:
  renaming the letters consistently on both sides (pi s pi^-1) turns a shift into an arbitrary
  26-cycle, which no reader can tell from an ood rule.
- ``ood``: a uniformly random permutation of the 26 letters outside the familiar classes below,
  applied to random strings.

Candidates: a coset of a symmetry (all variants alike).  H = {identity, x -> x+13, x -> -x,
x -> 13-x} is a Klein four-group of letter permutations (inside D26).  The candidate tuple is
g h for h in three of H's four elements (the left-out one uniform), g uniform in the variant's
space (id/renamed: D26; ood: all permutations), redrawn while a member is the identity (id,
renamed) or of a familiar cycle type (ood); g is drawn from the whole group (the identity
included) so that every (gold, offset pair) is reached by exactly four equally likely draws.  In renamed and ood the 16 paired inputs are four
H-orbits {u, u+13, -u, 13-u} of random strings, in random order (``sample_paired``; the blocks
are the orbits).  Whatever the gold g, a distractor g h maps the paired inputs onto the same
set of outputs (g h W = g W), so the output multiset does not depend on which candidate is
gold (``matched_outputs``); and the pairing control, which never gives a demo an output of its
own orbit, shows every candidate the same distribution: with inputs and outputs but not the
pairing, every learner is exactly at chance (docs/validity.md).  Suite v3.0 drew three
independent permutations on independent inputs; frequency analysis of the unpaired inputs and
outputs (an input letter and its image occur equally often) then found the gold on the
control (0.68 renamed, 0.63 ood; a learner matching the two sets of words would have found it
always).  The id inputs are English words, which H does not preserve: the id control is not
exact (the suite does not require it to be).

Familiar rules and the exclusion.  Input and output alphabets are both the 26 Latin letters and
every letter occurs in the inputs, so a renaming must act on both sides alike: f is a renamed g
iff f = pi g pi^-1 for some bijection pi, i.e. iff f and g have the same cycle type.  Familiar:
identity, the 312 affine ciphers x -> ax+b (Caesar shifts, atbash, D26), the QWERTY row shift
(each key to its right-hand neighbour, wrapping in its row), the vowel rotation
(a->e->i->o->u->a) and the swap of neighbour pairs (a<->b, c<->d, ...).  ``sample_tuple`` rejects
every ood tuple a member of which has the cycle type of one of them (26-cycles, two 13-cycles,
2+12+12, 1+1+12+12, 2+6^4, 2^13, 1+1+2^12, 1^21+5, 7+9+10, ...: 4.7% of the permutations).  ``familiar_match``
instead builds, for each familiar permutation, a conjugator from its cycles and tests it on
sampled words.

Behaviours: every ood rule acts differently on the inputs (all letters occur): 0.953 * 26! =
10^26.6; id and renamed have 51 (10^1.7).

Ideal: by the coset construction, P(gold = choice j | demos, choices) is proportional to the
sum, over the six ways to give the other two choices the two non-identity offsets h_a, h_b, of
the number of rules g consistent with the demos that send the query q to choice j, h_a q to
choice a and h_b q to choice b (each gold and offset pair is reached by exactly one draw; the
gold is uniform).  For D26 the count is an enumeration of the 51 rules with the
no-identity-member rule applied exactly.  For ood it is (26 - pinned letters)! when the pinned
letter map is injective: exact but for the familiar-type rejection, which the count ignores
(4.7% of the permutations, a share that hardly depends on a few pinned letters; `ood-icl
validity` finds no competitor above the ideal).  A query on which two members agree (h q = q:
only words of the letters a and n) is redrawn whichever member is gold.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require_int_range
from .._words import SpelledWordInputs
from ..core import Family, item_rng, normalise, orbit_inputs
from ._cipher_familiar import ABC as _ABC, conjugate, conjugator, cycle_type, excluded_count, excluded_types, familiar



@dataclass(frozen=True)
class CipherConfig:
    difficulty: int = 2
    length: int = 5  # letters per word, every variant

    def __post_init__(self) -> None:
        require_int_range("length", self.length, 4, 6)


def _shift(s: int) -> str:
    return _ABC[s:] + _ABC[:s]


def _mirror(b: int) -> str:
    return "".join(_ABC[(b - i) % 26] for i in range(26))


IDENTITY = _ABC
DIHEDRAL = tuple([_shift(b) for b in range(26)] + [_mirror(b) for b in range(26)])
"""The dihedral group D26 of the alphabet: the 26 shifts and the 26 mirrored shifts."""
D26 = tuple(r for r in DIHEDRAL if r != IDENTITY)
"""The id and renamed rules: D26 less the identity."""
H = (IDENTITY, _shift(13), _mirror(0), _mirror(13))
"""The symmetry of the paired inputs: a Klein four-group (every element its own inverse)."""
_OFFSET_PAIRS = tuple((a, b) for a in H[1:] for b in H[1:] if a != b)


def compose(g: str, h: str) -> str:
    """g after h, as the image of a..z."""
    return "".join(g[ord(c) - 97] for c in h)


def substitute(perm: str, word: str) -> str:
    return "".join(perm[ord(c) - 97] for c in word)


class Cipher(SpelledWordInputs, Family):
    name = "cipher"
    n_choices = 3
    config_class = CipherConfig
    levels = {1: dict(length=4), 2: dict(length=5), 3: dict(length=6)}
    matched_outputs = True  # renamed, ood: the candidates are a coset of the paired inputs' symmetry

    def matched(self, variant: str) -> bool:
        return variant != "id"  # English words are not closed under H

    # A rule is a 26-letter string: the image of a..z.
    def sample_rule(self, rng: random.Random, variant: str, cfg: CipherConfig) -> str:
        if variant != "ood":
            return rng.choice(D26)
        while True:  # a permutation of no familiar cycle type
            letters = list(_ABC)
            rng.shuffle(letters)
            rule = "".join(letters)
            if cycle_type(rule) not in excluded_types():
                return rule

    def sample_tuple(self, rng, variant, cfg, paired):
        while True:
            # g from the whole group (identity included): then every (gold, offset pair) is reached
            # by exactly four equally likely draws, which the ideal assumes
            g = rng.choice(DIHEDRAL) if variant != "ood" else "".join(rng.sample(_ABC, 26))
            left_out = rng.randrange(len(H))
            members = [compose(g, h) for i, h in enumerate(H) if i != left_out]
            if variant != "ood" and IDENTITY not in members:
                return members
            if variant == "ood" and all(cycle_type(m) not in excluded_types() for m in members):
                return members

    def sample_paired(self, rng, variant, cfg):
        if variant == "id":
            return None  # English words: H does not preserve them (the id control is not exact)
        return orbit_inputs(rng, lambda r: "".join(r.choice(_ABC) for _ in range(cfg.length)),
                            lambda u: [substitute(h, u) for h in H])

    def apply(self, rule: str, x: str, cfg) -> str:
        return " ".join(substitute(rule, x))

    def rule_key(self, rule: str) -> str:
        return rule

    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        outs = [c.replace(" ", "") for c in choices]
        pairs = tuple((x, y.replace(" ", "")) for x, y in demos)
        weights = []
        for j in range(len(outs)):
            a, b = (i for i in range(len(outs)) if i != j)
            total = 0
            for ha, hb in _OFFSET_PAIRS:
                pins = ((query, outs[j]), (substitute(ha, query), outs[a]), (substitute(hb, query), outs[b]))
                if variant == "ood":
                    total += _extensions(pairs, pins)
                else:
                    total += sum(1 for g in _consistent_d26(pairs)
                                 if all(substitute(g, x) == y for x, y in pins)
                                 and IDENTITY not in (compose(g, ha), compose(g, hb)))
            weights.append(total)
        return normalise(weights)

    def competitors(self) -> dict:
        return {"posterior_predictive": _predictive, "unpaired_frequency": _unpaired_frequency}

    def familiar_match(self, rule: str, cfg) -> str | None:
        rng = item_rng("cipher familiar_match", rule)
        words = ["".join(rng.choice(_ABC) for _ in range(cfg.length)) for _ in range(200)]
        for name, g in familiar().items():
            pi = conjugator(g, rule)
            if pi is not None and all(conjugate(pi, g, w) == self.apply(rule, w, cfg).replace(" ", "")
                                      for w in words):
                return name
        return None

    def log10_behaviours(self, variant, cfg) -> float:
        if variant != "ood":
            return math.log10(len(D26))
        return math.log10(math.factorial(26) - excluded_count())


@lru_cache(maxsize=4096)
def _known(demos: tuple) -> tuple:
    """The letter map the demos reveal, as (source -> image, image -> source); prefixes are cached."""
    if not demos:
        return {}, {}
    fwd, back = (dict(d) for d in _known(demos[:-1]))
    x, y = demos[-1]
    fwd.update(zip(x, y))
    back.update(zip(y, x))
    return fwd, back


@lru_cache(maxsize=512)
def _consistent_d26(demos: tuple) -> tuple:
    return tuple(g for g in D26 if all(substitute(g, x) == y for x, y in demos))


def _extensions(demos: tuple, pins) -> int:
    """Permutations of the letters that extend the demos' letter map and the pinned words."""
    fwd, back = (dict(d) for d in _known(demos))
    for x, y in pins:
        for s, d in zip(x, y):
            if fwd.setdefault(s, d) != d or back.setdefault(d, s) != s:
                return 0
    return math.factorial(26 - len(fwd))


def _predictive(variant, cfg, demos, query, choices) -> list[float]:
    """The posterior predictive alone, P(rule(query) = choice | demos) under a uniform rule: not
    the ideal (it ignores that the distractors are the gold's coset)."""
    pairs = tuple((x, y.replace(" ", "")) for x, y in demos)
    outs = [c.replace(" ", "") for c in choices]
    if variant != "ood":
        return normalise([sum(substitute(g, query) == y for g in _consistent_d26(pairs)) for y in outs])
    return normalise([_extensions(pairs, ((query, y),)) for y in outs])


def _unpaired_frequency(variant, cfg, demos, query, choices) -> list[float]:
    """Frequency analysis without the pairing: an input letter and its image occur equally often."""
    n_in = {c: 0 for c in _ABC}
    n_out = dict(n_in)
    for x, y in demos:
        for c in x:
            n_in[c] += 1
        for c in y.replace(" ", ""):
            n_out[c] += 1
    return [-sum(abs(n_in[s] - n_out[d]) for s, d in zip(query, c.replace(" ", ""))) for c in choices]
