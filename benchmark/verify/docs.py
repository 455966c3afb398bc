"""Per-document checks of one task's logged samples against the regenerated rows.

For every doc: the logged doc, target and prompt equal what the official loader and prompt
give for the recorded seed; the three hashes are lm-eval's (``hash_string`` over the same
serialisations); and each metric is recomputed from the logged responses exactly as
lm-eval's ``ConfigurableTask.process_results`` does (numpy argmax, ties to the first).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..generators import render_prompt
from ..harness.metrics import doc_hash, hash_string
from ..io import is_int, is_number, shown
from ..suite import GENERATIVE
from .chat import CHAT_FILTER, logged_prompt, prompt_holds_doc, score_chat_sample

MC_METRICS = ("acc", "acc_norm")
GEN_METRICS = ("exact_match",)
_DETAILS = 3  # examples kept per (reason) before counting the rest


@dataclass
class DocCheck:
    """What one task's samples gave: per-doc scores (by doc_id), hashes in file order, problems."""

    scores: dict[str, list]
    hashes: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)  # code -> details
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, code: str, detail: str) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1
        if len(self.problems.setdefault(code, [])) < _DETAILS:
            self.problems[code].append(detail)


def metrics_of(method: str) -> tuple[str, ...]:
    return GEN_METRICS if method in GENERATIVE else MC_METRICS


def filter_of(method: str) -> str:
    """The filter a task's samples and figures are keyed by (``acc,none``, ``exact_match,first_line``)."""
    return CHAT_FILTER if method == "chat" else "none"


def check_samples(samples, docs: list[dict], *, method: str, gen_kwargs: dict | None) -> DocCheck:
    """``method``: icl (and ft: multiple choice), gen or chat (suite.METHODS)."""
    metrics = metrics_of(method)
    out = DocCheck({m: [None] * len(docs) for m in metrics})
    seen: set[int] = set()
    for line, sample in enumerate(samples, 1):
        where = f"line {line}"
        if not isinstance(sample, dict):
            out.add("malformed-sample", f"{where}: not an object")
            continue
        doc_id = sample.get("doc_id")
        if not is_int(doc_id):
            out.add("malformed-sample", f"{where}: doc_id {shown(doc_id)}")
            continue
        if not 0 <= doc_id < len(docs):
            out.add("unknown-doc", f"doc_id {doc_id} outside 0..{len(docs) - 1}")
            continue
        if doc_id in seen:
            out.add("duplicate-doc", f"doc_id {doc_id} logged twice")
            continue
        seen.add(doc_id)
        hashes = [sample.get(key) for key in ("doc_hash", "prompt_hash", "target_hash")]
        if not all(isinstance(h, str) for h in hashes):
            out.add("malformed-sample", f"doc {doc_id}: hashes missing")
            continue
        out.hashes.append("".join(hashes))
        values = _check_one(out, sample, docs[doc_id], doc_id, method, gen_kwargs)
        if values is not None:
            for metric in metrics:
                out.scores[metric][doc_id] = values[metric]
    missing = [i for i in range(len(docs)) if i not in seen]
    if missing:
        out.add("missing-doc", f"{len(missing)} of {len(docs)} docs not logged (first: {missing[:5]})")
    return out


def _check_one(out: DocCheck, s: dict, doc: dict, doc_id: int, method: str, gen_kwargs) -> dict | None:
    where = f"doc {doc_id}"
    logged = s.get("doc")
    if logged != doc:
        seed = logged.get("seed") if isinstance(logged, dict) else None
        hint = f" (it is from seed {shown(seed, 24)}, the run records seed {doc['seed']})" \
            if seed != doc["seed"] else ""
        out.add("doc-mismatch", f"{where}: logged doc differs from the regenerated row{hint}")
    if s["doc_hash"] != doc_hash(doc):
        out.add("doc-mismatch", f"{where}: doc_hash is not the regenerated doc's")
    target = doc["answer"] if method in GENERATIVE else str(doc["label"])
    if s.get("target") != target:
        out.add("target-mismatch", f"{where}: target {shown(s.get('target'), 40)}, expected {target!r}")
    if s["target_hash"] != hash_string(target):
        out.add("target-mismatch", f"{where}: target_hash is not the gold target's")
    if method == "chat":
        _check_chat_prompt(out, s, doc, where, gen_kwargs)
    else:
        _check_prompt(out, s, doc, where, method, gen_kwargs)
    want_filter = filter_of(method)
    if s.get("filter") != want_filter:
        out.add("config-mismatch", f"{where}: filter {shown(s.get('filter'), 30)}, official {want_filter!r}")
    metrics = metrics_of(method)
    if s.get("metrics") != list(metrics):
        out.add("config-mismatch", f"{where}: metrics {shown(s.get('metrics'), 40)}, official {list(metrics)}")
    values = {"chat": _score_chat, "gen": _score_gen}.get(method, _score_mc)(out, s, doc, where)
    if values is None:
        return None
    for metric, value in values.items():
        logged = s.get(metric)
        if not is_number(logged) or logged != value:
            out.add("metric-mismatch", f"{where}: {metric} logged {shown(logged, 20)}, recomputed {value}")
    return values


