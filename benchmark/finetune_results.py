"""Fine-tuning results in lm-eval's schema, and the per-episode run state that makes runs resumable.

Layout under ``--output-path DIR`` (lm-eval's, so one reader serves both)::

    DIR/<sanitised model>/results_<timestamp>.json
    DIR/<sanitised model>/samples_<task>_<timestamp>.jsonl
    DIR/<sanitised model>/.ood-icl-finetune/run.json            the run's config and timestamp
    DIR/<sanitised model>/.ood-icl-finetune/units/<task>/e00000.json   one per episode and budget

Every file is written to a temporary name and ``os.replace``d into place, so a kill at any
point leaves whole files only.  The final files are a pure function of the unit files and the
run config (no clocks, no paths of the output folder), so a resumed run ends byte-identical to
an uninterrupted one; the timestamp in the names is the first start's, kept in run.json.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from datetime import datetime
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .finetune import FinetuneConfig

STATE_DIR = ".ood-icl-finetune"


def final_files(root: Path) -> dict[str, bytes]:
    """The final files under ``root`` (results, samples), the date stamp taken out of their names:
    what a resumed run and an uninterrupted one must hold byte for byte."""
    return {re.sub(r"_\d{4}-\d\d-\d\dT[\d.-]+(?=\.json)", "", p.name): p.read_bytes()
            for p in Path(root).rglob("*") if p.is_file() and STATE_DIR not in p.parts}


class ConfigMismatch(ValueError):
    """The output folder holds a run with another configuration."""


def hash_string(text: str) -> str:
    """lm_eval.utils.hash_string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sanitize_model_name(name: str) -> str:
    """lm_eval.utils.sanitize_model_name: the folder lm-eval writes a model's results into."""
    return re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name)


def task_name(family: str, variant: str, budget: int) -> str:
    return f"ood_icl_{family}_{variant}_ft{budget}"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------- run state


class RunState:
    """run.json (config + timestamp) and one JSON file per finished (task, episode)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.state = self.folder / STATE_DIR

    def start(self, config: dict) -> str:
        """Create run.json, or check that the existing one has the same config; return the timestamp."""
        path = self.state / "run.json"
        if path.is_file():
            held = json.loads(path.read_text())
            if held["config"] != config:
                diff = sorted(k for k in config.keys() | held["config"].keys()
                              if config.get(k) != held["config"].get(k))
                raise ConfigMismatch(f"{self.folder} holds a run with another {', '.join(diff)}; "
                                     "pass another --output-path (or delete that folder)")
            return held["timestamp"]
        stamp = datetime.now().isoformat().replace(":", "-")  # lm-eval's date_id
        write_atomic(path, json.dumps({"config": config, "timestamp": stamp}, indent=2, sort_keys=True) + "\n")
        return stamp

    def timestamp(self) -> str:
        return json.loads((self.state / "run.json").read_text())["timestamp"]

    def unit_path(self, task: str, episode: int) -> Path:
        return self.state / "units" / task / f"e{episode:05d}.json"

    def done(self, task: str, episode: int) -> bool:
        return self.unit_path(task, episode).is_file()

    def save(self, task: str, episode: int, payload: dict) -> None:
        write_atomic(self.unit_path(task, episode), json.dumps(payload, sort_keys=True) + "\n")

    def load(self, task: str, episode: int) -> dict:
        return json.loads(self.unit_path(task, episode).read_text())


# ----------------------------------------------------------------------------- lm-eval schema


def sample_record(doc_id: int, doc: dict, context: str, responses: list) -> dict:
    """One ``samples_*.jsonl`` line exactly as lm-eval writes a multiple_choice doc.

    ``doc`` is the ``_k0`` doc (demos = []); ``responses`` is (log-likelihood, is_greedy) per choice.
    """
    choices, label = doc["choices"], doc["label"]
    lls = [float(ll) for ll, _ in responses]
    pred = max(range(len(lls)), key=lambda i: (lls[i], -i))  # np.argmax: first maximum
    normed = [ll / len(c) for ll, c in zip(lls, choices)]  # lm-eval divides by len(choice) (no delimiter)
    pred_norm = max(range(len(normed)), key=lambda i: (normed[i], -i))
    resp = [[str(float(ll)), str(bool(g))] for ll, g in responses]
    return {
        "doc_id": doc_id,
        "doc": doc,
        "target": str(label),
        "arguments": {f"gen_args_{i}": {"arg_0": context, "arg_1": " " + c} for i, c in enumerate(choices)},
        "resps": [[r] for r in resp],
        "filtered_resps": resp,
        "filter": "none",
        "metrics": ["acc", "acc_norm"],
        "doc_hash": hash_string(json.dumps(doc, indent=2, ensure_ascii=False)),
        "prompt_hash": hash_string(context),
        "target_hash": hash_string(str(label)),
        "acc": 1.0 if pred == label else 0.0,
        "acc_norm": 1.0 if pred_norm == label else 0.0,
    }


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)  # lm_eval.api.metrics.mean


def _stderr(xs: list[float]):
    if len(xs) < 2:
        return "N/A"
    mu = _mean(xs)
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / (len(xs) - 1)) / math.sqrt(len(xs))


def task_result(task: str, samples: list[dict]) -> dict:
    acc = [s["acc"] for s in samples]
    norm = [s["acc_norm"] for s in samples]
    return {"name": task, "alias": task, "sample_len": len(samples),
            "acc,none": _mean(acc), "acc_stderr,none": _stderr(acc),
            "acc_norm,none": _mean(norm), "acc_norm_stderr,none": _stderr(norm)}


def task_config(task: str, family: str, variant: str, budget: int, metadata: dict) -> dict:
    """Shaped like lm-eval's recorded config of the ``_k0`` leaf task, plus the budget."""
    return {
        "task": task,
        "custom_dataset": "ood_icl.tasks.load",
        "dataset_path": "",
        "dataset_name": "",
        "dataset_kwargs": {"family": family, "variant": variant, "k": 0, "budget": budget},
        "test_split": "test",
        "doc_to_text": "ood_icl.tasks.doc_to_text",
        "doc_to_target": "label",
        "unsafe_code": False,
        "doc_to_choice": "choices",
        "description": "",
        "target_delimiter": " ",
        "fewshot_delimiter": "\n\n",
        "num_fewshot": 0,
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                        {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}],
        "output_type": "multiple_choice",
        "repeats": 1,
        "should_decontaminate": False,
        "metadata": metadata,
    }


