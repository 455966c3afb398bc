"""cipher's familiar substitutions, their cycle types (the exclusion) and the conjugacy checker."""

from __future__ import annotations

import math
import string
from functools import lru_cache

ABC = string.ascii_lowercase
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _perm(image) -> str:
    return "".join(image[c] for c in ABC)


@lru_cache(maxsize=1)
def familiar() -> dict[str, str]:
    """name -> permutation (the image of a..z) of every familiar substitution."""
    out = {}
    for a in (1, 3, 5, 7, 9, 11, 15, 17, 19, 21, 23, 25):
        for b in range(26):
            out[f"affine a={a} b={b}"] = "".join(ABC[(a * i + b) % 26] for i in range(26))
    for step, name in ((1, "right"), (-1, "left")):
        image = {r[i]: r[(i + step) % len(r)] for r in _KEY_ROWS for i in range(len(r))}
        out[f"keyboard {name}"] = _perm(image)
        vowels = "aeiou"
        out[f"vowel rotation {name}"] = _perm({c: vowels[(vowels.index(c) + step) % 5] if c in vowels else c
                                               for c in ABC})
    out["swap neighbour pairs"] = _perm({c: ABC[i ^ 1] for i, c in enumerate(ABC)})
    return out


def cycle_type(perm: str) -> tuple[int, ...]:
    seen, lengths = set(), []
    for start in ABC:
        n, c = 0, start
        while c not in seen:
            seen.add(c)
            c = perm[ord(c) - 97]
            n += 1
        if n:
            lengths.append(n)
    return tuple(sorted(lengths))


@lru_cache(maxsize=1)
def excluded_types() -> frozenset:
    return frozenset(cycle_type(p) for p in familiar().values())


def excluded_count() -> int:
    return sum(math.factorial(26) // _centraliser(t) for t in excluded_types())


def _cycles(perm: str) -> list[list[str]]:
    seen, out = set(), []
    for start in ABC:
        cyc, c = [], start
        while c not in seen:
            seen.add(c)
            cyc.append(c)
            c = perm[ord(c) - 97]
        if cyc:
            out.append(cyc)
    return sorted(out, key=len)


def conjugator(g: str, f: str) -> dict | None:
    """A renaming pi with f = pi g pi^-1, matching g's cycles to f's by length; None if none fits."""
    cg, cf = _cycles(g), _cycles(f)
    if [len(c) for c in cg] != [len(c) for c in cf]:
        return None
    return {a: b for x, y in zip(cg, cf) for a, b in zip(x, y)}


def conjugate(pi: dict, g: str, word: str) -> str:
    inv = {b: a for a, b in pi.items()}
    return "".join(pi[g[ord(inv[c]) - 97]] for c in word)


def _centraliser(cycle_type: tuple[int, ...]) -> int:
    """26! / (permutations of this cycle type)."""
    counts: dict[int, int] = {}
    for n in cycle_type:
        counts[n] = counts.get(n, 0) + 1
    return math.prod(n ** m * math.factorial(m) for n, m in counts.items())
