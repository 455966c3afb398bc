"""assoc_recall: look up each key of a short list in a hidden dictionary.

The input is 3 distinct keys (4 at difficulty 3), the output their values in order ('Glou Bagh
Giov -> Talm Wals Azer').  A query never repeats a demonstration's input, but its keys are keys
the demonstrations used, in a new combination: the answer is put together from bindings in context.
- ``id``: countries and a familiar one-to-one relation (capital, nationality, ISO code), one of
  three: 'France Japan Kenya -> Paris Tokyo Nairobi'.
- ``renamed``: the same relations with both sides renamed per episode: the n fixed keys stand for
  n random countries, and each value is renamed to a random nonce value.
- ``ood``: a dictionary from the n fixed keys (16 at difficulty 2) to distinct nonce values.
Keys and values are capitalised name fragments ('Giov', 'Talm') that SmolLM2 reads as one token,
as it does the 16 countries and their values: prompts and answers match in tokens (answers 3.0
in every variant; nonce words of letters took 7.5).

Familiar rules and the exclusion.  In a lookup family the rule is the binding table.  Familiar:
the id relations over real countries, tables whose values follow from the keys' spelling (a value
equal to its key, or its reversal, prefix or suffix, up to a renaming of the letters; a value
containing its key) and constant tables.  Keys and values come from disjoint lists of fragments
that are no country or value of the id relations, so a value is never its key or a real value;
a letter renaming that spells all n values from their keys has probability below 1e-30 (no
rejection needed).  ``familiar_match`` checks each table independently.  Renaming both sides of
a one-to-one relation per episode leaves nothing familiar: capital-of becomes a uniformly random
one-to-one table, distributed exactly as an ood table.  So renamed and ood coincide in
distribution (rule gap 0 by construction: knowing capitals cannot help once the names are new)
and the checker finds no familiar rule in renamed episodes (share 0): a lookup's familiarity is
all surface.

Behaviours: the candidates of a tuple share their values (below), so only the binding of keys to
them separates the choices: n! = 10^13.3 bindings at difficulty 2 (10^10.9 at 1); id has 3.

Pairing design (``matched_outputs = False``).  A distractor is the anchor with its keys permuted
within classes: keys that occur equally often at each position of the paired inputs (of each
length).  Two distinct non-identity permutations are drawn uniformly from that group (the inputs
are redrawn when it has fewer than three elements: 16% of draws at difficulty 2), so the tuple is
exchangeable.  Every candidate then has the same values and the same count of every value at
every position of its paired outputs, the frequency match (a key's count at a position equals its
value's) that let repaired_lookup score 0.43 on the control with unrestricted permutations.  Equal
output multisets would need a permutation mapping the 16 key lists onto themselves, which random
lists do not allow; 3-key inputs make a distractor equal to a demo output (the query permuted
into a paired input) rare, while the gold never equals one.  Residue: counts per position are
matched, co-occurrences are not: a learner that searches for the key->value bijection under
which the bag of inputs becomes the bag of outputs (keys that share an input map to values
that share its output) re-pairs them and solves the deranged control (0.998 renamed, 0.994 ood;
perf/pairing_residue.py, docs/validity.md).

Ideal: the gold table is a uniformly random one-to-one table; a distractor writes choice c exactly
when its permutation sends the query's keys to the keys of c's values.  For every choice
consistent with the demos (a seen key carries its seen value, an unseen key a value no seen key
carries, no value twice) the prior mass of tables is the same, so the ideal is uniform over them.
Residual: the class restriction of the permutations depends on all 16 paired inputs; at k = 16
the ideal sees them and the restriction breaks no tie (two consistent choices differ only on
unseen keys, which form one class); at k < 16 it is ignored, as are the acceptance events and
the query's probability 1/|D| (D, the inputs where all candidates differ).
id: each choice is the output of one relation; the ideal keeps those the demos fit.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .._config import require, require_int_range, require_min_max
from ..core import Family, RetryTuple, item_rng, one_renaming

# Keys and values are capitalised name fragments that SmolLM2 reads as one token (like a country
# or a capital), none of them an id country or value; the two lists are disjoint.
_KEYS = tuple("Bagh Belf Bhag Brah Cauc Chel Cind Corb Dund Euch Faul Ferg Giov Glou Gond Hask".split())
_VALUES = tuple("""Aene Alab Amaz Anab Azer Balk Bant Beng Berm Bism Bour Bras Bren Bris Buch Burk
    Ches Chey Coul Cumm Cura Dere Duch Eure Ferm Flem Fors Garc Gaut Gret Guin Hels Hend Herc Hert
    Hild Holl Hond Humb Iber Jere Kand Karn Kauf Keyn Kipp Kolk Lanc Lank Laur Leib Mald Manc Mard
    Marl Marm Merr Mith Mord Morm Mugh Nure Ober Okin Phar Prad Pras Punj Quin Reyn Sach Sarg Sart
    Sask Scul Sear Shab Shim Shir Shor Sidd Siem Talm Tuls Umay Uran Vand Verm Vish Wals Wend Winc
    Yesh Yose Yosh""".split())
_RELATIONS = ("capital", "nationality", "code")  # one-to-one on these countries
_COUNTRIES = {row[0]: dict(zip(_RELATIONS, row[1:])) for row in (r.split() for r in """
    France Paris French FR|Germany Berlin German DE|Italy Rome Italian IT|Spain Madrid Spanish ES
    Greece Athens Greek GR|Portugal Lisbon Portuguese PT|Sweden Stockholm Swedish SE
    Norway Oslo Norwegian NO|Poland Warsaw Polish PL|Austria Vienna Austrian AT
    Finland Helsinki Finnish FI|Japan Tokyo Japanese JP|China Beijing Chinese CN
    Iran Tehran Iranian IR|Egypt Cairo Egyptian EG|Kenya Nairobi Kenyan KE"""
    .replace("\n", "|").split("|") if r.strip())}  # names and values one SmolLM2 token each
_COUNTRY_NAMES = tuple(_COUNTRIES)


@dataclass(frozen=True)
class AssocRecallConfig:
    difficulty: int = 2
    n_keys: int = 16  # renamed/ood dictionary size
    min_keys: int = 3  # keys per input
    max_keys: int = 3

    def __post_init__(self) -> None:
        require_int_range("n_keys", self.n_keys, 12, len(_KEYS))  # renamed: one country per key
        require_int_range("min_keys", self.min_keys, 2, 4)
        require_int_range("max_keys", self.max_keys, 2, 4)
        require_min_max(self, "min_keys", "max_keys")
        inputs = sum(math.perm(self.n_keys, n) for n in range(self.min_keys, self.max_keys + 1))
        require(inputs >= 140, "n_keys", self.n_keys, "too few key lists for a 128-demo pool plus queries")


class AssocRecall(Family):
    name = "assoc_recall"
    n_choices = 3
    config_class = AssocRecallConfig
    levels = {1: dict(n_keys=14), 2: dict(n_keys=16), 3: dict(n_keys=16, min_keys=4, max_keys=4)}
    matched_outputs = False  # impossible for random key lists: see the module docstring

    # id rule: a relation name.  Other rules: (values of _KEYS[:n], source), source the
    # renamed rule's (relation, countries the keys stand for), None in ood.
    def sample_rule(self, rng: random.Random, variant: str, cfg: AssocRecallConfig):
        if variant == "id":
            return rng.choice(_RELATIONS)
        values = rng.sample(_VALUES, cfg.n_keys)
        if variant == "ood":
            return tuple(values), None
        # renamed: the n keys stand for n random countries; each relation value gets its own
        # nonce value, so (the relation being one-to-one) values[i] renames R(countries[i]).
        return tuple(values), (rng.choice(_RELATIONS), tuple(rng.sample(_COUNTRY_NAMES, cfg.n_keys)))

    def sample_tuple(self, rng, variant, cfg, paired):
        if variant == "id":  # the three relations in random order: an exchangeable draw
            return rng.sample(_RELATIONS, 3)
        classes = _classes(paired, cfg.n_keys)
        if math.prod(math.factorial(len(c)) for c in classes) < self.n_choices:
            raise RetryTuple  # fewer than two non-identity permutations keep the counts
        anchor = self.sample_rule(rng, variant, cfg)
        perms: list[list[int]] = []
        while len(perms) < self.n_choices - 1:
            p = list(range(cfg.n_keys))
            for c in classes:
                for a, b in zip(c, rng.sample(c, len(c))):
                    p[a] = b
            if p != sorted(p) and p not in perms:
                perms.append(p)
        return [anchor] + [_permuted(anchor, p) for p in perms]

    def sample_input(self, rng, variant, cfg) -> tuple[str, ...]:
        keys = _COUNTRY_NAMES if variant == "id" else _KEYS[: cfg.n_keys]
        return tuple(rng.sample(keys, rng.randint(cfg.min_keys, cfg.max_keys)))

    def render_input(self, x) -> str:
        return " ".join(x)

    def apply(self, rule, x, cfg=None) -> str:
        if isinstance(rule, str):
            return " ".join(_COUNTRIES[k][rule] for k in x)
        return " ".join(rule[0][_KEYS.index(k)] for k in x)

    def rule_key(self, rule) -> str:
        if isinstance(rule, str):
            return rule
        return ",".join(rule[0]) + ("" if rule[1] is None else f"|{rule[1][0]}:{','.join(rule[1][1])}")

    def ideal(self, variant, cfg, demos, query, choices) -> list[float]:
        if variant == "id":
            live = [r for r in _RELATIONS if all(self.apply(r, x) == y for x, y in demos)]
            return [float(any(self.apply(r, query) == c for r in live)) for c in choices]
        seen: dict[str, str] = {}
        for x, y in demos:
            seen.update(zip(x, y.split(" ")))
        taken = set(seen.values())
        return [float(_consistent(seen, taken, query, c)) for c in choices]

    def competitors(self) -> dict:
        return {"binding_votes": _binding_votes}

    def familiar_match(self, rule, cfg) -> str | None:
        if isinstance(rule, str):  # id: compare with every relation on sampled country lists
            rng = item_rng("assoc_recall familiar_match", rule)
            xs = [tuple(rng.sample(_COUNTRY_NAMES, 2)) for _ in range(50)]
            return next((r for r in _RELATIONS if all(self.apply(r, x) == self.apply(rule, x) for x in xs)), None)
        table = dict(zip(_KEYS, rule[0]))
        return _familiar_table(table)

    def log10_behaviours(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_RELATIONS))
        return math.log10(math.factorial(cfg.n_keys))


def _classes(paired, n_keys: int) -> list[list[int]]:
    """Keys grouped by where they occur in the paired inputs: how often at each position of an
    input of each length.  A permutation within these classes keeps every value's count at every
    position of the paired outputs, whichever candidate is gold."""
    profile: dict[int, list] = {i: [] for i in range(n_keys)}
    for x in paired:
        for pos, k in enumerate(x):
            profile[_KEYS.index(k)].append((len(x), pos))
    groups: dict[tuple, list[int]] = {}
    for i in range(n_keys):
        groups.setdefault(tuple(sorted(profile[i])), []).append(i)
    return list(groups.values())


def _permuted(rule, p: list[int]):
    """The rule with key i bound to what key p[i] was bound to (the renamed source moves alike)."""
    values, source = rule
    new_source = None if source is None else (source[0], tuple(source[1][j] for j in p))
    return tuple(values[j] for j in p), new_source


def _consistent(seen: dict, taken: set, query, choice: str) -> bool:
    """Can a one-to-one table extending the seen bindings write ``query`` as ``choice``?"""
    words = choice.split(" ")
    if len(words) != len(query) or len(set(words)) != len(words):
        return False
    return all(seen[k] == w if k in seen else w not in taken for k, w in zip(query, words))


def _binding_votes(variant, cfg, demos, query, choices) -> list[float]:
    """A softer lookup: +1 per query key whose seen value the choice shows, -1 per contradiction."""
    seen: dict = {}
    for x, y in demos:
        seen.update(zip(x, y.split(" ")))
    return [sum((seen[k] == w) - (seen[k] != w) for k, w in zip(query, c.split(" ")) if k in seen)
            for c in choices]


def _familiar_table(table: dict[str, str]) -> str | None:
    """The familiar rule a key -> value table follows, found independently of the generator."""
    real = {v.lower() for row in _COUNTRIES.values() for v in row.values()} | {c.lower() for c in _COUNTRIES}
    if any(v.lower() in real for v in table.values()):
        return "values of a familiar relation"
    if len(set(table.values())) == 1:
        return "constant"
    transforms = {"identity": lambda k, n: k, "reversal": lambda k, n: k[::-1],
                  "prefix": lambda k, n: k[:n], "suffix": lambda k, n: k[-n:],
                  "reversed prefix": lambda k, n: k[::-1][:n]}
    for name, t in transforms.items():
        srcs = {k: t(k, len(v)) for k, v in table.items()}
        if all(len(srcs[k]) == len(v) for k, v in table.items()) and one_renaming(
                p for k, v in table.items() for p in zip(srcs[k], v)):
            return f"key {name} with letters renamed"
    if any(k in v or v in k for k, v in table.items()):
        return "value copies its key"
    return None
