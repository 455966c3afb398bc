"""list_fn's ood ideal: i.i.d. candidates (class uniform, cipher uniform), P(gold = i) proportional
to P(demos, choice i | one rule) / P(choice i | one rule) (list_fn's docstring)."""

from __future__ import annotations

import math
from functools import lru_cache

from ._list_fn_coset import EMPTY, Digits, pin_cipher
from ._list_fn_space import PRIMITIVES, classes


def _space(variant: str, cfg) -> tuple:
    return classes(cfg.length, cfg.min_depth, cfg.max_depth)


def _weight(pinned: int) -> float:
    """The chance that a uniform cipher maps `pinned` given digits to given distinct digits."""
    return math.factorial(10 - pinned) / math.factorial(10)


@lru_cache(maxsize=512)
def _survivors(variant: str, cfg, demos: tuple) -> tuple:
    """(index in the ood space, partial cipher) for every class consistent with the demos."""
    if not demos:
        return tuple((i, EMPTY) for i in range(len(_space(variant, cfg))))
    x, y = demos[-1]
    out = tuple(int(t) for t in y)
    images = _images(variant, cfg, tuple(x))
    live = []
    for i, (pin, inv) in _survivors(variant, cfg, demos[:-1]):
        ext = pin_cipher(pin, inv, images[i], out)
        if ext is not None:
            live.append((i, ext))
    return tuple(live)


@lru_cache(maxsize=64)
def _images(variant: str, cfg, x: Digits) -> tuple:
    """Every rule's output on x, in space order; programs sharing a prefix share its value."""
    done: dict = {(): x}
    out = []
    for program in _space(variant, cfg):
        for d in range(1, len(program) + 1):
            if program[:d] not in done:
                done[program[:d]] = PRIMITIVES[program[d - 1]](done[program[:d - 1]])
        out.append(done[program])
    return tuple(out)


def gold_terms(variant, cfg, demos, query, choices) -> list[float]:
    """Per choice: the prior mass of rules consistent with the demos and (query, choice)."""
    images = _images(variant, cfg, query)
    outs = [tuple(int(t) for t in c) for c in choices]
    pats = [_pattern(o) for o in outs]
    terms = [0.0] * len(choices)
    for idx, (pin, inv) in _survivors(variant, cfg, demos):
        got = images[idx]
        for i, out in enumerate(outs):
            if _pattern(got) != pats[i]:
                continue
            ext = pin_cipher(pin, inv, got, out)
            if ext is not None:
                terms[i] += _weight(sum(d != -1 for d in ext[0]))
    return terms


@lru_cache(maxsize=1 << 16)
def _pattern(xs) -> tuple:
    """Positions of repeated digits: (0, 1, 0, 2) for 3738."""
    first: dict = {}
    return tuple(first.setdefault(d, len(first)) for d in xs)


@lru_cache(maxsize=4096)
def prior_term(variant, cfg, query: Digits, choice: str) -> float:
    """P(one prior rule maps the query to `choice`) (up to the constant 1/|space|)."""
    out = tuple(int(t) for t in choice)
    counts = _pattern_counts(variant, cfg, query)
    return counts.get(_pattern(out), 0) * _weight(len(set(out)))


@lru_cache(maxsize=64)
def _pattern_counts(variant, cfg, query) -> dict:
    counts: dict = {}
    for got in _images(variant, cfg, query):
        key = _pattern(got)
        counts[key] = counts.get(key, 0) + 1
    return counts
