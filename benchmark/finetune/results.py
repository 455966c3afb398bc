"""Fine-tuning results in lm-eval's schema: results_<ts>.json and samples_<task>_<ts>.jsonl.

The final files are a pure function of the unit files and the run config (no clocks, no
paths of the output folder), so a resumed run ends byte-identical to an uninterrupted one; the
timestamp in the names is the first start's, kept in run.json (``state.RunState``).  Every
figure lm-eval computes (means, stderr, hashes) is computed by lm-eval's own functions.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

from lm_eval.utils import sanitize_model_name

from ..dataset import BuildSpec, rows
from ..generators import render_prompt
from ..harness.metrics import doc_hash, hash_string, mean, stderr
from ..io import write_atomic
from ..suite import TASK_VERSION, ft_task_name
from .config import FinetuneConfig
from .recipe import FINETUNE_VERSION
from .state import RunState


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
        "doc_hash": doc_hash(doc),
        "prompt_hash": hash_string(context),
        "target_hash": hash_string(str(label)),
        "acc": 1.0 if pred == label else 0.0,
        "acc_norm": 1.0 if pred_norm == label else 0.0,
    }


def task_result(task: str, samples: list[dict]) -> dict:
    acc = [s["acc"] for s in samples]
    norm = [s["acc_norm"] for s in samples]
    return {"name": task, "alias": task, "sample_len": len(samples),
            "acc,none": mean(acc), "acc_stderr,none": stderr(acc),
            "acc_norm,none": mean(norm), "acc_norm_stderr,none": stderr(norm)}


def task_config(task: str, family: str, variant: str, budget: int, metadata: dict) -> dict:
    """Shaped like lm-eval's recorded config of the ``_k0`` leaf task, plus the budget."""
    return {
        "task": task,
        # labels, not import paths (lm-eval records hook source; these name the hooks as of v0.1.0, kept byte-stable)
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


def write_results(config: FinetuneConfig, state: RunState) -> Path:
    """Assemble the unit files into results_<ts>.json and samples_<task>_<ts>.jsonl (atomically)."""
    stamp = state.timestamp()
    res: dict = {k: {} for k in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples")}
    all_samples, train_logs = {}, {}
    for family, variant in config.cells:
        spec = BuildSpec(family, variant, seed=config.seed, difficulty=config.difficulty,
                         episodes=config.episodes, queries=config.queries)
        docs = [dict(row, demos=[]) for row in rows(spec)]  # the _k0 docs
        for budget in config.budgets:
            task = ft_task_name(family, variant, budget)
            units = [state.load(task, e) for e in range(config.episodes)]
            samples = [sample_record(i, doc, render_prompt([], doc["query"]),
                                     units[doc["episode"]]["responses"][doc["query_index"]])
                       for i, doc in enumerate(docs)]
            all_samples[task] = samples
            _add_task(res, config, task, (family, variant, budget), samples)
            train_logs[task] = None if budget == 0 else _train_summary([u["train"] for u in units])
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


def _add_task(res: dict, config: FinetuneConfig, task: str, unit: tuple[str, str, int], samples: list[dict]) -> None:
    """One task's entries in every section of the results."""
    family, variant, budget = unit
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


def _train_summary(logs: list[dict]) -> dict:
    return {"loss_before": sum(t["loss_before"] for t in logs) / len(logs),
            "loss_after": sum(t["loss_after"] for t in logs) / len(logs),
            "episodes": [[t["loss_before"], t["loss_after"]] for t in logs]}


def _versions() -> dict:
    import peft
    import torch
    import transformers

    return {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
            "peft_version": peft.__version__}
