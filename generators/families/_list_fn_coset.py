"""list_fn's id and renamed rules: the dihedral group of the positions, its Klein four-subgroup H
(the paired inputs' symmetry) and the exact ideal of the coset draw (list_fn's docstring)."""

from __future__ import annotations

import math
from functools import lru_cache

from ..core import GenerationError

Digits = tuple[int, ...]
Perm = tuple[int, ...]  # a position permutation: output i is input[perm[i]]


# -- id and renamed: the dihedral group of the positions and its Klein four-subgroup ------------
def permute(perm: Perm, xs: Digits) -> Digits:
    return tuple(xs[i] for i in perm)


def compose(p: Perm, q: Perm) -> Perm:
    """p after q: permute(compose(p, q), x) == permute(p, permute(q, x))."""
    return tuple(q[i] for i in p)


@lru_cache(maxsize=None)
def dihedral(n: int) -> dict[Perm, str]:
    """D_n, the rotations and reflections of n positions on a cycle: perm -> name.  ``rotate{k}``
    moves every digit k places left (rotate1: rotate left, rotate{n-1}: rotate right);
    ``reflect{k}`` reverses after rotate{k} (reflect0: reverse; at n=4 reflect1 swaps the 2nd
    and 4th digits, reflect2 swaps adjacent pairs, reflect3 swaps the 1st and 3rd)."""
    out = {}
    for k in range(n):
        out[tuple((i + k) % n for i in range(n))] = f"rotate{k}"
    for k in range(n):
        out[tuple((n - 1 - i + k) % n for i in range(n))] = "reverse" if k == 0 else f"reflect{k}"
    return out


@lru_cache(maxsize=None)
def klein(n: int) -> tuple[Perm, ...]:
    """H: identity, rotate by n/2, reverse, reverse after rotate by n/2 (every element its own
    inverse; at n=4: identity, rotate by 2, reverse, swap adjacent pairs)."""
    _even(n)
    half = n // 2
    return (tuple(range(n)), tuple((i + half) % n for i in range(n)), tuple(range(n - 1, -1, -1)),
            tuple((n - 1 - i + half) % n for i in range(n)))


@lru_cache(maxsize=None)
def dihedral_rules(n: int) -> tuple[Perm, ...]:
    """The id and renamed rules: D_n less the identity (2n - 1 rules), in a fixed order."""
    return tuple(p for p in dihedral(n) if p != tuple(range(n)))


def _even(n: int) -> None:
    if n % 2:
        raise GenerationError(f"list_fn id/renamed need an even length (the symmetry H rotates by n/2): "
                              f"length={n}; use ood, or an even length")


@lru_cache(maxsize=None)
def _offset_pairs(n: int) -> tuple[tuple[Perm, Perm], ...]:
    h = klein(n)
    return tuple((a, b) for a in h[1:] for b in h[1:] if a != b)


# -- id and renamed: the exact ideal of the coset draw ---------------------------------------------
def pin_cipher(pin: tuple, inv: tuple, src: Digits, dst: Digits):
    """Extend the partial cipher (pin, its inverse) so that src reads dst, or None."""
    pin, inv = list(pin), list(inv)
    for a, b in zip(src, dst):
        if pin[a] == -1 and inv[b] == -1:
            pin[a], inv[b] = b, a
        elif pin[a] != b:
            return None
    return tuple(pin), tuple(inv)


EMPTY = ((-1,) * 10, (-1,) * 10)


@lru_cache(maxsize=512)
def _dihedral_survivors(variant: str, n: int, demos: tuple) -> tuple:
    """(rule, partial cipher) for every id/renamed rule consistent with the demos (renamed: under
    one cipher, the one they pin)."""
    if not demos:
        return tuple((p, EMPTY) for p in dihedral_rules(n))
    x, y = demos[-1]
    out = tuple(int(t) for t in y)
    live = []
    for p, (pin, inv) in _dihedral_survivors(variant, n, demos[:-1]):
        got = permute(p, tuple(x))
        if variant == "id":
            if got == out:
                live.append((p, EMPTY))
            continue
        ext = pin_cipher(pin, inv, got, out)
        if ext is not None:
            live.append((p, ext))
    return tuple(live)


def _count(variant: str, pinned, pins) -> int:
    """id: 1 if every pin holds; renamed: the digit ciphers extending ``pinned`` and the pins."""
    if variant == "id":
        return int(all(permute(p, q) == y for p, q, y in pins))
    ext = pinned
    for p, q, y in pins:
        ext = pin_cipher(*ext, permute(p, q), y)
        if ext is None:
            return 0
    return math.factorial(10 - sum(d != -1 for d in ext[0]))


def coset_terms(variant: str, n: int, demos: tuple, query: Digits, choices: tuple) -> list[int]:
    """Per choice j: the draws (gold rule P, offsets h_a, h_b of the other two choices) consistent
    with the demos that give choice j, a and b (renamed: counted with their ciphers)."""
    identity = tuple(range(n))
    outs = [tuple(int(t) for t in c) for c in choices]
    terms = [0] * len(outs)
    for p, pinned in _dihedral_survivors(variant, n, demos):
        for j in range(len(outs)):
            a, b = (i for i in range(len(outs)) if i != j)
            for ha, hb in _offset_pairs(n):
                pa, pb = compose(p, ha), compose(p, hb)
                if identity in (pa, pb):
                    continue
                terms[j] += _count(variant, pinned, ((p, query, outs[j]), (pa, query, outs[a]), (pb, query, outs[b])))
    return terms


def dihedral_predictive(variant: str, n: int, demos: tuple, query: Digits, choices: tuple) -> list[int]:
    outs = [tuple(int(t) for t in c) for c in choices]
    return [sum(_count(variant, pinned, ((p, query, y),)) for p, pinned in _dihedral_survivors(variant, n, demos))
            for y in outs]