def _check_prompt(out: DocCheck, s: dict, doc: dict, where: str, method: str, gen_kwargs) -> None:
    """The raw prompt: its hash and every request's arguments are the official ones."""
    prompt = render_prompt(doc["demos"], doc["query"])
    if s["prompt_hash"] != hash_string(prompt):
        out.add("prompt-mismatch", f"{where}: prompt_hash is not the official prompt's")
    if method == "gen":
        want_args = {"gen_args_0": {"arg_0": prompt, "arg_1": gen_kwargs}}
    else:
        want_args = {f"gen_args_{i}": {"arg_0": prompt, "arg_1": " " + c} for i, c in enumerate(doc["choices"])}
    if s.get("arguments") != want_args:
        out.add("prompt-mismatch", f"{where}: request arguments differ from the official prompt and choices")


def _check_chat_prompt(out: DocCheck, s: dict, doc: dict, where: str, gen_kwargs) -> None:
    """A chat prompt is the model's template around the official chat text (verify/chat.py)."""
    prompt = logged_prompt(s.get("arguments"), gen_kwargs)
    if prompt is None:
        out.add("prompt-mismatch", f"{where}: not one generation request with the official generation arguments")
    elif not prompt_holds_doc(prompt, doc):
        out.add("prompt-mismatch", f"{where}: the logged prompt does not hold the doc's official chat text")
    elif s["prompt_hash"] != hash_string(prompt):
        out.add("prompt-mismatch", f"{where}: prompt_hash is not the logged prompt's")


def _score_chat(out: DocCheck, s: dict, doc: dict, where: str) -> dict | None:
    problem, values = score_chat_sample(s, doc)
    if problem:
        out.add("response-malformed", f"{where}: {problem}")
    return values


def _score_mc(out: DocCheck, s: dict, doc: dict, where: str) -> dict | None:
    resps, filtered = s.get("resps"), s.get("filtered_resps")
    n = len(doc["choices"])
    if not (isinstance(resps, list) and isinstance(filtered, list) and len(resps) == n and len(filtered) == n):
        out.add("response-malformed", f"{where}: expected {n} responses (one per choice)")
        return None
    lls = []
    for raw, kept in zip(resps, filtered):
        if not (isinstance(raw, list) and len(raw) == 1 and raw[0] == kept):
            out.add("response-malformed", f"{where}: filtered_resps is not the first of resps")
            return None
        if not (isinstance(kept, list) and len(kept) == 2 and all(isinstance(x, str) for x in kept)
                and kept[1] in ("True", "False")):
            out.add("response-malformed", f"{where}: response {shown(kept, 40)} is not [loglikelihood, is_greedy]")
            return None
        try:
            ll = float(kept[0])
        except ValueError:
            ll = math.nan
        if math.isnan(ll) or ll > 0.0 or len(kept[0]) > 40:
            out.add("out-of-range", f"{where}: loglikelihood {shown(kept[0], 30)} is not a number <= 0")
            return None
        lls.append(ll)
    lls_arr = np.array(lls, dtype=np.float64)
    lengths = np.array([float(len(c)) for c in doc["choices"]])
    label = doc["label"]
    return {"acc": 1.0 if int(np.argmax(lls_arr)) == label else 0.0,
            "acc_norm": 1.0 if int(np.argmax(lls_arr / lengths)) == label else 0.0}


def _score_gen(out: DocCheck, s: dict, doc: dict, where: str) -> dict | None:
    resps, filtered = s.get("resps"), s.get("filtered_resps")
    if not (isinstance(resps, list) and len(resps) == 1 and isinstance(resps[0], list) and len(resps[0]) == 1
            and isinstance(resps[0][0], str) and filtered == [resps[0][0]]):
        out.add("response-malformed", f"{where}: expected one generated string, filtered_resps its copy")
        return None
    return {"exact_match": 1.0 if _strip(resps[0][0]) == _strip(doc["answer"]) else 0.0}


def _strip(text: str) -> str:
    """The official gen tasks' ``regexes_to_ignore`` (harness.taskgen._GEN), applied as lm-eval does."""
    for pattern in (r"^\s+", r"\s+$"):
        text = re.sub(pattern, "", text)
    return text
