"""regular_lang's novelty checker: the familiar features on tuples of symbol indices.

Written apart from the pool's exclusion (_regular_lang_pool._features works on integer codes and
bit masks); regular_lang.familiar_match applies these by brute force over the input strings.
"""

from __future__ import annotations

import itertools


def checker_features() -> dict:
    """The checker's familiar features, on tuples of symbol indices (independent of the pool's)."""
    feats = {
        "length": len, "count of a": lambda s: s.count(0), "count of b": lambda s: s.count(1),
        "parities of a": lambda s: (s.count(0) % 2, len(s) % 2), "parities of b": lambda s: (s.count(1) % 2, len(s) % 2),
        "first and last": lambda s: (s[0], s[-1]), "length parity and first": lambda s: (len(s) % 2, s[0]),
        "length parity and last": lambda s: (len(s) % 2, s[-1]),
        "runs": lambda s: len(list(itertools.groupby(s))),
        "balance": lambda s: (s.count(1) > s.count(0)) - (s.count(1) < s.count(0)),
        "sorted": lambda s: (list(s) == sorted(s), list(s) == sorted(s, reverse=True)),
        "palindrome": lambda s: s == s[::-1],
    }
    for i in range(3):
        feats[f"symbol {i + 1}"] = lambda s, i=i: s[i]
        feats[f"symbol {i + 1} from the end"] = lambda s, i=i: s[-1 - i]
    for w in itertools.chain(itertools.product((0, 1), repeat=2), itertools.product((0, 1), repeat=3)):
        feats[f"starts with {w}"] = lambda s, w=w: s[:len(w)] == w
        feats[f"ends with {w}"] = lambda s, w=w: s[-len(w):] == w
        feats[f"contains {w}"] = lambda s, w=w: any(s[j:j + len(w)] == w for j in range(len(s) - len(w) + 1))
    return feats
