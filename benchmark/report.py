"""Read an lm_eval results JSON and print it beside chance and the ideal learner."""

from __future__ import annotations

import json
from pathlib import Path

from .dataset import BuildSpec
from .ideal import chance, ideal_by_episode

_MAX_JSON_BYTES = 64 * 1024 * 1024


def find_results(path: Path) -> Path:
    """The newest ``results_*.json`` under ``path`` (or ``path`` itself)."""
    if path.is_file():
        return path
    found = sorted(path.rglob("results_*.json"), key=lambda p: p.name)
    if not found:
        raise FileNotFoundError(f"no results_*.json under {path}")
    return found[-1]


def load_results(path: Path) -> dict:
    path = find_results(Path(path))
    if path.stat().st_size > _MAX_JSON_BYTES:
        raise ValueError(f"{path}: larger than {_MAX_JSON_BYTES} bytes")
    return json.loads(path.read_text())


def task_spec(config: dict) -> tuple[BuildSpec, int] | None:
    """The data spec and k of one of our leaf tasks, from its recorded lm-eval config."""
    kwargs = config.get("dataset_kwargs") or {}
    meta = config.get("metadata") or {}
    if "family" not in kwargs:
        return None
    spec = BuildSpec(kwargs["family"], kwargs["variant"], seed=meta.get("seed"),
                     difficulty=meta.get("difficulty"), episodes=meta.get("episodes"),
                     queries=meta.get("queries"))
    return spec, kwargs["k"]


def results_table(path: Path) -> str:
    res = load_results(path)
    lines = ["| task | n | acc | ± stderr | acc_norm | chance | ideal |", "|---|---|---|---|---|---|---|"]
    for task in sorted(res.get("configs", {})):
        found = task_spec(res["configs"][task])
        if found is None or task not in res.get("results", {}):
            continue
        spec, k = found
        r = res["results"][task]
        metric = "acc" if "acc,none" in r else "exact_match"
        ideal = ideal_by_episode(spec, k)
        n = res.get("n-samples", {}).get(task, {}).get("effective", "")
        lines.append(f"| {task} | {n} | {r[f'{metric},none']:.3f} | {r.get(f'{metric}_stderr,none', float('nan')):.3f} "
                     f"| {r.get('acc_norm,none', float('nan')):.3f} | {chance(spec.family):.3f} "
                     f"| {sum(ideal) / len(ideal):.3f} |")
    return "\n".join(lines)
