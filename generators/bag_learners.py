"""Learners that see the demo inputs and outputs as two bags and search the rule space (stdlib only).

The shallow ``learners.PAIRING_FREE`` never search the rule space, so they stay at chance on the
deranged pairing control in every family.  These do: in a variant without the pairing constraint
(``Family.matched(variant)`` False) the deranged outputs are still the gold's images of the inputs
shown, and a rule that maps the bag of inputs onto the bag of outputs re-pairs them.  They measure
what the deranged control leaves (docs/validity.md; ``perf/pairing_residue.py`` prints the table)
and are at chance on the decoupled control (``episodes.decoupled_demos``).

A bag learner maps ``(family, variant, cfg, raw_inputs, outputs, query_inputs, choices)`` to one
list of scores per query, from the outputs' multiset only (it sorts them first, so the display
order carries nothing):

- ``bag_consistency`` (affine, sequence): the rules whose outputs on the bag of inputs are the bag
  of outputs vote; the offset needs no search, it follows from the outputs' sum.
- ``bag_repairing`` (base_arith, assoc_recall, word_order, grid_1d, cipher, list_fn ood): a
  bijection of symbols (a digit map per op, the key->value table, the lexicon, the recolouring,
  the letter map, the output cipher per behaviour class) under which the bag of inputs becomes the
  bag of outputs re-pairs them; the family's ideal runs on each re-pairing.  Inputs that share a
  key (the same word or colour set) are paired with their outputs arbitrarily, so in word_order
  and grid_1d its score is a lower bound on the residue.  string_edit has none: its rules move
  and change letters, no symbol bijection (its docstring gives a content re-pairing's figures).
- ``bag_ideal`` (any family, small k): the family's ideal summed over every re-pairing.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import Any, Callable, Sequence

from .core import Family
from .families._affine_gf import ResidueFamily, allowed_pairs
from .families._list_fn_ood import _images

SOLUTIONS_CAP = 20  # bijections kept per reading: more only re-weight re-pairings that all fit

Scores = list[list[float]]
BagLearner = Callable[[Family, str, Any, Sequence, Sequence[str], Sequence, Sequence[Sequence[str]]], Scores]

def bag_consistency(family: Family, variant: str, cfg: Any, raw: Sequence, outputs: Sequence[str],
                    queries: Sequence, choices: Sequence[Sequence[str]]) -> Scores:
    """Votes of the rules (p, q, c) whose outputs on the bag of inputs are the bag of outputs.

    The first output number is the (p, q) part plus c mod m (affine's value, sequence's next term),
    so the outputs' sum, the same in any order, gives each linear part one candidate offset; k = 16
    uniform residues almost never agree as multisets by accident, so the gold survives alone."""
    m = cfg.modulus
    parts = allowed_pairs(m) if variant == "ood" else [(p % m, q % m) for p, q in family.id_ops.values()]
    target = Counter(outputs)
    total = sum(int(y.split()[0]) for y in outputs)
    inv_k = pow(len(raw), -1, m)
    votes: Counter = Counter()
    for p, q in parts:
        linear = sum(int(family.apply((p, q, 0), x, cfg).split()[0]) for x in raw)
        rule = (p, q, (total - linear) * inv_k % m)
        if Counter(family.apply(rule, x, cfg) for x in raw) == target:
            votes.update((j, family.apply(rule, x, cfg)) for j, x in enumerate(queries))
    return [[float(votes[(j, c)]) for c in cs] for j, cs in enumerate(choices)]


_OUTPUT_SYMBOLS = {  # how each output spells its symbols
    "grid_1d": lambda y: tuple(int(c) for c in y if c != "0"),  # the non-empty colours
    "word_order": lambda y: tuple(y.split()),
    "assoc_recall": lambda y: tuple(y.split()),
    "cipher": lambda y: tuple(y.replace(" ", "")),
    "base_arith": tuple,
    "list_fn": lambda y: tuple(int(c) for c in y),
}


def _readings(family: Family, variant: str, cfg: Any, raw: Sequence) -> list[tuple[list[tuple], str]]:
    """Ways to read each input as the symbols its output spells through an unknown bijection of
    symbols: (one sequence per input, mode); mode "seq" compares sequences, "set" symbol sets (the
    rule also reorders them)."""
    if family.name == "grid_1d":  # the non-empty colours, recoloured and moved
        return [([tuple(c for c in x if c) for x in raw], "set")]
    if family.name == "word_order":  # the words, translated and reordered
        return [([tuple(x) for x in raw], "set")]
    if family.name in ("assoc_recall", "cipher"):  # keys -> values, letters -> letters, in place
        return [([tuple(x) for x in raw], "seq")]
    if family.name == "base_arith":  # the result's plain digits, one reading per op
        base = cfg.ood_base if variant == "ood" else 10
        plain = "0123456789abcdef"[:base]
        return [([tuple(family.apply((op, base, plain), x)) for x in raw], "seq") for op in ("add", "sub", "rsub")]
    # list_fn ood: one reading per behaviour class, its plain output (the cipher is the bijection)
    return [(list(column), "seq") for column in zip(*(_images(variant, cfg, tuple(x)) for x in raw))]


def _spots(seqs: list[tuple], mode: str) -> dict:
    """symbol -> [(sequence index, position)]; every position is 0 in "set" mode."""
    out: dict = defaultdict(list)
    for d, s in enumerate(seqs):
        for i, t in enumerate(s):
            out[t].append((d, i if mode == "seq" else 0))
    return out


def _cooccurrence(spots: dict, a, b) -> list:
    at_a: dict = defaultdict(list)
    for d, i in spots[a]:
        at_a[d].append(i)
    return sorted(Counter((i, j) for d, j in spots[b] for i in at_a.get(d, ())).items())


def bijections(ins: list[tuple], outs: list[tuple], mode: str, cap: int = SOLUTIONS_CAP) -> list[dict]:
    """Up to ``cap`` symbol bijections R with bag{R(x)} == bag{y} (as sequences or as sets).

    Backtracking, symbols with the fewest matches first; a symbol may only map to one with the same
    profile (count at each position), and every pair of mapped symbols must co-occur as their
    images do: both are necessary, since R carries the bag of inputs onto the bag of outputs."""
    key = tuple if mode == "seq" else frozenset
    s_in, s_out = _spots(ins, mode), _spots(outs, mode)
    p_in = {t: sorted(Counter(i for _, i in v).items()) for t, v in s_in.items()}
    p_out = {t: sorted(Counter(i for _, i in v).items()) for t, v in s_out.items()}
    if sorted(p_in.values()) != sorted(p_out.values()):
        return []
    target = Counter(key(y) for y in outs)
    order = sorted(p_in, key=lambda t: (sum(p_out[u] == p_in[t] for u in p_out), str(t)))
    found: list[dict] = []
    R: dict = {}

    def extend(k: int) -> None:
        if len(found) >= cap:
            return
        if k == len(order):
            if Counter(key(tuple(R[t] for t in x)) for x in ins) == target:
                found.append(dict(R))
            return
        s = order[k]
        for t in p_out:
            if t in R.values() or p_out[t] != p_in[s]:
                continue
            if any(_cooccurrence(s_in, a, s) != _cooccurrence(s_out, R[a], t) for a in order[:k]):
                continue
            R[s] = t
            extend(k + 1)
            del R[s]

    extend(0)
    return found


def _repair(raw: Sequence, ins: list[tuple], outputs: Sequence[str], outs: list[tuple], R: dict, mode: str) -> list:
    """Each input paired with an output whose symbols are its image under R."""
    key = tuple if mode == "seq" else frozenset
    pool: dict = defaultdict(list)
    for y, s in zip(outputs, outs):
        pool[key(s)].append(y)
    return [(x, pool[key(tuple(R[t] for t in s))].pop()) for x, s in zip(raw, ins)]


def bag_repairing(family: Family, variant: str, cfg: Any, raw: Sequence, outputs: Sequence[str],
                  queries: Sequence, choices: Sequence[Sequence[str]]) -> Scores:
    """The family's ideal, summed over every re-pairing that a symbol bijection of some reading
    explains."""
    outputs = sorted(outputs)
    outs = [_OUTPUT_SYMBOLS[family.name](y) for y in outputs]
    totals = [[0.0] * len(cs) for cs in choices]
    for ins, mode in _readings(family, variant, cfg, raw):
        for R in bijections(ins, outs, mode):
            pairs = _repair(raw, ins, outputs, outs, R, mode)
            for j, (x, cs) in enumerate(zip(queries, choices)):
                totals[j] = [a + b for a, b in zip(totals[j], family.ideal(variant, cfg, pairs, x, cs))]
    return totals


def bag_ideal(family: Family, variant: str, cfg: Any, raw: Sequence, outputs: Sequence[str],
              queries: Sequence, choices: Sequence[Sequence[str]]) -> Scores:
    """The family's ideal summed over every distinct re-pairing of the outputs with the inputs (k!
    of them at most: for small k only).  Equal outputs make some orders coincide; each distinct
    pairing then stands for the same number of orders, so dropping duplicates only rescales."""
    pairings = [list(zip(raw, p)) for p in sorted(set(itertools.permutations(sorted(outputs))))]
    totals = []
    for x, cs in zip(queries, choices):
        t = [0.0] * len(cs)
        for pairs in pairings:
            t = [a + b for a, b in zip(t, family.ideal(variant, cfg, pairs, x, cs))]
        totals.append(t)
    return totals


def bag_learner(family: Family, variant: str) -> BagLearner | None:
    """The rule-space search for this family and variant, or None (string_edit; list_fn outside ood,
    whose coset design makes the deranged control exact)."""
    if isinstance(family, ResidueFamily):
        return bag_consistency
    if family.name in _OUTPUT_SYMBOLS and (family.name != "list_fn" or variant == "ood"):
        return bag_repairing
    return None


def count_profile(inputs: Sequence[str], outputs: Sequence[str], query: str, choices: Sequence[str]) -> list[float]:
    """cipher: a letter and its image occur equally often in the two bags, so a choice scores the
    positions t where its letter occurs in the outputs as often as the query's letter t in the inputs."""
    n_in = Counter("".join(inputs).replace(" ", ""))
    n_out = Counter("".join(outputs).replace(" ", ""))
    return [float(sum(n_in[a] == n_out[b] for a, b in zip(query.replace(" ", ""), c.replace(" ", ""))))
            for c in choices]
