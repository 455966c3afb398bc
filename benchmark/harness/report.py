"""Read an lm_eval results JSON and print it beside chance and the ideal learner."""

from __future__ import annotations

from pathlib import Path

from ..dataset import BuildSpec
from ..ideal import chance, ideal_by_episode
from ..io import read_json
from ..suite import parse_task


def find_results(path: Path) -> Path:
    """The newest ``results_*.json`` under ``path`` (or ``path`` itself)."""
    if path.is_file():
        return path
    found = sorted(path.rglob("results_*.json"), key=lambda p: p.name)
    if not found:
        raise FileNotFoundError(f"no results_*.json under {path}")
    return found[-1]


def load_results(path: Path) -> dict:
    """The results JSON, read as untrusted data (bounded, strict)."""
    return read_json(find_results(Path(path)))


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
        if (res["configs"][task].get("dataset_kwargs") or {}).get("control"):
            ideal_cell = "—"  # the ideal of the real demos; a control's pairing is broken (docs/validity.md)
        else:
            ideal = ideal_by_episode(spec, k)
            ideal_cell = f"{sum(ideal) / len(ideal):.3f}"
        n = res.get("n-samples", {}).get(task, {}).get("effective", "")
        lines.append(f"| {task} | {n} | {r[f'{metric},none']:.3f} | {r.get(f'{metric}_stderr,none', float('nan')):.3f} "
                     f"| {r.get('acc_norm,none', float('nan')):.3f} | {chance(spec.family):.3f} | {ideal_cell} |")
    return "\n".join(lines)


def comparison_table(icl_path: Path, ft_path: Path) -> str:
    """In-context accuracy at k beside fine-tuned accuracy at budget k, per family x variant,
    with the mean per variant: the suite's question in one table."""
    icl, ft = load_results(icl_path), load_results(ft_path)
    acc: dict = {}  # (family, variant, method, k) -> acc
    for task, r in icl.get("results", {}).items():
        found = task_spec(icl.get("configs", {}).get(task, {}))
        if found is not None and "acc,none" in r:
            acc[(found[0].family, found[0].variant, "icl", found[1])] = r["acc,none"]
    for task, r in ft.get("results", {}).items():
        name = parse_task(task)
        if name is not None and name.method == "ft" and "acc,none" in r:
            acc[(name.family, name.variant, "ft", name.k)] = r["acc,none"]
    ks = sorted({k for *_, method, k in acc if method == "ft"} & {k for *_, method, k in acc if method == "icl"})
    cells = sorted({(f, v) for f, v, *_ in acc}, key=lambda c: (c[1] != "ood", c))
    lines = ["| task | chance | " + " | ".join(f"ICL k={k} | FT {k}" for k in ks) + " |",
             "|---|---|" + "---|---|" * len(ks)]

    def row(name: str, ch: float, values: list) -> str:
        return f"| {name} | {ch:.3f} | " + " | ".join("—" if v is None else f"{v:.3f}" for v in values) + " |"

    by_variant: dict = {}
    for f, v in cells:
        values = [acc.get((f, v, m, k)) for k in ks for m in ("icl", "ft")]
        lines.append(row(f"{f}_{v}", chance(f), values))
        by_variant.setdefault(v, []).append((chance(f), values))
    for v, rows_ in sorted(by_variant.items(), key=lambda kv: kv[0] != "ood"):
        cols = list(zip(*[values for _, values in rows_]))
        mean = [None if None in col else sum(col) / len(col) for col in cols]
        lines.append(row(f"**mean {v}**", sum(c for c, _ in rows_) / len(rows_), mean))
    return "\n".join(lines)
