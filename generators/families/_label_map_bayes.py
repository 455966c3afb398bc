"""Tuple draws and Bayes-optimal ideal learners of the two binary label families.

Shared by label_map and feature_class (both mine): in both, a rule maps an input to one bit
(bit 1 -> the rule's first label, bit 0 -> its second), the two candidates of a tuple share the
episode's two labels, and the choices at a query are those two labels.  Two rule shapes:

* ``lookup`` (the ood variants): an input has a key in range(K) (label_map: its category,
  feature_class: its first and last letters), uniform over the keys; a rule is a table g of K
  bits outside a small familiar set (``allowed``).
* ``small`` (the id and renamed variants): a rule is one of a short list H of familiar
  features of an input's signature (an index into the signatures the features can tell apart).

The tuple is drawn SYMMETRICALLY: uniform over the ordered pairs (g1, g2) of allowed rules that
give equal label counts on the 16 paired inputs (the pairing constraint) and differ on them;
lookup pairs must also agree on every key the paired inputs miss, so every query (an input on
which they differ) has a key the 16 demos show.

The ideal's score for bit b at query q after k demos (x_i, gold(x_i)), i < k, is
    E_u[ 1/N(x, u) * sum over ordered pairs (gold, other) valid for (x, u), gold consistent with
         the demos, gold(q) = b != other(q), of 1/Z(gold, other) ]
where u are the 16-k paired inputs the learner has not seen (drawn as the core draws them), N the
number of valid ordered pairs (the tuple is uniform over them and the gold is either one with
probability 1/2, so P(gold, other | x, u) = 1/N), and 1/Z stands for ``query_weight``: P(q |
pair)/p(q), the query being drawn where the two differ, averaged over its position among the
episode's 5 queries (the core alternates the first candidate's label from query to query).  The
expectation over u is Monte Carlo with R draws from an RNG seeded by the item (deterministic);
everything inside it is exact (lookup: a polynomial in the count balance and the two sides of D
over groups of keys, cached).  Where the demos decide the answer (every consistent gold agrees at
q) the score is exact, which is every k=16 query; at k=0 the two labels are exactly tied (the gold
is uniform in the tuple).  Residual approximations, all below the noise of a 1000-episode check:
the query draw also avoids the pool and the earlier queries (a few words in a category of 27+),
and the lookup sums run over all 2^K tables, not only the allowed ones (the excluded familiar
tables are 0.1% of them at difficulty 2, 3-4% at 1).  Checked: the exact parts against brute-force enumeration over all
pairs (K=6); the Monte Carlo against 10-20x more draws on 40-60 episodes at k=1 and 4 (argmax the
same on 96-100% of the queries, only at near-ties: normalised scores within 0.02, accuracy within
1 pp).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from functools import lru_cache
from math import comb
from typing import Callable, Sequence

from .._words import nonce_label_pair
from ..core import PAIRED_K, RetryTuple

_TRIES = 20_000  # lookup pair proposals before the tuple is redrawn (acceptance is ~10%)
UNKNOWN = 2  # status of a key whose gold bit the demos do not show
N_QUERIES = 5  # queries per episode (the suite's and the check's): the query weight depends on it


def lookup_pair(rng: random.Random, keys: Sequence[int], n_keys: int,
                allowed: Callable[[int], bool]) -> tuple[int, int]:
    """(g1, g2) uniform over the valid ordered pairs of bit tables: g1 uniform, g2 = g1 ^ D with D
    a uniform subset of the paired keys (a constant proposal probability), accepted when D is not
    empty, both are allowed and the label counts on the paired inputs balance."""
    counts = Counter(keys)
    seen = sorted(counts)
    for _ in range(_TRIES):
        g1 = rng.getrandbits(n_keys)
        d = sum(1 << c for c in seen if rng.getrandbits(1))
        if not d:
            continue
        bal = sum(counts[c] * (1 if g1 >> c & 1 else -1) for c in seen if d >> c & 1)
        if bal == 0 and allowed(g1) and allowed(g1 ^ d):
            return g1, g1 ^ d
    raise RetryTuple


@lru_cache(maxsize=None)
def _group_terms(t: int, status: int, r: int) -> tuple:
    """(balance, keys added to D with bit 1, with bit 0, ways) for r keys of paired count t: out
    of D (2 ways when the bit is unknown), or in D with bit 1 (+t) or bit 0 (-t) as the status
    allows."""
    terms = []
    for i in range(r + 1):
        for j in range(r - i + 1):
            if (status == 1 and j) or (status == 0 and i):
                continue
            out = r - i - j
            ways = comb(r, i) * comb(r - i, j) * (2 ** out if status == UNKNOWN else 1)
            terms.append((t * (i - j), i, j, ways))
    return tuple(terms)


@lru_cache(maxsize=None)
def _poly(groups: tuple) -> dict:
    """{(balance, |D with bit 1|, |D with bit 0|): ways} for a canonical tuple of (count, status,
    how many) key groups."""
    if not groups:
        return {(0, 0, 0): 1}
    new: dict = defaultdict(int)
    for (bal, d1, d0), v in _poly(groups[:-1]).items():
        for db, i, j, ways in _group_terms(*groups[-1]):
            new[(bal + db, d1 + i, d0 + j)] += v * ways
    return dict(new)


def query_weight(z: float, z_same: float, z_other: float) -> float:
    """P(a query at this input | the pair) / p(input), averaged over its position in the episode:
    the core draws query 0 from the inputs where the pair differs (mass z), then alternates the
    first candidate's label, so odd positions come from the side opposite query 0's.  With the
    gold's label b at the query, z_same (z_other) is the mass where they differ and the gold says
    b (not b); both candidate orders give the same value."""
    even = (N_QUERIES + 1) // 2
    return (even + (N_QUERIES - even) * z_other / z_same) / (N_QUERIES * z) if z_same else 0.0


@lru_cache(maxsize=None)
def _weighted(groups: tuple, target: int, bit: int) -> float:
    """Sum over the configurations of the other keys balancing ``target`` of the query weight,
    the query's key joining D with gold bit ``bit`` (uniform keys: masses are key counts)."""
    total = 0.0
    for (bal, d1, d0), v in _poly(groups).items():
        if bal == target:
            same, other = (d1 + 1, d0) if bit else (d0 + 1, d1)
            total += v * query_weight(same + other, same, other)
    return total


