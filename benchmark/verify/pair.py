"""An entry's two halves, the in-context run and its fine-tuning baseline, must be one model's."""

from __future__ import annotations

from .result import Verified

_IDENTITY = ("model_name", "model_sha", "num_parameters")


def check_same_model(icl: Verified, ft: Verified) -> None:
    """Add a ``model-mismatch`` problem to ``ft`` unless both runs name the same model: the same name,
    and the same sha and parameter count wherever both runs record them (lm-eval records both for
    ``hf`` models; a fine-tuning run records its ``--model``)."""
    a, b = icl.model, ft.model
    if not a.get("model_name") or a.get("model_name") != b.get("model_name"):
        ft.add("model-mismatch", str(ft.folder),
               f"the fine-tuning run's model {b.get('model_name')!r:.80} is not the in-context run's "
               f"{a.get('model_name')!r:.80}")
        return
    for key in _IDENTITY[1:]:
        if a.get(key) not in (None, "") and b.get(key) not in (None, "") and a[key] != b[key]:
            ft.add("model-mismatch", str(ft.folder), f"{key} {b[key]!r:.80} differs from the in-context run's "
                                                     f"{a[key]!r:.80}")
