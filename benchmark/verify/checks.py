"""One task's and one group's checks: config, version, sizes, the logged samples, the reported figures."""

from __future__ import annotations

import math

from ..dataset import BuildSpec
from ..generators import DIFFICULTIES, GenerationError
from ..harness.metrics import group_stderr, hash_string, mean, stderr
from ..io import DataError, is_int, is_number, iter_jsonl, shown
from ..suite import CONTROLS_GROUP, GENERATIVE, TASK_VERSION, parse_task
from .config import check_config, check_metadata, official
from ..harness.tasks import regenerated_rows, shown_docs
from .docs import check_samples, filter_of
from .result import Leaf, TaskScores, Verified

MAX_DOCS_PER_TASK = 10_000  # regeneration bound for --allow-small runs: episodes x queries (official: 100)
_REL_TOL = 1e-6


def verify_task(out: Verified, name: str, leaf: Leaf, sections: dict, samples_path, official_sizes: dict) -> None:
    """Check one leaf task; a task with no problem lands in ``out.tasks`` with its per-doc scores."""
    t = leaf.task
    config = sections["configs"].get(name)
    problems: list[tuple[str, str]] = []

    def add(code: str, detail: str) -> None:
        problems.append((code, detail))

    if not isinstance(config, dict):
        add("missing-config", "no recorded config")
        config = {}
    if leaf.official is not None:
        check_config(config, leaf.official, add)
    else:
        _check_ft_config(config, name, t.family, t.variant, t.k, add)
    meta = config.get("metadata")
    check_metadata(meta, official_sizes, add)
    version = sections["versions"].get(name)
    if not is_number(version) or (t.method != "ft" and float(version) != TASK_VERSION):
        add("version-mismatch", f"versions = {shown(version, 20)}, official {TASK_VERSION}")
    if sections["n-shot"].get(name) != 0:
        add("config-mismatch", f"n-shot = {shown(sections['n-shot'].get(name), 20)}, official 0")
    episodes = meta.get("episodes") if isinstance(meta, dict) else None
    spec = _spec(out, t.family, t.variant, official_sizes, episodes, add)
    if spec is not None:
        expected_n = spec.episodes * spec.queries
        n_samples = sections["n-samples"].get(name)
        if not (isinstance(n_samples, dict) and n_samples.get("original") == n_samples.get("effective") == expected_n):
            add("limit-used", f"n-samples = {shown(n_samples, 60)}, expected {expected_n} of {expected_n}")
    scores, task_hash = {}, ""
    if samples_path is None:
        add("missing-samples", "no samples file (run with --log_samples)")
    elif spec is not None:
        scores, task_hash = _check_logged(samples_path, spec, leaf, sections, name, add)
    for code, detail in problems:
        out.add(code, name, detail)
    if not problems and scores:
        out.tasks[name] = TaskScores(name, t.family, t.variant, t.k, t.series, scores, task_hash, float(version))


def _check_logged(samples_path, spec: BuildSpec, leaf: Leaf, sections: dict, name: str, add) -> tuple[dict, str]:
    """The logged samples against the regenerated docs, and the reported figures against them:
    (per-doc scores, task hash), or ({}, "") when the file cannot be read."""
    method = leaf.task.method
    docs = shown_docs(regenerated_rows(spec), 0 if method == "ft" else leaf.task.k, leaf.task.control, spec)
    gen_kwargs = leaf.official.get("generation_kwargs") if leaf.official else None
    try:  # one sample at a time: memory about 1x the file (io.iter_jsonl)
        check = check_samples(iter_jsonl(samples_path), docs, method=method, gen_kwargs=gen_kwargs)
    except DataError as exc:
        add(exc.code, str(exc))
        return {}, ""
    for code, details in check.problems.items():
        more = check.counts[code] - len(details)
        add(code, "; ".join(details) + (f"; and {more} more" if more > 0 else ""))
    task_hash = hash_string("".join(check.hashes))
    if sections["task_hashes"].get(name) != task_hash:
        add("task-hash-mismatch", "task_hashes entry is not the hash of the logged samples")
    _check_results(sections["results"].get(name), check.scores, add, filter_of(method))
    return check.scores, task_hash


def _check_ft_config(config: dict, name: str, family: str, variant: str, k: int, add) -> None:
    if config.get("task") != name:
        add("config-mismatch", f"task = {shown(config.get('task'), 40)}")
    if config.get("output_type") != "multiple_choice":
        add("config-mismatch", f"output_type = {shown(config.get('output_type'), 30)}, expected 'multiple_choice'")
    kwargs = config.get("dataset_kwargs")
    want = {"family": family, "variant": variant, "k": 0, "budget": k}
    if isinstance(kwargs, dict) and any(kwargs.get(key, value) != value for key, value in want.items()):
        add("config-mismatch", f"dataset_kwargs = {shown(kwargs, 80)}: expected {want} (the k0 docs)")


def _spec(out: Verified, family: str, variant: str, official_sizes: dict, episodes, add) -> BuildSpec | None:
    """The data spec to regenerate, or None (with a problem) when there is nothing sound to regenerate."""
    if out.seed is None or not out.sizes or not is_int(episodes):
        add("config-mismatch", "no usable seed and sizes in metadata: cannot regenerate the data")
        return None
    sizes = dict(out.sizes, episodes=episodes)
    if any(sizes[key] != value for key, value in official_sizes.items()):
        return None  # reported as nonstandard-size by check_metadata: not the official data
    if sizes["difficulty"] not in DIFFICULTIES or sizes["episodes"] * sizes["queries"] > MAX_DOCS_PER_TASK:
        add("nonstandard-size", f"{sizes} cannot be regenerated here")
        return None
    try:
        return BuildSpec(family, variant, seed=out.seed, difficulty=sizes["difficulty"],
                         episodes=sizes["episodes"], queries=sizes["queries"])
    except (ValueError, GenerationError) as exc:
        add("config-mismatch", f"cannot regenerate the data: {str(exc)[:100]}")
        return None


