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


def comparison_table(icl_path: Path, ft_path: Path) -> str:
    """In-context accuracy at k beside fine-tuned accuracy at budget k, per family x variant,
    with the mean per variant: the suite's question in one table."""
    import re

    icl, ft = load_results(icl_path), load_results(ft_path)
    acc: dict = {}
    for res, pattern in ((icl, r"^ood_icl_(?:quick_)?(?P<cell>.+_(?:ood|id))_k(?P<k>\d+)$"),
                         (ft, r"^ood_icl_(?P<cell>.+_(?:ood|id))_ft(?P<k>\d+)$")):
        for task, r in res.get("results", {}).items():
            m = re.match(pattern, task)
            if m and "acc,none" in r:
                acc[(m["cell"], "icl" if res is icl else "ft", int(m["k"]))] = r["acc,none"]
    ks = sorted({k for (_, method, k) in acc if method == "ft"} & {k for (_, method, k) in acc if method == "icl"})
    cells = sorted({c for c, _, _ in acc}, key=lambda c: (c.rsplit("_", 1)[1] != "ood", c))
    head = "| task | chance | " + " | ".join(f"ICL k={k} | FT {k}" for k in ks) + " |"
    lines = [head, "|---|---|" + "---|---|" * len(ks)]

    def row(name: str, ch: float, values: list) -> str:
        return f"| {name} | {ch:.3f} | " + " | ".join("—" if v is None else f"{v:.3f}" for v in values) + " |"

    means: dict = {}
    for cell in cells:
        values = [acc.get((cell, m, k)) for k in ks for m in ("icl", "ft")]
        lines.append(row(cell, chance(cell.rsplit("_", 1)[0]), values))
        means.setdefault(cell.rsplit("_", 1)[1], []).append((chance(cell.rsplit("_", 1)[0]), values))
    for variant, rows in sorted(means.items(), key=lambda kv: kv[0] != "ood"):
        cols = list(zip(*[v for _, v in rows]))
        mean = [None if any(x is None for x in col) else sum(col) / len(col) for col in cols]
        lines.append(row(f"**mean {variant}**", sum(c for c, _ in rows) / len(rows), mean))
    return "\n".join(lines)
