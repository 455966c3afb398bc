"""The explicit family registry: one dict, no registration by import side effect."""

from __future__ import annotations

import difflib

from .core import Family
from .families.affine import Affine
from .families.assoc_recall import AssocRecall
from .families.base_arith import BaseArith
from .families.cipher import Cipher
from .families.feature_class import FeatureClass
from .families.grid_1d import Grid1d
from .families.label_map import LabelMap
from .families.list_fn import ListFn
from .families.regular_lang import RegularLang
from .families.sequence import Sequence
from .families.string_edit import StringEdit
from .families.word_order import WordOrder

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Cipher(), LabelMap(), ListFn(), BaseArith(), Affine(), Sequence(),
    FeatureClass(), RegularLang(), AssocRecall(), StringEdit(), Grid1d(), WordOrder(),
)}


class UnknownNameError(ValueError):
    """An unknown family or task name; the message names the close matches."""


def did_you_mean(kind: str, name: str, known: list[str] | tuple[str, ...]) -> UnknownNameError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return UnknownNameError(f"unknown {kind} {name!r}.{hint} Available: {', '.join(known)}")


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise did_you_mean("family", name, sorted(FAMILIES)) from None