def _canon(pairs) -> tuple:
    return tuple(sorted((t, s, r) for (t, s), r in Counter(pairs).items()))


@lru_cache(maxsize=None)
def _n_lookup_pairs(profile: tuple) -> int:
    """Valid ordered pairs (per table on the unseen keys) for paired key counts ``profile``."""
    return sum(v for (bal, d1, d0), v in _poly(_canon((t, UNKNOWN) for t in profile)).items() if bal == 0 and d1 + d0)


def lookup_scores(demo_keys: Sequence[int], demo_bits: Sequence[int], q_key: int,
                  draw_unseen: Callable[[random.Random, int], list | None], rng: random.Random,
                  draws: int) -> list[float]:
    """[score of bit 1, score of bit 0] at a query with key ``q_key`` (see the module docstring)."""
    known = dict(zip(demo_keys, demo_bits))
    if q_key in known:
        return [1.0, 0.0] if known[q_key] else [0.0, 1.0]
    if not demo_keys:
        return [1.0, 1.0]

    def add(u: list, acc: list[float]) -> None:
        counts = Counter(demo_keys)
        counts.update(u)
        nq = counts.get(q_key, 0)
        n_pairs = _n_lookup_pairs(tuple(sorted(counts.values()))) if nq else 0
        if n_pairs:
            groups = _canon((n, known.get(c, UNKNOWN)) for c, n in counts.items() if c != q_key)
            acc[0] += _weighted(groups, -nq, 1) / n_pairs  # gold bit 1 at q: q adds +nq
            acc[1] += _weighted(groups, nq, 0) / n_pairs

    return _sum_over_unseen(draws, PAIRED_K - len(demo_keys), draw_unseen, rng, add)


def _sum_over_unseen(draws: int, n_unseen: int, draw_unseen: Callable[[random.Random, int], list | None],
                     rng: random.Random, add: Callable[[list, list[float]], None]) -> list[float]:
    """The Monte Carlo sum both shapes share: for each of ``draws`` draws u of the inputs of the
    unpaired places (None: a draw the process rejects), ``add(u, acc)`` adds u's two terms."""
    acc = [0.0, 0.0]
    for _ in range(draws):
        u = draw_unseen(rng, n_unseen)
        if u is not None:
            add(u, acc)
    return acc


def small_pair(rng: random.Random, sigs: Sequence[int], feats: Sequence[tuple]) -> tuple[int, int]:
    """Indices (i, j) uniform over the valid ordered pairs of features on the paired signatures."""
    cnt, pat, _, _ = _small_stats(tuple(feats), tuple(sorted(Counter(sigs).items())))
    n = len(feats)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j and cnt[i] == cnt[j] and pat[i] != pat[j]]
    if not pairs:
        raise RetryTuple
    return rng.choice(pairs)


