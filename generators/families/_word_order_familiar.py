"""word_order's familiar reorderings, twice: as slot permutations (the generator's exclusion)
and as sequence operations written with slicing (the independent behavioural checker).

An order o maps a sentence s to (s[o[0]], ..., s[o[n-1]]).
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Callable, Sequence

from ..core import one_renaming


def id_orders(n: int) -> dict[str, tuple[int, ...]]:
    """The id rules on the role template: subject, verb, object, adverb (each noun phrase n/2-1 words)."""
    h = (n - 2) // 2
    subj, verb, obj, adv = list(range(h)), [h], list(range(h + 1, 2 * h + 1)), [n - 1]
    return {
        "reverse": tuple(range(n))[::-1],
        "swap_subject_object": tuple(obj + verb + subj + adv),
        "verb_final": tuple(subj + obj + verb + adv),
        "verb_initial": tuple(verb + subj + obj + adv),
        "adverb_front": tuple(adv + subj + verb + obj),
        "first_to_end": tuple(range(1, n)) + (0,),
        "swap_first_two": (1, 0) + tuple(range(2, n)),
        "swap_ends": (n - 1,) + tuple(range(1, n - 1)) + (0,),
    }


@lru_cache(maxsize=None)
def familiar_orders(n: int) -> frozenset:
    base = list(range(n))
    out = set(id_orders(n).values())
    for k in range(n):
        out.add(tuple(base[k:] + base[:k]))  # rotations (identity at k=0)
    for a, b in itertools.permutations(range(n), 2):
        moved = base[:]
        moved.insert(b, moved.pop(a))  # one word moved
        out.add(tuple(moved))
        swapped = base[:]
        swapped[a], swapped[b] = swapped[b], swapped[a]  # two words swapped
        out.add(tuple(swapped))
    for a in range(n):
        for b in range(a + 1, n + 1):
            out.add(tuple(base[:a] + base[a:b][::-1] + base[b:]))  # a block reversed
            for c in range(b + 1, n + 1):
                out.add(tuple(base[:a] + base[b:c] + base[a:b] + base[c:]))  # adjacent blocks swapped
    out.add(tuple(p ^ 1 for p in base))  # adjacent pairs swapped
    with_reverse = set()
    for o in out:  # each composed with reversal, before or after
        with_reverse.add(o[::-1])
        with_reverse.add(tuple(n - 1 - p for p in o))
    return frozenset(out | with_reverse)


@lru_cache(maxsize=None)
def allowed_orders(n: int) -> tuple[tuple[int, ...], ...]:
    """The ood orders: every permutation of the n slots that is not familiar, in a fixed order."""
    bad = familiar_orders(n)
    return tuple(o for o in itertools.permutations(range(n)) if o not in bad)


# -- the independent checker ----------------------------------------------------------------------
Fn = Callable[[Sequence[str]], list]


def _checker_functions(n: int) -> list[tuple[str, Fn]]:
    fns: list[tuple[str, Fn]] = [("identity", lambda s: list(s)), ("sort", sorted),
                                 ("sort_desc", lambda s: sorted(s, reverse=True))]
    fns += [(f"rotate{k}", lambda s, k=k: list(s[k:]) + list(s[:k])) for k in range(1, n)]
    for a in range(n):
        for b in range(n):
            if a != b:
                fns.append((f"move{a}to{b}", lambda s, a=a, b=b: _move(s, a, b)))
            if a < b:
                fns.append((f"swap{a}{b}", lambda s, a=a, b=b: _swap(s, a, b)))
        for b in range(a + 2, n + 1):
            fns.append((f"reverse{a}:{b}", lambda s, a=a, b=b: list(s[:a]) + list(s[a:b])[::-1] + list(s[b:])))
            for c in range(b + 1, n + 1):
                fns.append((f"blocks{a}:{b}:{c}",
                            lambda s, a=a, b=b, c=c: list(s[:a]) + list(s[b:c]) + list(s[a:b]) + list(s[c:])))
    fns.append(("swap_pairs", lambda s: [s[i ^ 1] for i in range(len(s))]))
    h = (n - 2) // 2
    fns += [("swap_subject_object", lambda s: list(s[h + 1:2 * h + 1]) + [s[h]] + list(s[:h]) + [s[-1]]),
            ("verb_final", lambda s: list(s[:h]) + list(s[h + 1:2 * h + 1]) + [s[h], s[-1]]),
            ("verb_initial", lambda s: [s[h]] + list(s[:h]) + list(s[h + 1:2 * h + 1]) + [s[-1]]),
            ("adverb_front", lambda s: [s[-1]] + list(s[:-1]))]
    out = []
    for name, f in fns:
        out += [(name, f), (f"reverse.{name}", lambda s, f=f: f(s)[::-1]),
                (f"{name}.reverse", lambda s, f=f: f(list(s)[::-1]))]
    return out


def _move(s, a, b):
    t = list(s)
    t.insert(b, t.pop(a))
    return t


def _swap(s, a, b):
    t = list(s)
    t[a], t[b] = t[b], t[a]
    return t


def familiar_function_match(xs: list, ys: list) -> str | None:
    """The name of a familiar sequence operation f such that ys[i] = R(f(xs[i])) for one
    injective word renaming R, or None."""
    for name, f in _checker_functions(len(xs[0])):
        fxs = [f(x) for x in xs]
        if all(len(fx) == len(y) for fx, y in zip(fxs, ys)) and one_renaming(
                p for fx, y in zip(fxs, ys) for p in zip(fx, y)):
            return name
    return None
