"""Display names of entries: one normal form, a bounded width, and a confusable skeleton.

A name is stored in NFKC (fullwidth letters, ligatures and compatibility forms folded), printable,
at most ``MAX_WIDTH`` terminal columns wide (East Asian wide characters count 2, combining marks 0)
with at most ``MAX_MARKS_RUN`` combining marks on one character and ``MAX_MARKS`` in all.

Two names whose ``skeleton`` is equal look alike and cannot both be on the board.  The skeleton
follows Unicode TR39's recipe (NFD, map each character to its prototype, NFD again) with a small
built-in table instead of the full ``confusables.txt``: the Cyrillic and Greek letters that look
like Latin ones, the digits and symbols that look like letters (0/O, 1/l/I/|), a few multi-letter
look-alikes (rn/m, vv/w, cl/d), and fullwidth forms (folded by NFKC before).  Combining marks are
dropped, case is folded (so i, I, l, 1 and | are one letter) and every separator (space, ``-``, ``_``, ``/``, ``.``, ``:``) is one.
"""

from __future__ import annotations

import unicodedata

MAX_WIDTH = 60
MAX_MARKS = 8
MAX_MARKS_RUN = 2
MAX_CHARS = 100

# TR39-style prototypes (a subset of confusables.txt): look-alike -> Latin.
_LATIN_LOOKALIKES = {
    # Cyrillic lower / upper
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "ɡ": "g", "ь": "b", "п": "n", "г": "r",
    "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y",
    # Greek lower / upper
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin-ish symbols and digits
    "0": "o", "1": "l", "I": "l", "|": "l", "ǀ": "l", "ı": "i", "ȷ": "j", "ℓ": "l", "5": "s", "$": "s",
    "@": "a", "€": "e",
    "i": "l",  # after case folding 'I' is 'i': i, I, l, 1 and | are one letter here (over-matching is safe)
}
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"))
_SEPARATORS = set(" -_/.:,+~()[]{}'\"`")
_RESERVED = ("reference", "ideal learner", "chance", "copy baseline")


def normal(name: str) -> str:
    """The stored form of a display name."""
    return unicodedata.normalize("NFKC", name)


def width(name: str) -> int:
    """Terminal columns: wide and fullwidth characters 2, combining marks 0."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in name)


def problem(name) -> str | None:
    """Why ``name`` cannot be a display name, or None."""
    if not isinstance(name, str):
        return "must be text"
    if not 1 <= len(name) <= MAX_CHARS:
        return f"1-{MAX_CHARS} characters"
    if normal(name) != name:
        return "not in Unicode NFKC form (fullwidth or compatibility characters)"
    if not name.isprintable() or name != name.strip():
        return "control, format or invisible characters, or spaces at the ends"
    if width(name) > MAX_WIDTH:
        return f"wider than {MAX_WIDTH} columns"
    marks = run = 0
    for c in name:
        if unicodedata.combining(c):
            marks, run = marks + 1, run + 1
            if run > MAX_MARKS_RUN:
                return f"more than {MAX_MARKS_RUN} combining marks on one character"
        else:
            run = 0
    if marks > MAX_MARKS:
        return f"more than {MAX_MARKS} combining marks"
    if not any(c.isalnum() for c in name):
        return "needs at least one letter or digit"
    return None


def skeleton(name: str) -> str:
    """The confusable skeleton: equal skeletons look alike (see the module's docstring)."""
    text = unicodedata.normalize("NFD", normal(name))
    text = "".join(_LATIN_LOOKALIKES.get(c, c) for c in text if not unicodedata.combining(c))
    text = unicodedata.normalize("NFD", text).casefold()
    text = "".join(_LATIN_LOOKALIKES.get(c, c) for c in text if not unicodedata.combining(c))
    for many, one in _MULTI:
        text = text.replace(many, one)
    out, last_sep = [], True
    for c in text:
        if c in _SEPARATORS or c.isspace():
            if not last_sep:
                out.append("-")
            last_sep = True
        else:
            out.append(c)
            last_sep = False
    return "".join(out).rstrip("-")


def reserved(name: str) -> bool:
    """A model entry may not look like a reference entry's name."""
    sk = skeleton(name)
    return any(sk == skeleton(r) or sk.startswith(skeleton(r) + "-") for r in _RESERVED)
