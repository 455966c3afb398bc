"""list_fn's ood rule space: the bijective primitives, the ood behaviour classes (with the
familiar ones removed), and the independent familiar checker (every variant).  The id and
renamed rules, position permutations, live in list_fn.py.

Every primitive is an affine bijection of Z_10^n, so every program is one too: its values on the
zero list and the unit lists fix it, and the probe set below contains them.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Callable

from ..core import item_rng, one_renaming

Digits = tuple[int, ...]


def _primitives() -> dict[str, Callable[[Digits], Digits]]:
    prims: dict[str, Callable[[Digits], Digits]] = {
        "reverse": lambda xs: xs[::-1],
        "rotl1": lambda xs: xs[1:] + xs[:1],
        "rotr1": lambda xs: xs[-1:] + xs[:-1],
        "swap_ends": lambda xs: xs[-1:] + xs[1:-1] + xs[:1],
        "swap_first_two": lambda xs: xs[1::-1] + xs[2:],
        "cumsum": lambda xs: tuple(sum(xs[: i + 1]) % 10 for i in range(len(xs))),
        "rcumsum": lambda xs: tuple(sum(xs[i:]) % 10 for i in range(len(xs))),
        "diff": lambda xs: xs[:1] + tuple((b - a) % 10 for a, b in zip(xs, xs[1:])),
        "rdiff": lambda xs: tuple((a - b) % 10 for a, b in zip(xs, xs[1:])) + xs[-1:],
        "add_index": lambda xs: tuple((x + i) % 10 for i, x in enumerate(xs)),
        "sub_index": lambda xs: tuple((x - i) % 10 for i, x in enumerate(xs)),
        "add_first": lambda xs: xs[:1] + tuple((x + xs[0]) % 10 for x in xs[1:]),
        "add_last": lambda xs: tuple((x + xs[-1]) % 10 for x in xs[:-1]) + xs[-1:],
        "add_next": lambda xs: tuple((a + b) % 10 for a, b in zip(xs, xs[1:])) + xs[-1:],
        "add_prev": lambda xs: xs[:1] + tuple((a + b) % 10 for a, b in zip(xs, xs[1:])),
        "add_index2": lambda xs: tuple((x + 2 * i) % 10 for i, x in enumerate(xs)),
        "swap_pairs": lambda xs: tuple(xs[i ^ 1] if i ^ 1 < len(xs) else xs[i] for i in range(len(xs))),
    }
    for c in range(1, 10):
        prims[f"add{c}"] = lambda xs, c=c: tuple((x + c) % 10 for x in xs)
    for u in (3, 7, 9):
        prims[f"mul{u}"] = lambda xs, u=u: tuple((x * u) % 10 for x in xs)
    for c in range(10):
        prims[f"{c}minus"] = lambda xs, c=c: tuple((c - x) % 10 for x in xs)
    return prims


PRIMITIVES = _primitives()
_NAMES = tuple(sorted(PRIMITIVES))


def run(program: tuple[str, ...], xs: Digits) -> Digits:
    for name in program:
        xs = PRIMITIVES[name](xs)
    return xs


@lru_cache(maxsize=None)
def _probes(n: int) -> tuple[Digits, ...]:
    rng = item_rng("list_fn", "probes", n)
    units = [tuple(int(i == p) for i in range(n)) for p in range(n)]
    return tuple([(0,) * n] + units + [tuple(rng.randrange(10) for _ in range(n)) for _ in range(24)])


def _class_key(outputs) -> tuple:
    """The outputs on the probes with digits relabelled by first appearance: equal keys = equal
    functions up to a renaming of the output digits."""
    first: dict = {}
    return tuple(first.setdefault(d, len(first)) for out in outputs for d in out)


_AFFINE = tuple((u, c) for u in (1, 3, 7, 9) for c in range(10))  # input renamings x -> ux+c


def _generator_familiar(n: int) -> list[Callable[[Digits], Digits]]:
    """Familiar operations as functions (the generator's exclusion)."""
    fns = [PRIMITIVES[name] for name in _NAMES] + [lambda xs: xs, lambda xs: tuple(sorted(xs)),
                                                   lambda xs: tuple(sorted(xs, reverse=True))]
    base = tuple(range(n))
    perms = set()
    for k in range(n):
        rot = base[k:] + base[:k]
        perms |= {rot, rot[::-1]}
    for a, b in itertools.combinations(range(n), 2):
        t = list(base)
        t[a], t[b] = t[b], t[a]
        perms.add(tuple(t))
    fns += [lambda xs, o=o: tuple(xs[p] for p in o) for o in sorted(perms)]
    return fns


@lru_cache(maxsize=None)
def classes(n: int, lo: int, hi: int) -> tuple[tuple[str, ...], ...]:
    """One program per behaviour class of the compositions of lo..hi primitives, familiar
    classes removed, in a fixed order.  Breadth-first over distinct functions (exact on probes)."""
    probes = _probes(n)
    level = {tuple(probes): ()}
    found: dict[tuple, tuple[str, ...]] = {}
    for depth in range(1, hi + 1):
        nxt: dict = {}
        for outs, prog in level.items():
            for name in _NAMES:
                f = PRIMITIVES[name]
                new = tuple(f(o) for o in outs)
                if new not in nxt:
                    nxt[new] = prog + (name,)
        if depth >= lo:
            for outs, prog in nxt.items():
                found.setdefault(_class_key(outs), prog)
        level = nxt
    for f in _generator_familiar(n):
        for u, c in _AFFINE:
            found.pop(_class_key([f(tuple((u * d + c) % 10 for d in p)) for p in probes]), None)
    return tuple(found.values())


# -- the independent checker ----------------------------------------------------------------------
def _checker_functions(n: int) -> list[tuple[str, Callable[[list], list]]]:
    acc = lambda xs: list(itertools.accumulate(xs, lambda a, b: (a + b) % 10))  # noqa: E731
    fns = [("identity", lambda s: s), ("sort", sorted), ("sort_desc", lambda s: sorted(s)[::-1]),
           ("prefix_sums", acc), ("suffix_sums", lambda s: acc(s[::-1])[::-1]),
           ("differences", lambda s: [s[0]] + [(s[i] - s[i - 1]) % 10 for i in range(1, len(s))]),
           ("rdifferences", lambda s: [(s[i] - s[i + 1]) % 10 for i in range(len(s) - 1)] + [s[-1]]),
           ("plus_index", lambda s: [(x + i) % 10 for i, x in enumerate(s)]),
           ("minus_index", lambda s: [(x - i) % 10 for i, x in enumerate(s)]),
           ("plus_first", lambda s: [s[0]] + [(x + s[0]) % 10 for x in s[1:]]),
           ("plus_last", lambda s: [(x + s[-1]) % 10 for x in s[:-1]] + [s[-1]]),
           ("plus_next", lambda s: [(s[i] + s[i + 1]) % 10 for i in range(len(s) - 1)] + [s[-1]]),
           ("plus_previous", lambda s: [s[0]] + [(s[i] + s[i - 1]) % 10 for i in range(1, len(s))]),
           ("plus_twice_index", lambda s: [(x + 2 * i) % 10 for i, x in enumerate(s)]),
           ("swap_pairs", lambda s: [s[i ^ 1] if i ^ 1 < len(s) else s[i] for i in range(len(s))])]
    for k in range(n):
        fns.append((f"rotate{k}", lambda s, k=k: s[k:] + s[:k]))
        fns.append((f"reflect{k}", lambda s, k=k: (s[k:] + s[:k])[::-1]))
    for a, b in itertools.combinations(range(n), 2):
        fns.append((f"swap{a}{b}", lambda s, a=a, b=b: [s[b] if i == a else s[a] if i == b else x
                                                        for i, x in enumerate(s)]))
    return fns


def familiar_function_match(xs: list, ys: list) -> str | None:
    """A familiar operation f and input renaming r (x -> ux+c) with ys[i] = R(f(r(xs[i]))) for
    one injective output renaming R, or None."""
    for name, f in _checker_functions(len(xs[0])):
        for u, c in _AFFINE:
            if one_renaming(p for x, y in zip(xs, ys) for p in zip(f([(u * d + c) % 10 for d in x]), y)):
                return name if (u, c) == (1, 0) else f"{name} after x->{u}x+{c}"
    return None
