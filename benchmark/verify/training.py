"""A fine-tuning folder proves what it claims: each task's budget, recipe and training log agree with
its name and with the protocol (``finetune.recipe``).

Per ``..._ft<k>`` task: ``dataset_kwargs`` is exactly the ``_k0`` docs with budget k; the recorded
``metadata.finetune`` names budget k, the protocol's version and the protocol's recipe for k (none for
k = 0); the run's ``config`` lists k among its budgets with the same recipe; and the results hold a
training log for it (losses before and after training, per episode), none for k = 0.  Swapped
budgets, a deleted log or untrained (k0) results relabelled as fine-tuned fail here.  Every task is
the run's own: its model, dtype and train seed are the run config's, and the config is this protocol's
(version, LoRA settings), so tasks picked from runs with other seeds or settings fail too.
"""

from __future__ import annotations

from dataclasses import asdict

from ..finetune.recipe import FINETUNE_VERSION, LORA, METHODS, recipe_for
from ..io import is_int, is_number, shown
from .result import Leaf, Verified


def check_training(out: Verified, where: str, results: dict, sections: dict, leaves: dict[str, Leaf]) -> None:
    run_config = sections["config"]
    logs = results.get("train")
    if not isinstance(logs, dict):
        out.add("missing-train-log", where, "the results hold no training logs ('train')")
        logs = {}
    _check_protocol(out, where, run_config)
    for name, leaf in sorted(leaves.items()):
        k, t = leaf.task.k, leaf.task
        config = sections["configs"].get(name)
        config = config if isinstance(config, dict) else {}
        want = {"family": t.family, "variant": t.variant, "k": 0, "budget": k}
        if config.get("dataset_kwargs") != want:
            out.add("budget-mismatch", name, f"dataset_kwargs = {shown(config.get('dataset_kwargs'), 80)}, "
                                             f"expected {want}")
        meta = config.get("metadata")
        ft = meta.get("finetune") if isinstance(meta, dict) else None
        if not isinstance(ft, dict) or ft.get("method") not in METHODS:
            out.add("recipe-mismatch", name, f"metadata.finetune = {shown(ft, 60)}: no method of the protocol")
            continue
        recipe = asdict(recipe_for(ft["method"], k)) if k else None
        if ft.get("budget") != k:
            out.add("budget-mismatch", name, f"metadata.finetune.budget = {shown(ft.get('budget'), 20)}, the "
                                             f"task name says {k}")
        if ft.get("recipe") != recipe or ft.get("version") != FINETUNE_VERSION:
            out.add("recipe-mismatch", name, f"recipe {shown(ft.get('recipe'), 80)} (version "
                                             f"{shown(ft.get('version'), 10)}) is not the protocol's for budget {k}: "
                                             f"{recipe} (version {FINETUNE_VERSION})")
        _check_run_config(out, name, run_config, ft["method"], k, recipe)
        _check_identity(out, name, meta, ft, run_config)
        _check_log(out, name, logs.get(name, "missing"), k, meta.get("episodes"))


def _check_protocol(out: Verified, where: str, config: dict) -> None:
    lora = asdict(LORA) if config.get("method") == "lora" else None
    if config.get("finetune_version") != FINETUNE_VERSION or config.get("lora") != lora:
        out.add("recipe-mismatch", where, f"the run's config is fine-tuning version "
                                          f"{shown(config.get('finetune_version'), 10)}, LoRA "
                                          f"{shown(config.get('lora'), 80)}: this protocol is version "
                                          f"{FINETUNE_VERSION}, LoRA {lora}")


def _check_identity(out: Verified, name: str, meta: dict, ft: dict, config: dict) -> None:
    seeds = config.get("seeds") if isinstance(config.get("seeds"), dict) else {}
    have = (meta.get("pretrained"), meta.get("dtype"), ft.get("train_seed"))
    want = (config.get("model"), config.get("dtype"), seeds.get("train"))
    if have != want or not is_int(want[2]):
        out.add("mixed-metadata", name, f"model, dtype, train seed {shown(have, 120)}: the run's config says "
                                        f"{shown(want, 120)} (a task from another run)")


def _check_run_config(out: Verified, name: str, config: dict, method: str, k: int, recipe) -> None:
    budgets, recipes = config.get("budgets"), config.get("recipes")
    if config.get("method") != method or not isinstance(budgets, list) or k not in budgets:
        out.add("budget-mismatch", name, f"the run's config (method {shown(config.get('method'), 20)}, budgets "
                                         f"{shown(budgets, 40)}) does not hold budget {k}")
    elif k and (not isinstance(recipes, dict) or recipes.get(str(k)) != recipe):
        got = recipes.get(str(k)) if isinstance(recipes, dict) else recipes
        out.add("recipe-mismatch", name, f"the run's config.recipes[{k}] = {shown(got, 80)}")


def _check_log(out: Verified, name: str, log, k: int, episodes) -> None:
    if k == 0:
        if log not in (None, "missing"):
            out.add("budget-mismatch", name, "budget 0 trains nothing, yet a training log is recorded")
        return
    if log == "missing" or log is None:
        out.add("missing-train-log", name, f"no training log for budget {k}: results without one are not "
                                           "fine-tuning results")
        return
    per_episode = log.get("episodes") if isinstance(log, dict) else None
    ok = (isinstance(log, dict) and is_number(log.get("loss_before")) and is_number(log.get("loss_after"))
          and isinstance(per_episode, list) and is_int(episodes) and len(per_episode) == episodes
          and all(isinstance(p, list) and len(p) == 2 and all(is_number(x) and x >= 0 for x in p)
                  for p in per_episode))
    if not ok:
        out.add("missing-train-log", name, f"the training log {shown(log, 60)} is not losses before/after "
                                           f"for each of the {episodes} episodes")