def _check_results(entry, scores: dict, add, filter_key: str) -> None:
    if not isinstance(entry, dict):
        add("missing-results", "no entry in results")
        return
    allowed = {"name", "alias", "sample_len"} | {f"{m}{s},{filter_key}" for m in scores for s in ("", "_stderr")}
    for key in entry:
        if key not in allowed:
            add("unexpected-metric", f"results has {shown(key, 40)}")
    for metric, values in scores.items():
        if any(v is None for v in values):
            return  # a doc failed its own checks: already reported
        value, reported_err = entry.get(f"{metric},{filter_key}"), entry.get(f"{metric}_stderr,{filter_key}")
        recomputed = mean(values)
        if not is_number(value):
            add("missing-results", f"{metric} is not reported")
        elif not 0.0 <= value <= 1.0:
            add("out-of-range", f"{metric} = {value} is outside [0, 1]")
        elif abs(value - recomputed) > 1e-9:
            add("metric-mismatch", f"{metric} reported {value}, recomputed {recomputed}")
        want = stderr(values)
        if want == "N/A":
            if reported_err != "N/A":
                add("stderr-mismatch", f"{metric}_stderr = {shown(reported_err, 20)}, expected 'N/A'")
        elif not is_number(reported_err) or reported_err < 0:
            add("out-of-range", f"{metric}_stderr = {shown(reported_err, 20)} is not a non-negative number")
        elif not math.isclose(reported_err, want, rel_tol=_REL_TOL, abs_tol=1e-9):
            add("stderr-mismatch", f"{metric}_stderr reported {reported_err}, recomputed {want}")
    if entry.get("sample_len") != len(next(iter(scores.values()))):
        add("limit-used", f"sample_len = {shown(entry.get('sample_len'), 20)}")


def verify_groups(out: Verified, results: dict, sections: dict) -> None:
    """Each official group the run reports: its members, version and aggregate figures."""
    suite = official()
    subtasks = results.get("group_subtasks")
    subtasks = subtasks if isinstance(subtasks, dict) else {}
    for group in sorted(g for g in sections["results"] if g in suite.groups):
        legacy = _legacy_members(group)
        if group in subtasks and subtasks[group] not in (list(suite.groups[group]), legacy):
            out.add("config-mismatch", group, "group_subtasks differ from the official group")
        version = sections["versions"].get(group)
        try:
            ok = float(version) == TASK_VERSION
        except (TypeError, ValueError):
            ok = False
        if not ok:
            out.add("version-mismatch", group, f"versions = {shown(version, 20)}, official {TASK_VERSION}")
        entry = sections["results"][group]
        if not isinstance(entry, dict):
            out.add("malformed", group, "results entry is not an object")
            continue
        flat = legacy if legacy and subtasks.get(group) == legacy else _leaves_of(group)
        if all(t in out.tasks for t in flat):  # else a member failed (or is missing): reported there
            _check_group_figures(out, group, entry, [out.tasks[t] for t in flat])


def _check_group_figures(out: Verified, group: str, entry: dict, members: list[TaskScores]) -> None:
    """The group's mean (weighted by size) and pooled stderr, as lm-eval aggregates them."""
    metric = "exact_match" if members[0].method in GENERATIVE else "acc"
    key = f"{metric},{filter_of(members[0].method)}"
    sizes = [len(t.scores[metric]) for t in members]
    means = [mean(t.scores[metric]) for t in members]
    value = sum(m * n for m, n in zip(means, sizes)) / sum(sizes)
    have = entry.get(key)
    if not is_number(have) or abs(have - value) > 1e-9:
        out.add("metric-mismatch", group, f"{metric} reported {shown(have, 24)}, recomputed {value}")
    have_err = entry.get(key.replace(",", "_stderr,", 1))
    want_err = group_stderr([stderr(t.scores[metric]) for t in members], sizes)
    if want_err == "N/A" or not is_number(have_err):
        if have_err != want_err:
            out.add("stderr-mismatch", group, f"{metric}_stderr reported {shown(have_err, 24)}, expected {want_err}")
    elif not math.isclose(have_err, want_err, rel_tol=_REL_TOL, abs_tol=1e-9):
        out.add("stderr-mismatch", group, f"{metric}_stderr reported {have_err}, recomputed {want_err}")
    if entry.get("sample_len") != sum(sizes):
        out.add("limit-used", group, f"sample_len = {shown(entry.get('sample_len'), 20)}, expected {sum(sizes)}")


def _legacy_members(group: str) -> list[str] | None:
    """An earlier membership of a group that 3.1 runs may still report: ``ood_icl_controls`` before
    the decoupled tasks joined it (its shuffled tasks alone, in order; their docs did not change)."""
    if group != CONTROLS_GROUP:
        return None
    return [t for t in official().groups[group] if parse_task(t).control == "shuffled"]


def _leaves_of(group: str) -> list[str]:
    suite = official()
    out = []
    for member in suite.groups[group]:
        out += _leaves_of(member) if member in suite.groups else [member]
    return out


