"""The ood prior of regular_lang: novel, well-separated languages of small automata (stdlib only).

A language is a bit mask over the input space: strings of lengths lo..hi over two symbols, in
per-length blocks, a string's first symbol the least significant bit of its place in its block.
Distances and rates are taken under the input distribution (uniform length, then uniform string):
``spread`` repeats a length-L block 2**(hi-L) times, so one popcount is a mass in units of
1 / ((hi-lo+1) * 2**hi).

The pool, built once per configuration (a few seconds):
1. every language of a complete DFA with ``n_states`` states (start state 0), with the number of
   raw automata giving it;
2. kept if it accepts 25-75% of the inputs (both labels show up in demos);
3. kept if no familiar feature explains it: for each feature of the generator's list (length,
   count of one symbol, the symbol at one of the first or last three positions, first and last,
   parities, runs, balance, sortedness, palindrome, starts / ends / contains a 2- or 3-symbol
   word), the best function of that feature disagrees with the language on at least
   ``near_familiar`` of the input mass (exact familiars disagree on 0);
4. a greedy packing, simplest languages (most raw automata) first: a language is kept only if it
   differs from every kept one on at least ``min_distance`` of the input mass (complements kept
   together), so that 16 demos leave no near-twin of the gold standing.
"""

from __future__ import annotations

import itertools
from functools import lru_cache


def _spans(table: tuple, n: int, lo: int, hi: int) -> list[int]:
    """Per state, the mask of strings (lengths lo..hi) that end in it.  Appending symbol c to
    the strings of length L sets bit L of their place, a shift by c * 2**L within the block."""
    reach, spans, offset = [1] + [0] * (n - 1), [0] * n, 0
    for length in range(hi + 1):
        if length >= lo:
            for s in range(n):
                spans[s] |= reach[s] << offset
            offset += 2 ** length
        nxt = [0] * n
        for s in range(n):
            if reach[s]:
                nxt[table[2 * s]] |= reach[s]
                nxt[table[2 * s + 1]] |= reach[s] << 2 ** length
        reach = nxt
    return spans


def spread(mask: int, lo: int, hi: int) -> int:
    out, offset = 0, 0
    for length in range(lo, hi + 1):
        block = mask >> offset & ((1 << 2 ** length) - 1)
        offset += 2 ** length
        for _ in range(2 ** (hi - length)):
            out = out << 2 ** length | block
    return out


def _strings(lo: int, hi: int):
    """(length, value) in mask order; symbol i of the string is bit i of value."""
    return [(n, v) for n in range(lo, hi + 1) for v in range(2 ** n)]


def _features(lo: int) -> dict:
    """The generator's familiar features, on (length, value) with symbol i = bit i of value."""
    ones = int.bit_count

    def runs(n, v):
        return 1 + ones((v ^ (v >> 1)) & ((1 << (n - 1)) - 1))

    def rev(n, v):
        return int(format(v, f"0{n}b"), 2)  # format writes bit n-1 first: the reversed string

    feats = {
        "length": lambda n, v: n,
        "count of b": lambda n, v: ones(v),
        "count of a": lambda n, v: n - ones(v),
        "parities of b": lambda n, v: (ones(v) % 2, n % 2),
        "parities of a": lambda n, v: ((n - ones(v)) % 2, n % 2),
        "first and last": lambda n, v: (v & 1, v >> (n - 1) & 1),
        "length parity and first": lambda n, v: (n % 2, v & 1),
        "length parity and last": lambda n, v: (n % 2, v >> (n - 1) & 1),
        "runs": runs,
        "balance": lambda n, v: (2 * ones(v) > n) - (2 * ones(v) < n),
        "sorted": lambda n, v: (v == ((1 << n) - 1) ^ ((1 << (n - ones(v))) - 1), v == (1 << ones(v)) - 1),
        "palindrome": lambda n, v: rev(n, v) == v,
    }
    for i in range(min(3, lo)):
        feats[f"symbol {i + 1}"] = lambda n, v, i=i: v >> i & 1
        feats[f"symbol {i + 1} from the end"] = lambda n, v, i=i: v >> (n - 1 - i) & 1
    for size in (2, 3):
        for w in range(2 ** size):
            low = (1 << size) - 1
            feats[f"starts {size}:{w}"] = lambda n, v, w=w, low=low: v & low == w
            feats[f"ends {size}:{w}"] = lambda n, v, w=w, low=low, size=size: v >> (n - size) == w
            feats[f"contains {size}:{w}"] = (
                lambda n, v, w=w, low=low, size=size: any(v >> j & low == w for j in range(n - size + 1)))
    return feats


@lru_cache(maxsize=None)
def _classes(lo: int, hi: int) -> tuple:
    """Per feature, the spread masks of its classes."""
    out = []
    for name, f in _features(lo).items():
        groups: dict = {}
        for idx, (n, v) in enumerate(_strings(lo, hi)):
            groups[f(n, v)] = groups.get(f(n, v), 0) | 1 << idx
        out.append((name, tuple(spread(m, lo, hi) for m in groups.values())))
    return tuple(out)


def familiar_distance(mask: int, lo: int, hi: int) -> tuple[int, str]:
    """The least disagreement (in spread units) of the best function of a familiar feature."""
    e = spread(mask, lo, hi)
    best = (1 << 62, "")
    for name, classes in _classes(lo, hi):
        d = 0
        for c in classes:
            inside = (e & c).bit_count()
            d += min(inside, c.bit_count() - inside)
        best = min(best, (d, name))
    return best


@lru_cache(maxsize=None)
def pool(n_states: int, lo: int, hi: int, min_distance: float, near_familiar: float) -> tuple:
    """(DFA text, language mask) of the ood prior, closed under complement."""
    counts: dict[int, int] = {}
    reps: dict[int, str] = {}
    n = n_states
    for table in itertools.product(range(n), repeat=2 * n):
        spans = _spans(table, n, lo, hi)
        for accept in range(1, 2 ** n - 1):
            mask = 0
            for s in range(n):
                if accept >> s & 1:
                    mask |= spans[s]
            counts[mask] = counts.get(mask, 0) + 1
            if mask not in reps:
                reps[mask] = f"d={''.join(map(str, table))} F={''.join(str(s) for s in range(n) if accept >> s & 1)}"
    total = (hi - lo + 1) * 2 ** hi
    full = (1 << sum(2 ** k for k in range(lo, hi + 1))) - 1
    kept: list[int] = []
    kept_spread: list[int] = []
    need = min_distance * total
    for m in sorted(counts, key=lambda m: (-counts[m], m)):
        e = spread(m, lo, hi)
        if m in kept or not 0.25 * total <= e.bit_count() <= 0.75 * total:
            continue
        if familiar_distance(m, lo, hi)[0] < near_familiar * total:
            continue
        if any((e ^ k).bit_count() < need for k in kept_spread):
            continue
        kept += [m, full ^ m]
        kept_spread += [e, spread(full ^ m, lo, hi)]
    return tuple((reps[m], m) for m in kept)
