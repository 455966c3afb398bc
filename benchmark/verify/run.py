"""``ood-icl verify DIR``: is this lm_eval output folder an honest, complete run of the suite?

The data are regenerated for the recorded seed and every doc, target and prompt hash is
matched per doc_id; every metric is recomputed from the logged responses and matched with
the results (stderr within tolerance); task configs, versions and hashes are compared with
the official ones; the run must be complete (no ``--limit``, every doc once, no unknown
task).  ``--seed`` is the maintainers' secret seed: the run must have used it.

The submission is data: JSON is parsed with size limits, function source that lm-eval
records in ``configs`` is compared as text and never run, file names are matched, not joined.
Exit 0: verified; 1: problems, each printed with its reason; 2: bad arguments.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..generators import FAMILIES, VARIANTS
from ..io import DataError, is_int, read_json, shown
from ..suite import CHAT_GROUP, SUITE_GROUP, parse_task
from .checks import verify_groups, verify_task
from .config import SIZE_KEYS, official
from .folder import locate
from .result import Leaf, Problem, Verified
from .training import check_training

_RUN_KEYS = ("difficulty", "queries")  # one value per run; episodes are per task

def verify_run(path: Path, *, seed: int | None = None, kind: str = "icl", allow_small: bool = False,
               allow_partial: bool = False) -> Verified:
    """Verify one lm_eval output folder; ``kind="ft"`` for the fine-tuning baseline's folder.

    ``allow_small`` accepts other episodes/queries than the official ones; ``allow_partial`` accepts a
    run that covers only part of the suite (e.g. the quick group of ``make demo``) or a fine-tuning
    folder that covers only some family x variant cells.
    """
    if kind not in ("icl", "ft"):
        raise ValueError(f"kind={kind!r}: must be 'icl' or 'ft'")
    out = Verified(Path(path), kind)
    try:
        folder = locate(Path(path))
        results = read_json(folder.results)
    except DataError as exc:
        out.add(exc.code, str(path), str(exc))
        return out
    out.problems += [Problem(code, where, detail) for code, where, detail in folder.problems]
    where = folder.results.name
    if not isinstance(results, dict):
        out.add("malformed", where, "not a JSON object")
        return out
    sections = {}
    for key in ("results", "configs", "versions", "n-shot", "n-samples", "config", "task_hashes"):
        value = results.get(key)
        if not isinstance(value, dict):
            out.add("malformed", where, f"{key!r} is missing or not an object")
            value = {}
        sections[key] = value
    leaves = _classify(out, where, sections, folder.samples, kind, allow_partial)
    chat = any(leaf.task.method == "chat" for leaf in leaves.values())
    _check_run_config(out, where, results, sections["config"], chat)
    _establish_metadata(out, where, sections["configs"], leaves, seed)
    kept = ("difficulty",) if allow_small else SIZE_KEYS
    for name, leaf in sorted(leaves.items()):
        # Fine-tuning tasks score the suite's k0 docs: the suite template's sizes.
        meta = official().task_metadata.get(name, official().metadata)
        verify_task(out, name, leaf, sections, folder.samples.get(name), {k: meta[k] for k in kept})
    if kind == "icl":
        verify_groups(out, results, sections)
    if kind == "ft":
        check_training(out, where, results, sections, leaves)
        out.method = _short_fields(sections["config"])
    out.model = _model_info(results, sections["config"])
    return out


def _check_run_config(out: Verified, where: str, results: dict, config: dict, chat: bool) -> None:
    """No --limit or --samples; the raw prompt, or (a chat run) the model's chat template around it."""
    if config.get("limit") is not None:
        out.add("limit-used", where, f"config.limit = {shown(config.get('limit'), 30)}: run without --limit")
    if config.get("samples") not in (None, {}, []):
        out.add("limit-used", where, "config.samples is set: run without --samples")
    if results.get("system_instruction") not in (None, False, ""):
        out.add("chat-template", where, "system_instruction is set: the suite's prompt has no system turn")
    for key in () if chat else ("chat_template", "fewshot_as_multiturn"):
        if results.get(key) not in (None, False, ""):
            out.add("chat-template", where, f"{key} is set: the suite scores the raw prompt (chat models: "
                    "the ood_icl_chat group)")


