"""Shared by test_verify, test_leaderboard and test_page: one small real lm_eval run per process,
a fine-tuning folder in lm-eval's schema derived from it, and synthetic records.

The run is the whole default group (plus one k0, one generation and both control tasks of one
cell) on the tiny model with a
"private" seed and 2 episodes x 2 queries, so verification is exercised on real lm_eval output
in well under a minute.  It is cached per process, so the test files share it.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from _lm_eval_run import run_lm_eval

REPO = Path(__file__).resolve().parent.parent
PRIVATE_SEED = 4242
SMALL = {"seed": PRIVATE_SEED, "episodes": 2, "queries": 2}
CONTROL_TASKS = ("ood_icl_affine_ood_k16_shuffled", "ood_icl_affine_ood_k16_decoupled")
TASKS = ",".join(("ood_icl", "ood_icl_cipher_ood_k0", "ood_icl_cipher_ood_k1_gen") + CONTROL_TASKS)

_RUNS: dict[str, Path] = {}


def small_run(model: Path, base: Path) -> Path:
    """The lm_eval --output_path folder of the small run (made once per process)."""
    key = str(model)
    if key not in _RUNS:
        out = base / "lb-small-run"
        run_lm_eval(model, TASKS, out, "--metadata", json.dumps(SMALL), batch_size=32)
        _RUNS[key] = out
    return _RUNS[key]


def run_dir(out: Path) -> Path:
    """The model subfolder lm_eval wrote into (results + samples)."""
    (results,) = out.rglob("results_*.json")
    return results.parent


def copy_run(out: Path, dest: Path) -> Path:
    """A private copy of the run's model folder, returned as the folder holding the files."""
    shutil.copytree(run_dir(out), dest)
    return dest


def make_ft_folder(icl_out: Path, dest: Path, budgets=(0, 1, 4), train_seed: int = 0) -> Path:
    """The fine-tuning baseline's own writer (finetune.write_results) fed with the run's k1 log-likelihoods.

    The queries and choices of the k1 docs are those of the k0 docs, so their logged responses serve
    as the fine-tuned model's: the folder has the baseline's exact schema, docs (the k0 docs) and
    prompts, without training anything.
    """
    from ood_icl.finetune.config import FinetuneConfig
    from ood_icl.finetune.results import write_results
    from ood_icl.finetune.state import RunState
    from ood_icl.suite import ft_task_name as task_name
    from ood_icl.generators import FAMILIES, VARIANTS

    src = run_dir(icl_out)
    (results,) = src.glob("results_*.json")
    model_name = json.loads(results.read_text())["model_name"]  # the same model as the in-context half
    cells = tuple((f, v) for f in sorted(FAMILIES) for v in VARIANTS
                  if any(src.glob(f"samples_ood_icl_{f}_{v}_k1_2*.jsonl")))
    config = FinetuneConfig(model=model_name, cells=cells, budgets=tuple(budgets), seed=SMALL["seed"],
                            episodes=SMALL["episodes"], queries=SMALL["queries"], train_seed=train_seed)
    state = RunState(dest)
    state.start(config.record())
    for family, variant in cells:
        (path,) = src.glob(f"samples_ood_icl_{family}_{variant}_k1_2*.jsonl")
        by_episode: dict = {}
        for sample in map(json.loads, path.read_text().splitlines()):
            responses = [[float(ll), greedy == "True"] for ll, greedy in sample["filtered_resps"]]
            by_episode.setdefault(sample["doc"]["episode"], {})[sample["doc"]["query_index"]] = responses
        for budget in budgets:
            for episode, queries in by_episode.items():
                state.save(task_name(family, variant, budget), episode, {
                    "unit": [family, variant, episode, budget], "responses": [queries[q] for q in sorted(queries)],
                    "train": {"loss_before": 1.0, "loss_after": 0.5} if budget else None})
    write_results(config, state)
    return dest


