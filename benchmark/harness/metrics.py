"""The figures that must equal lm-eval's, taken from lm-eval itself (never re-implemented).

lm-eval reports a task's ``<metric>_stderr`` as ``mean_stderr`` of the per-doc values ("N/A"
for a single doc), a group's as ``pooled_sample_stderr`` of its members', and hashes every
doc, prompt and target with ``hash_string``.  The fine-tuning baseline writes these figures
and verification recomputes them: both through this module.
"""

from __future__ import annotations

import json

from lm_eval.api.metrics import mean, mean_stderr, pooled_sample_stderr
from lm_eval.utils import hash_string

__all__ = ["doc_hash", "group_stderr", "hash_string", "mean", "stderr"]


def stderr(values: list[float]) -> float | str:
    """A task's stderr as lm-eval reports it: ``mean_stderr``, or "N/A" for fewer than two values."""
    return mean_stderr(values) if len(values) > 1 else "N/A"


def group_stderr(stderrs: list, sizes: list[int]) -> float | str:
    """A group's stderr as lm-eval aggregates it (weighted by size): "N/A" when a member's is."""
    if "N/A" in stderrs:
        return "N/A"
    return float(pooled_sample_stderr(stderrs, sizes))


def doc_hash(doc: dict) -> str:
    """lm-eval's ``doc_hash``: the doc serialised as ``json.dumps(indent=2, ensure_ascii=False)``."""
    return hash_string(json.dumps(doc, indent=2, ensure_ascii=False))
