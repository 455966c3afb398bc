"""Shallow competitors of the ideal learner, on the rendered strings a model sees (stdlib only).

Each learner maps ``(demos, query, choices)`` to one score per choice, where ``demos`` is a
sequence of ``(input, output)`` string pairs; the answer is the argmax, ties shared (see
``expected_accuracy``).  Two sets:

- ``PAIRED``: learners that use the input->output pairing the way a cheap model could:
  nearest neighbour (string and numeric), aligned character / token lookup, slot co-occurrence.
- ``PAIRING_FREE``: learners that see the demo outputs, and at most the demo inputs as an
  unordered set, never which input gave which output: majority output, output vocabulary,
  output character bigrams, per-position output tokens, nearest output, output length, a
  content re-pairing learner that matches outputs to inputs by similarity before looking up, and
  frequency analysis (input tokens mapped onto output tokens by their counts).

The ideal learner must beat every one of them (``PAIRED`` and ``PAIRING_FREE``) within noise at
every k; on a cell's exact pairing control (``..._k16_decoupled`` where the cell has it: every
learner; else ``..._k16_shuffled``: the pairing-free ones) they must stay at chance.  The
*copy baseline* of a family is the best of these on the development seed (docs/validity.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Callable, Sequence

Pair = tuple[str, str]
Learner = Callable[[Sequence[Pair], str, Sequence[str]], list[float]]

_NUM = re.compile(r"-?\d+")


def expected_accuracy(scores: Sequence[float], label: int) -> float:
    """Accuracy of the argmax of ``scores``, ties broken uniformly (in expectation)."""
    best = max(scores)
    winners = [i for i, s in enumerate(scores) if s >= best - 1e-12]
    return 1.0 / len(winners) if label in winners else 0.0


def _sim(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _tokens(s: str) -> list[str]:
    parts = s.split()
    return parts if len(parts) > 1 else list(s)


# ---- paired learners -------------------------------------------------------------------------

def nearest_neighbour(demos, query, choices):
    """The output of the demo whose input looks most like the query; the choice closest to it."""
    if not demos:
        return [0.0] * len(choices)
    _, out = max(demos, key=lambda d: _sim(d[0], query))
    return [_sim(c, out) for c in choices]


def numeric_nearest_neighbour(demos, query, choices):
    """As nearest_neighbour, with inputs and outputs compared as vectors of integers."""
    qn = [int(t) for t in _NUM.findall(query)]
    scored = [(d, [int(t) for t in _NUM.findall(d[0])]) for d in demos]
    scored = [(d, v) for d, v in scored if len(v) == len(qn) and v]
    if not scored or not qn:
        return nearest_neighbour(demos, query, choices)
    (_, out), _ = min(scored, key=lambda dv: sum(abs(a - b) for a, b in zip(dv[1], qn)))
    on = [int(t) for t in _NUM.findall(out)]
    res = []
    for c in choices:
        cn = [int(t) for t in _NUM.findall(c)]
        res.append(-sum(abs(a - b) for a, b in zip(cn, on)) - 1000 * abs(len(cn) - len(on)) if cn else -1e9)
    return res


@lru_cache(maxsize=512)  # an episode's queries share their demos: build the maps once
def _aligned_map(demos: tuple, split) -> tuple[dict, dict]:
    """Per-position and position-free symbol maps from equal-length input/output pairs (read only)."""
    at, anywhere = defaultdict(Counter), defaultdict(Counter)
    for x, y in demos:
        xs, ys = split(x), split(y)
        if len(xs) != len(ys):
            continue
        for i, (a, b) in enumerate(zip(xs, ys)):
            at[(i, a)][b] += 1
            anywhere[a][b] += 1
    return at, anywhere


def _lookup(demos, query, choices, split, join) -> list[float]:
    at, anywhere = _aligned_map(tuple(map(tuple, demos)), split)
    guess = []
    for i, a in enumerate(split(query)):
        table = at.get((i, a)) or anywhere.get(a)
        guess.append(table.most_common(1)[0][0] if table else a)
    g = join(guess)
    return [_sim(c, g) for c in choices]


def aligned_char_lookup(demos, query, choices):
    """Apply the letter map that equal-length demos show, position by position."""
    return _lookup(demos, query, choices, list, "".join)


def aligned_token_lookup(demos, query, choices):
    """Apply the word map that equal-length demos show, position by position."""
    return _lookup(demos, query, choices, str.split, " ".join)


def slot_cooccurrence(demos, query, choices):
    """Score each choice token by how often it appeared in an output whose input held a query token."""
    co = defaultdict(Counter)
    for x, y in demos:
        for a in set(_tokens(x)):
            for j, b in enumerate(_tokens(y)):
                co[a][(j, b)] += 1
                co[a][b] += 1
    q = set(_tokens(query))
    res = []
    for c in choices:
        toks = _tokens(c)
        s = sum(co[a][(j, b)] + 0.5 * co[a][b] for a in q for j, b in enumerate(toks))
        res.append(s / max(1, len(toks)))
    return res


# ---- pairing-free learners -------------------------------------------------------------------

def majority_output(demos, query, choices):
    """The choice that is the most frequent demo output."""
    counts = Counter(y for _, y in demos)
    return [float(counts[c]) for c in choices]


def output_vocabulary(demos, query, choices):
    """The share of a choice's tokens (words, or letters of one word) seen in the demo outputs."""
    seen = Counter(t for _, y in demos for t in _tokens(y))
    return [sum(seen[t] > 0 for t in _tokens(c)) / max(1, len(_tokens(c))) for c in choices]