def task_hash(samples: Iterable[dict]) -> str:
    """lm-eval's ``task_hashes`` entry (EvaluationTracker.save_results_aggregated)."""
    return hash_string("".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in samples))


def dumps_results(results: dict) -> str:
    return json.dumps(results, indent=2, ensure_ascii=False)


def dumps_samples(samples: list[dict]) -> str:
    return "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples)


def write_results(config: "FinetuneConfig", state: RunState) -> Path:
    """Assemble the unit files into results_<ts>.json and samples_<task>_<ts>.jsonl (atomically)."""
    from .dataset import BuildSpec, rows
    from .finetune_train import FINETUNE_VERSION
    from .generators import render_prompt
    from .taskgen import TASK_VERSION

    stamp = state.timestamp()
    res: dict = {k: {} for k in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples")}
    all_samples, train_logs = {}, {}
    for family, variant in config.cells:
        spec = BuildSpec(family, variant, seed=config.seed, difficulty=config.difficulty,
                         episodes=config.episodes, queries=config.queries)
        docs = [dict(row, demos=[]) for row in rows(spec)]  # the _k0 docs
        for budget in config.budgets:
            task = task_name(family, variant, budget)
            units = [state.load(task, e) for e in range(config.episodes)]
            samples = [sample_record(i, doc, render_prompt([], doc["query"]),
                                     units[doc["episode"]]["responses"][doc["query_index"]])
                       for i, doc in enumerate(docs)]
            all_samples[task] = samples
            res["results"][task] = task_result(task, samples)
            meta = {"version": TASK_VERSION, "seed": config.seed, "difficulty": config.difficulty,
                    "episodes": config.episodes, "queries": config.queries, "pretrained": config.model,
                    "dtype": config.dtype,
                    "finetune": {"method": config.method, "budget": budget, "train_seed": config.train_seed,
                                 "recipe": asdict(config.recipe(budget)) if budget else None, "version": FINETUNE_VERSION}}
            res["configs"][task] = task_config(task, family, variant, budget, meta)
            res["versions"][task] = TASK_VERSION
            res["n-shot"][task] = 0
            res["higher_is_better"][task] = {"acc": True, "acc_norm": True}
            res["n-samples"][task] = {"original": len(samples), "effective": len(samples)}
            logs = [u["train"] for u in units]
            train_logs[task] = None if budget == 0 else {
                "loss_before": sum(t["loss_before"] for t in logs) / len(logs),
                "loss_after": sum(t["loss_after"] for t in logs) / len(logs),
                "episodes": [[t["loss_before"], t["loss_after"]] for t in logs]}
    res["config"] = dict(config.record(), model_source="ood-icl-finetune")
    res["train"] = train_logs
    res["task_hashes"] = {task: task_hash(s) for task, s in all_samples.items()}
    res.update(_versions(), model_source="ood-icl-finetune", model_name=config.model,
               model_name_sanitized=sanitize_model_name(config.model))
    for task, samples in all_samples.items():
        write_atomic(state.folder / f"samples_{task}_{stamp}.jsonl", dumps_samples(samples))
    out = state.folder / f"results_{stamp}.json"
    write_atomic(out, dumps_results(res))
    return out


def _versions() -> dict:
    import peft
    import torch
    import transformers

    return {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
            "peft_version": peft.__version__}