@lru_cache(maxsize=None)
def _members(feats: tuple) -> tuple:
    """Per signature, the features that hold there; per feature, its signatures as a bit mask."""
    n_sigs = len(feats[0])
    return (tuple(tuple(i for i, f in enumerate(feats) if f[s]) for s in range(n_sigs)),
            tuple(sum(1 << s for s in range(n_sigs) if f[s]) for f in feats))


@lru_cache(maxsize=200_000)
def _small_stats(feats: tuple, counts: tuple) -> tuple:
    """Per feature its label-1 count and its pattern on the paired signatures; the number of valid
    ordered pairs (equal counts, different patterns); the features grouped by count."""
    members, masks = _members(feats)
    cnt = [0] * len(feats)
    present = 0
    for s, n in counts:
        present |= 1 << s
        for i in members[s]:
            cnt[i] += n
    pat = tuple(m & present for m in masks)
    groups: dict = defaultdict(list)
    for i, c in enumerate(cnt):
        groups[c].append(i)
    n_pairs = sum(len(g) ** 2 - sum(v ** 2 for v in Counter(pat[i] for i in g).values()) for g in groups.values())
    return tuple(cnt), pat, n_pairs, dict(groups)


def small_scores(feats: tuple, weight: Sequence[Sequence[Sequence[float]]], demo_sigs: Sequence[int],
                 demo_bits: Sequence[int], q_sig: int,
                 draw_unseen: Callable[[random.Random, int], list | None], rng: random.Random,
                 draws: int) -> list[float]:
    """[score of bit 1, score of bit 0] for the small shape; ``weight[i][j][b]`` is the query weight
    of the pair (gold i, other j) at an input where gold says b (``query_weight``)."""
    cons = [i for i, f in enumerate(feats) if all(f[s] == b for s, b in zip(demo_sigs, demo_bits))]
    at_q = {feats[i][q_sig] for i in cons}
    if len(at_q) == 1:
        return [1.0, 0.0] if at_q == {1} else [0.0, 1.0]
    if not demo_sigs or not cons:
        return [1.0, 1.0]

    def add(u: list, acc: list[float]) -> None:  # acc is [bit 0, bit 1] here
        cnt, pat, n_pairs, groups = _small_stats(feats, tuple(sorted(Counter([*demo_sigs, *u]).items())))
        for i in (cons if n_pairs else ()):
            b = feats[i][q_sig]
            acc[b] += sum(weight[i][j][b] for j in groups[cnt[i]]
                          if feats[j][q_sig] != b and pat[j] != pat[i]) / n_pairs

    acc = _sum_over_unseen(draws, PAIRED_K - len(demo_sigs), draw_unseen, rng, add)
    return [acc[1], acc[0]]


def nonce_labels(rng: random.Random) -> tuple[str, str]:
    """A 3-letter and a 2-letter nonce label, one token each like 'yes' and 'no' (bit 1 gets the
    longer); _words.ONE_TOKEN_NONCE holds no English word."""
    return nonce_label_pair(rng)


def bit_of(label: str) -> int:
    """The bit a label stands for in every variant: 'yes' and the 3-letter nonce label are 1."""
    return 1 if len(label) == 3 else 0


def by_choice(scores: Sequence[float], choices: Sequence[str]) -> list[float]:
    """[score of bit 1, score of bit 0] reordered as the choices."""
    return [scores[0] if bit_of(c) else scores[1] for c in choices]


def predictive(feats: Sequence[tuple] | None, demos: Sequence[tuple[int, int]], q: int,
               ratio: bool) -> list[float]:
    """The rejected simpler ideals, [bit 1, bit 0]: the posterior predictive P(gold(q) = b | demos)
    under the uniform prior, or its ratio to the prior predictive.  ``feats`` None: the lookup
    shape (a uniform bit table: the query's key decides if a demo shows it, else a tie)."""
    if feats is None:
        known = dict(demos)
        return [1.0, 1.0] if q not in known else ([1.0, 0.0] if known[q] else [0.0, 1.0])
    cons = [f for f in feats if all(f[s] == b for s, b in demos)]
    post = [sum(f[q] == b for f in cons) / max(1, len(cons)) for b in (1, 0)]
    if ratio:
        prior = [sum(f[q] == b for f in feats) / len(feats) for b in (1, 0)]
        post = [p / pr if pr else 0.0 for p, pr in zip(post, prior)]
    return post