def _classify(out: Verified, where: str, sections: dict, samples: dict, kind: str,
              allow_partial: bool) -> dict[str, Leaf]:
    """The run's leaf tasks, by name; unknown and missing ones are problems."""
    suite = official()
    names = set(sections["configs"])
    for key in ("results", "versions", "n-shot", "n-samples", "task_hashes"):
        names |= set(sections[key])
    names |= set(samples)
    texts = [n for n in names if isinstance(n, str)]
    parsed = {n: parse_task(n) for n in texts}
    if kind == "icl" and texts and all(t is not None and t.method == "ft" for t in parsed.values()):
        out.add("wrong-kind", where, "the run holds fine-tuning tasks (..._ft<k>): verify it with --finetune")
        return {}
    if kind == "ft" and texts and all(n in suite.tasks or n in suite.groups for n in texts):
        out.add("wrong-kind", where, "the run holds in-context tasks: verify it without --finetune")
        return {}
    leaves = {}
    for name in sorted(names, key=str):
        task = parsed.get(name)
        if kind == "icl" and name in suite.tasks:
            leaves[name] = Leaf(suite.tasks[name].task, suite.tasks[name].config)
        elif kind == "icl" and name in suite.groups:
            continue
        elif kind == "ft" and task is not None and task.method == "ft" and task.family in FAMILIES:
            leaves[name] = Leaf(task, None)
        else:
            out.add("unknown-task", where, f"{shown(name)} is not a task of the {kind} suite")
    chat = {n for n, leaf in leaves.items() if leaf.task.method == "chat"}
    if kind == "icl" and chat and len(chat) < len(leaves):
        out.add("mixed-protocol", where, f"{len(chat)} chat tasks (..._chat) and {len(leaves) - len(chat)} raw-prompt "
                "tasks in one run: the chat group is its own run (--apply_chat_template applies to every task)")
    if kind == "icl" and not allow_partial:
        required, group = (suite.required_chat, CHAT_GROUP) if chat else (suite.required, SUITE_GROUP)
        for name in sorted(required - set(leaves)):
            out.add("missing-task", where, f"{name} (group {group}) is not in the run")
    elif kind == "icl" and not leaves:
        out.add("missing-task", where, "no task of the suite in the run")
    elif not allow_partial or not leaves:
        cells = {(leaf.task.family, leaf.task.variant) for leaf in leaves.values()}
        for f in sorted(FAMILIES):
            for v in VARIANTS:
                if (f, v) not in cells:
                    out.add("missing-task", where, f"no fine-tuning task for {f}/{v}")
    return leaves


def _establish_metadata(out: Verified, where: str, configs: dict, leaves: dict, seed: int | None) -> None:
    """One seed, difficulty and queries-per-episode for the whole run (episodes differ by task:
    the suite's 20, the k0 floor's 100)."""
    seen = {}
    for name in leaves:
        meta = configs[name].get("metadata") if isinstance(configs.get(name), dict) else None
        if isinstance(meta, dict):
            values = tuple(meta.get(k) for k in ("seed",) + _RUN_KEYS)
            seen.setdefault(repr(values), values)
    if len(seen) > 1:
        out.add("mixed-metadata", where,
                f"tasks were run with different seeds or sizes: {shown(sorted(seen)[:3], 160)}")
    if not seen:
        return
    first = next(iter(seen.values()))
    if all(is_int(v) for v in first):
        out.seed = first[0]
        out.sizes = dict(zip(_RUN_KEYS, first[1:]))
        # The run's episodes are the suite's (the k0 floor's larger sets are checked per task).
        # (a fine-tuning run has no suite leaves: all of its tasks score the suite's episodes).
        metas = {n: configs[n]["metadata"] for n in leaves
                 if isinstance(configs.get(n), dict) and isinstance(configs[n].get("metadata"), dict)}
        suite = [m.get("episodes") for n, m in metas.items() if n in official().required]
        out.sizes["episodes"] = (suite or [m.get("episodes") for m in metas.values()] or [None])[0]
    if seed is not None and out.seed is not None and out.seed != seed:
        out.add("seed-mismatch", where, f"the run used seed {out.seed}; the maintainers' seed is another")


def _short_fields(config: dict) -> dict:
    """The fine-tuning run's recorded identity (method, budgets, recipes ...) as short flat values."""
    out = {}
    for key, item in list(config.items())[:64]:
        if key in ("model_args",):
            continue
        if not (isinstance(item, (str, int, float, bool)) or item is None):
            item = json.dumps(item, sort_keys=True, default=str)
        out[str(key)[:64]] = item[:500] if isinstance(item, str) else item
    return out


def _model_info(results: dict, config: dict) -> dict:
    fields = {"model_name": results.get("model_name"), "model": config.get("model"),
              "num_parameters": config.get("model_num_parameters"), "dtype": config.get("model_dtype"),
              "model_sha": config.get("model_sha"), "lm_eval_version": results.get("lm_eval_version"),
              "transformers_version": results.get("transformers_version")}
    return {k: (v[:200] if isinstance(v, str) else v) for k, v in fields.items()
            if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