def synthetic_record(name: str, *, seed: int = PRIVATE_SEED, episodes: int = 4, queries: int = 2,
                     icl_p: dict | None = None, ft_p: dict | None = None, families=None, rng_seed: int = 0):
    """A model record with random per-doc correctness at given accuracies (per k), no lm_eval needed."""
    from ood_icl.generators import SUITE_VERSION, VARIANTS
    from ood_icl.leaderboard.derive import reference_records
    from ood_icl.leaderboard.record import SCHEMA, Record, seed_commitment, slug
    from ood_icl.finetune.recipe import FINETUNE_VERSION
    from ood_icl.suite import TASK_VERSION

    icl_p = icl_p or {0: 0.3, 1: 0.5, 4: 0.7, 16: 0.9}
    ft_p = ft_p or {}
    refs = {r.slug: r for r in reference_records(seed=seed, episodes=episodes, queries=queries,
                                                 extra_ks=tuple(ft_p), families=families)}
    ideal_rec, chance_rec = refs["reference-ideal"], refs["reference-chance"]
    rng = random.Random(rng_seed)
    series = []
    for fam in sorted(chance_rec.chance):
        for variant in VARIANTS:
            for method, table in (("icl", icl_p), ("ft", ft_p)):
                for k, p in table.items():
                    bits = "".join("1" if rng.random() < p else "0" for _ in range(episodes * queries))
                    series.append({"task": f"ood_icl_{fam}_{variant}_{'k' if method == 'icl' else 'ft'}{k}",
                                   "family": fam, "variant": variant, "k": k, "method": method, "metric": "acc",
                                   "correct": bits, "task_hash": "0" * 64})
    return Record.from_json({"schema": SCHEMA, "name": name, "slug": slug(name), "kind": "model", "submitted": "2026-01-01",
            "ood_icl_version": "0", "suite_version": SUITE_VERSION, "task_version": TASK_VERSION, "seed": seed,
            "seed_sha256": seed_commitment(seed), "private_seed": False, "provenance": "self-reported",
            "seed_salt": None,
            "sizes": {"difficulty": 2, "episodes": episodes, "queries": queries},
            "model": {"model_name": name, "num_parameters": 1000},
            "finetune": {"model": {"model_name": name}, "method": {"method": "lora", "finetune_version": FINETUNE_VERSION}}
            if ft_p else None,
            "chance": chance_rec.chance, "ideal": _ideal_of(ideal_rec.ideal, series), "series": series},
            f"{slug(name)}.json")


def _ideal_of(ideal: dict, series: list) -> dict:
    """The reference's ideal block narrowed to the ks of the series (what build_record writes)."""
    out: dict = {}
    for s in series:
        out.setdefault(s["family"], {}).setdefault(s["variant"], {})[str(s["k"])] = \
            ideal[s["family"]][s["variant"]][str(s["k"])]
    return out


def verified(tasks: dict, *, seed: int = PRIVATE_SEED, episodes: int = 4, queries: int = 2, kind: str = "icl",
             model: dict | None = None, rng_seed: int = 0):
    """A ``Verified`` run built by hand (no lm_eval): ``tasks`` maps task name -> docs (per-doc bits drawn at 0.6)."""
    from ood_icl.suite import GENERATIVE, parse_task
    from ood_icl.verify.result import TaskScores, Verified

    rng = random.Random(rng_seed)
    out = Verified(Path("hand-made"), kind, seed=seed, sizes={"difficulty": 2, "episodes": episodes, "queries": queries},
                   model=model or {"model_name": "tiny", "num_parameters": 1000, "model_sha": "abc"})
    for name, n_docs in tasks.items():
        t = parse_task(name)
        bits = [1.0 if rng.random() < 0.6 else 0.0 for _ in range(n_docs)]
        scores = {"exact_match": bits} if t.method in GENERATIVE else {"acc": bits, "acc_norm": bits}
        out.tasks[name] = TaskScores(name, t.family, t.variant, t.k, t.series, scores, "0" * 64, 3.0)
    return out


def fake_ft_folder(dest: Path, cells, budgets=(0, 4, 16), *, episodes: int = 2, queries: int = 2,
                   model: str = "tiny", rng_seed: int = 0) -> Path:
    """A fine-tuning folder in the baseline's exact schema (its own writer), with random log-likelihoods:
    no model, no training, a few seconds."""
    from ood_icl.dataset import BuildSpec, rows
    from ood_icl.finetune.config import FinetuneConfig
    from ood_icl.finetune.results import write_results
    from ood_icl.finetune.state import RunState
    from ood_icl.suite import ft_task_name

    rng = random.Random(rng_seed)
    config = FinetuneConfig(model=model, cells=tuple(cells), budgets=tuple(budgets), seed=PRIVATE_SEED,
                            episodes=episodes, queries=queries)
    state = RunState(dest)
    state.start(config.record())
    for family, variant in cells:
        docs = list(rows(BuildSpec(family, variant, seed=PRIVATE_SEED, episodes=episodes, queries=queries)))
        for budget in budgets:
            for episode in range(episodes):
                mine = [d for d in docs if d["episode"] == episode]
                responses = [[[-rng.random() * 5, False] for _ in d["choices"]] for d in mine]
                state.save(ft_task_name(family, variant, budget), episode, {
                    "unit": [family, variant, episode, budget], "responses": responses,
                    "train": {"loss_before": 1.0, "loss_after": 0.5} if budget else None})
    write_results(config, state)
    return dest