def output_bigrams(demos, query, choices):
    """Mean log-probability of a choice under a character bigram model of the demo outputs."""
    pairs, firsts = Counter(), Counter()
    for _, y in demos:
        s = f"^{y}$"
        for a, b in zip(s, s[1:]):
            pairs[(a, b)] += 1
            firsts[a] += 1
    res = []
    for c in choices:
        s = f"^{c}$"
        lp = sum(math.log((pairs[(a, b)] + 0.1) / (firsts[a] + 0.1 * 40)) for a, b in zip(s, s[1:]))
        res.append(lp / max(1, len(s) - 1))
    return res


def output_positions(demos, query, choices):
    """How often each of a choice's tokens sat at the same position in a demo output."""
    at = Counter((j, t) for _, y in demos for j, t in enumerate(_tokens(y)))
    return [sum(at[(j, t)] for j, t in enumerate(_tokens(c))) / max(1, len(_tokens(c))) for c in choices]


def nearest_output(demos, query, choices):
    """The choice most similar to some demo output."""
    return [max((_sim(c, y) for _, y in demos), default=0.0) for c in choices]


def output_length(demos, query, choices):
    """The choice whose length is closest to the demo outputs' mean length."""
    if not demos:
        return [0.0] * len(choices)
    mean = sum(len(y) for _, y in demos) / len(demos)
    return [-abs(len(c) - mean) for c in choices]


def unpaired_frequency(demos, query, choices):
    """Frequency analysis, no pairing: the demo inputs' tokens ranked by count are mapped onto the
    demo outputs' tokens ranked by count (ties by name); the query goes through that map, and each
    choice scores its token-multiset overlap with the result plus their sequence similarity.  It sees
    the inputs and the outputs as two unordered bags: a renaming that keeps tokens' frequencies shows."""
    if not demos:
        return [0.0] * len(choices)
    guess = [_rank_map(tuple(map(tuple, demos))).get(t, t) for t in _tokens(query)]
    bag = Counter(guess)
    out = []
    for c in choices:
        toks = _tokens(c)
        overlap = sum((Counter(toks) & bag).values()) / max(1, len(toks), len(guess))
        out.append(overlap + SequenceMatcher(None, toks, guess, autojunk=False).ratio())
    return out


@lru_cache(maxsize=512)
def _rank_map(demos: tuple) -> dict:
    def ranked(bag: Counter) -> list[str]:
        return [t for t, _ in sorted(bag.items(), key=lambda kv: (-kv[1], kv[0]))]
    ins = Counter(t for x, _ in demos for t in _tokens(x))
    outs = Counter(t for _, y in demos for t in _tokens(y))
    return dict(zip(ranked(ins), ranked(outs)))


def repaired_lookup(demos, query, choices):
    """Re-pair outputs with inputs by content (greedy most-similar, equal length first), then
    look letters and words up as the aligned learners do: pairing recovered without the prompt's order."""
    pairs = _repaired(tuple(map(tuple, demos)))
    a = aligned_char_lookup(pairs, query, choices)
    b = aligned_token_lookup(pairs, query, choices)
    return [x + y for x, y in zip(a, b)]


@lru_cache(maxsize=512)  # the all-pairs similarity is the costly part; an episode's queries share it
def _repaired(demos: tuple) -> tuple:
    ins, outs = [x for x, _ in demos], [y for _, y in demos]
    scored = sorted(((len(x) != len(y), -_sim(x, y), i, j) for i, x in enumerate(ins) for j, y in enumerate(outs)))
    used_i, used_j, pairs = set(), set(), []
    for _, _, i, j in scored:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((ins[i], outs[j]))
    return tuple(pairs)


PAIRED: dict[str, Learner] = {
    "nearest_neighbour": nearest_neighbour,
    "numeric_nearest_neighbour": numeric_nearest_neighbour,
    "aligned_char_lookup": aligned_char_lookup,
    "aligned_token_lookup": aligned_token_lookup,
    "slot_cooccurrence": slot_cooccurrence,
}

PAIRING_FREE: dict[str, Learner] = {
    "majority_output": majority_output,
    "output_vocabulary": output_vocabulary,
    "output_bigrams": output_bigrams,
    "output_positions": output_positions,
    "nearest_output": nearest_output,
    "output_length": output_length,
    "repaired_lookup": repaired_lookup,
    "unpaired_frequency": unpaired_frequency,
}

LEARNERS: dict[str, Learner] = {**PAIRED, **PAIRING_FREE}

COPY_BASELINES: dict[str, str] = {
    "affine": "numeric_nearest_neighbour",
    "assoc_recall": "aligned_token_lookup",
    "base_arith": "numeric_nearest_neighbour",
    "cipher": "aligned_char_lookup",
    "feature_class": "nearest_neighbour",
    "grid_1d": "nearest_neighbour",
    "label_map": "nearest_neighbour",
    "list_fn": "aligned_char_lookup",
    "regular_lang": "nearest_neighbour",
    "sequence": "numeric_nearest_neighbour",
    "string_edit": "nearest_neighbour",
    "word_order": "nearest_neighbour",
}
"""family -> the one shallow learner shown beside chance and the ideal as its copy baseline: the best
of LEARNERS at k=16 on the family's renamed and ood tasks, development seed 1, 100 episodes each:
``python -m ood_icl.generators.check FAMILY --copy-baseline --episodes 100 --seed 1``."""
