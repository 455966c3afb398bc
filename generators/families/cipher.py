"""cipher: a letter substitution applied to a word, letters shown spaced ('h o r s e -> i p s t f').

Variants (the same format, three choices, words of about ``length`` letters):
- ``id``: a Caesar shift by s in 1..25 applied to common English words of length-1..length+1
  letters (enough words for a pool of 64; mean within 8% of ``length``).
- ``renamed``: the same Caesar shifts applied to the ood surface, random strings of ``length``
  uniform letters (one length, so that outputs cannot be re-paired with inputs by length).  A
  cipher's familiarity lives in the order of the alphabet, so the renaming acts on the words,
  not on the letters: renaming the letters consistently on both sides (pi s pi^-1) turns a
  shift into an arbitrary 26-cycle, which no reader can tell from an ood rule.
- ``ood``: a uniformly random derangement of the 26 letters (no letter maps to itself, as in
  every shift) outside the familiar classes below, applied to random strings.

Familiar rules and the exclusion.  Input and output alphabets are both the 26 Latin letters and
every letter occurs in the inputs, so a renaming must act on both sides alike: f is a renamed g
iff f = pi g pi^-1 for some bijection pi, i.e. iff f and g have the same cycle type.  Familiar:
identity, the 25 Caesar shifts, atbash, the 312 affine ciphers x -> ax+b (they contain the
former), the QWERTY row shift (each key to its right-hand neighbour, wrapping in its row), the
vowel rotation (a->e->i->o->u->a) and the swap of neighbour pairs (a<->b, c<->d, ...).
``sample_rule`` rejects every permutation whose cycle type one of them has (26-cycles, two
13-cycles, 2+12+12, 2+6+6+6+6, 10+9+7, ...): 12% of the derangements (one redraw in 8).
``familiar_match`` instead builds, for each familiar permutation, a conjugator from its cycles
and tests it on sampled words.

Behaviours: every ood rule acts differently on the inputs (all letters occur): 0.88 * !26 =
10^26.1; id and renamed have 25 (10^1.4).

Pairing design (``matched_outputs = False``).  Equal output multisets on the 16 paired inputs
are impossible: two bijections f != g give the same multiset iff g^-1 f maps the set of 16
random words onto itself, and a random word set has no such symmetry.  Instead the outputs
alone are made exactly uninformative: the candidate tuple is three i.i.d. prior draws (distinct),
so it is exchangeable, and the inputs are uniform letter strings, whose distribution every
letter bijection preserves.  Then (gold outputs on W, choices) is distributed alike whichever
candidate is gold: swapping gold c1 for c2 and the inputs W for c2^-1 c1 (W) preserves the
measure, the output multiset and the choice set.  Derangements keep re-pairing by content
(``repaired_lookup``) at chance: a fixed letter shows in an input and in its own output at the
same place, and the lookup's fallback (a letter maps to itself) then favoured the gold.  A
learner that sees the unpaired inputs as well can still do frequency analysis (an input
letter's count equals its image's count in the outputs): ``unpaired_frequency`` in
``competitors()`` measures that residue (0.998 on the ood control at k=16), which only equal
output multisets could remove.

Ideal: the tuple is three i.i.d. uniform draws accepted when they differ on the paired inputs
and on the query, so P(choice j gold) is proportional to N_D(y_j) / N_0(y_j), N(y) the
derangements consistent with the demos (N_D) or with nothing (N_0) that map the query to y:
a derangement count D(n, r) = sum_i (-1)^i C(r, i) (n - i)! over the free letters, exact.  For
Caesar each choice names its shift; the ideal keeps the shifts consistent with the demos.
Residual: the counts ignore the cycle-type exclusion (12% of the derangements), which can only
reweight choices that are all consistent with the demos: by a factor <= 1.19 (mean 1.03) in a
Monte Carlo over 195 such ties at k=1, with no measurable change in accuracy; and the acceptance
events, whose probability differs from 1 by < 1e-6.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass
from functools import lru_cache

from .._config import require_int_range
from .._words import SpelledWordInputs
from ..core import Family, item_rng, normalise

_ABC = string.ascii_lowercase
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@dataclass(frozen=True)
class CipherConfig:
    difficulty: int = 2
    length: int = 5  # letters per word, every variant

    def __post_init__(self) -> None:
        require_int_range("length", self.length, 4, 6)


def _perm(image) -> str:
    return "".join(image[c] for c in _ABC)


@lru_cache(maxsize=1)
def _familiar() -> dict[str, str]:
    """name -> permutation (the image of a..z) of every familiar substitution."""
    out = {}
    for a in (1, 3, 5, 7, 9, 11, 15, 17, 19, 21, 23, 25):
        for b in range(26):
            out[f"affine a={a} b={b}"] = "".join(_ABC[(a * i + b) % 26] for i in range(26))
    for step, name in ((1, "right"), (-1, "left")):
        image = {r[i]: r[(i + step) % len(r)] for r in _KEY_ROWS for i in range(len(r))}
        out[f"keyboard {name}"] = _perm(image)
        vowels = "aeiou"
        out[f"vowel rotation {name}"] = _perm({c: vowels[(vowels.index(c) + step) % 5] if c in vowels else c
                                               for c in _ABC})
    out["swap neighbour pairs"] = _perm({c: _ABC[i ^ 1] for i, c in enumerate(_ABC)})
    return out


def _cycle_type(perm: str) -> tuple[int, ...]:
    seen, lengths = set(), []
    for start in _ABC:
        n, c = 0, start
        while c not in seen:
            seen.add(c)
            c = perm[ord(c) - 97]
            n += 1
        if n:
            lengths.append(n)
    return tuple(sorted(lengths))


@lru_cache(maxsize=1)
def _excluded_types() -> frozenset:
    return frozenset(_cycle_type(p) for p in _familiar().values())


def _shift(s: int) -> str:
    return _ABC[s:] + _ABC[:s]


class Cipher(SpelledWordInputs, Family):
    name = "cipher"
    n_choices = 3
    config_class = CipherConfig
    levels = {1: dict(length=4), 2: dict(length=5), 3: dict(length=6)}
    matched_outputs = False  # impossible for bijections on random words: see the module docstring

    # A rule is a 26-letter string: the image of a..z.
    def sample_rule(self, rng: random.Random, variant: str, cfg: CipherConfig) -> str:
        if variant != "ood":
            return _shift(rng.randint(1, 25))
        while True:  # a derangement (every letter changes) of no familiar cycle type
            letters = list(_ABC)
            rng.shuffle(letters)
            rule = "".join(letters)
            if all(a != b for a, b in zip(_ABC, rule)) and _cycle_type(rule) not in _excluded_types():
                return rule

    def sample_tuple(self, rng, variant, cfg, paired):
        if variant != "ood":  # three distinct shifts: an exchangeable draw
            return [_shift(s) for s in rng.sample(range(1, 26), self.n_choices)]
        return [self.sample_rule(rng, variant, cfg) for _ in range(self.n_choices)]

    def apply(self, rule: str, x: str, cfg) -> str:
        return " ".join(rule[ord(c) - 97] for c in x)

    def rule_key(self, rule: str) -> str:
        return rule

    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        outs = [c.replace(" ", "") for c in choices]
        if variant != "ood":
            shifts = [(ord(y[0]) - ord(query[0])) % 26 for y in outs]
            return normalise([float(all(self.apply(_shift(s), x, cfg) == y for x, y in demos)) for s in shifts])
        known = _known(tuple((x, y.replace(" ", "")) for x, y in demos))
        return normalise([_completions(known, query, y) / max(1, _completions(({}, {}), query, y)) for y in outs])

    def competitors(self) -> dict:
        return {"posterior_predictive": _predictive, "unpaired_frequency": _unpaired_frequency}

    def familiar_match(self, rule: str, cfg) -> str | None:
        rng = item_rng("cipher familiar_match", rule)
        words = ["".join(rng.choice(_ABC) for _ in range(cfg.length)) for _ in range(200)]
        for name, g in _familiar().items():
            pi = _conjugator(g, rule)
            if pi is not None and all(_conjugate(pi, g, w) == self.apply(rule, w, cfg).replace(" ", "")
                                      for w in words):
                return name
        return None

    def log10_behaviours(self, variant, cfg) -> float:
        if variant != "ood":
            return math.log10(25)
        excluded = sum(math.factorial(26) // _centraliser(t) for t in _excluded_types() if 1 not in t)
        return math.log10(_derangements(26, 26) - excluded)


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


def _completions(known: tuple, query: str, y: str) -> int:
    """Derangements of the letters that extend the known map and send ``query`` to ``y``."""
    fwd, back = known
    new, new_back = {}, {}
    for s, d in zip(query, y):
        if s == d or fwd.get(s, d) != d or back.get(d, s) != s or new.get(s, d) != d or new_back.get(d, s) != s:
            return 0
        new[s], new_back[d] = d, s
    sources = set(fwd) | set(new)
    targets = set(back) | set(new_back)
    return _derangements(26 - len(sources), 26 - len(sources | targets))


@lru_cache(maxsize=None)
def _derangements(n: int, r: int) -> int:
    """Bijections between two n-sets sharing r letters that send none of those r to itself."""
    return sum((-1) ** i * math.comb(r, i) * math.factorial(n - i) for i in range(r + 1))


def _predictive(variant, cfg, demos, query, choices) -> list[float]:
    """The posterior predictive alone, P(rule(query) = choice | demos), for ood: not the ideal (it
    ignores that the distractors are prior draws too); the ideal's own answer for Caesar."""
    if variant != "ood":
        return Cipher().ideal(variant, cfg, demos, query, choices)
    known = _known(tuple((x, y.replace(" ", "")) for x, y in demos))
    return normalise([_completions(known, query, c.replace(" ", "")) for c in choices])


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


def _cycles(perm: str) -> list[list[str]]:
    seen, out = set(), []
    for start in _ABC:
        cyc, c = [], start
        while c not in seen:
            seen.add(c)
            cyc.append(c)
            c = perm[ord(c) - 97]
        if cyc:
            out.append(cyc)
    return sorted(out, key=len)


def _conjugator(g: str, f: str) -> dict | None:
    """A renaming pi with f = pi g pi^-1, matching g's cycles to f's by length; None if none fits."""
    cg, cf = _cycles(g), _cycles(f)
    if [len(c) for c in cg] != [len(c) for c in cf]:
        return None
    return {a: b for x, y in zip(cg, cf) for a, b in zip(x, y)}


def _conjugate(pi: dict, g: str, word: str) -> str:
    inv = {b: a for a, b in pi.items()}
    return "".join(pi[g[ord(inv[c]) - 97]] for c in word)


def _centraliser(cycle_type: tuple[int, ...]) -> int:
    """26! / (permutations of this cycle type)."""
    counts: dict[int, int] = {}
    for n in cycle_type:
        counts[n] = counts.get(n, 0) + 1
    return math.prod(n ** m * math.factorial(m) for n, m in counts.items())
