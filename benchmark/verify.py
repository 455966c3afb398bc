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

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .dataset import BuildSpec, rows
from .generators import DIFFICULTIES, FAMILIES, VARIANTS, GenerationError
from .taskgen import TASK_VERSION
from ._args import nonneg_int
from .verify_config import FT_RE, SIZE_KEYS, check_config, check_metadata, official
from .verify_docs import check_samples, expected_docs, sha256
from .verify_io import SubmissionError, locate, read_json, read_jsonl, shown

_RUN_KEYS = ("difficulty", "queries")  # one value per run; episodes are per task

__all__ = ["Problem", "TaskScores", "Verified", "configure_parser", "run", "verify_run"]

MAX_DOCS_PER_TASK = 10_000  # regeneration bound for --allow-small runs: episodes x queries (official: 100)
_REL_TOL = 1e-6
_MAX_PRINTED = 200


@dataclass(frozen=True)
class Problem:
    code: str  # the reason, one word: doc-mismatch, limit-used, ...
    where: str  # file or task
    detail: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.where}: {self.detail}"


@dataclass(frozen=True)
class TaskScores:
    """One verified leaf task: per-doc scores by doc_id, enough to rebuild every number."""

    name: str
    family: str
    variant: str
    k: int
    method: str  # icl (multiple choice), gen (generate_until) or ft (fine-tuned, k0 docs)
    scores: dict  # metric -> list of per-doc values (0.0 / 1.0), doc_id order
    task_hash: str
    version: float


@dataclass
class Verified:
    folder: Path
    kind: str  # "icl" or "ft"
    problems: list[Problem] = field(default_factory=list)
    tasks: dict[str, TaskScores] = field(default_factory=dict)
    seed: int | None = None
    sizes: dict = field(default_factory=dict)  # difficulty, episodes, queries
    model: dict = field(default_factory=dict)  # short strings describing the run
    method: dict = field(default_factory=dict)  # fine-tuning recipe, as recorded (strings/numbers)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, where: str, detail: str) -> None:
        self.problems.append(Problem(code, where, detail))


@lru_cache(maxsize=256)
def _rows(spec: BuildSpec) -> tuple:
    return tuple(rows(spec))


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
    except SubmissionError as exc:
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
    _check_run_config(out, where, results, sections["config"])
    leaves = _classify(out, where, sections, folder.samples, kind, allow_partial)
    _establish_metadata(out, where, sections["configs"], leaves, seed)
    kept = ("difficulty",) if allow_small else SIZE_KEYS
    for name, info in sorted(leaves.items()):
        # Fine-tuning tasks score the suite's k0 docs: the suite template's sizes.
        meta = official().task_metadata.get(name, official().metadata)
        _verify_task(out, name, info, sections, folder.samples.get(name), {k: meta[k] for k in kept})
    if kind == "icl":
        _verify_groups(out, where, results, sections, leaves)
    if kind == "ft":
        out.method = _short_fields(sections["config"])
    out.model = _model_info(results, sections["config"])
    return out


def _check_run_config(out: Verified, where: str, results: dict, config: dict) -> None:
    if config.get("limit") is not None:
        out.add("limit-used", where, f"config.limit = {shown(config.get('limit'), 30)}: run without --limit")
    if config.get("samples") not in (None, {}, []):
        out.add("limit-used", where, "config.samples is set: run without --samples")
    for key in ("system_instruction", "chat_template", "fewshot_as_multiturn"):
        if results.get(key) not in (None, False, ""):
            out.add("chat-template", where, f"{key} is set: the suite scores the raw prompt")


def _classify(out: Verified, where: str, sections: dict, samples: dict, kind: str, allow_partial: bool) -> dict:
    """Leaf tasks of the run -> (family, variant, k, method, official config or None)."""
    suite = official()
    names = set(sections["configs"])
    for key in ("results", "versions", "n-shot", "n-samples", "task_hashes"):
        names |= set(sections[key])
    names |= set(samples)
    texts = [n for n in names if isinstance(n, str)]
    if kind == "icl" and texts and all(FT_RE.match(n) for n in texts):
        out.add("wrong-kind", where, "the run holds fine-tuning tasks (..._ft<k>): verify it with --finetune")
        return {}
    if kind == "ft" and texts and all(n in suite.tasks or n in suite.groups for n in texts):
        out.add("wrong-kind", where, "the run holds in-context tasks: verify it without --finetune")
        return {}
    leaves = {}
    for name in sorted(names, key=str):
        if kind == "icl" and name in suite.tasks:
            t = suite.tasks[name]
            leaves[name] = (t.family, t.variant, t.k, "gen" if t.gen else "icl", t.config)
        elif kind == "icl" and name in suite.groups:
            continue
        elif kind == "ft" and isinstance(name, str) and FT_RE.match(name) and FT_RE.match(name)["family"] in FAMILIES:
            m = FT_RE.match(name)
            leaves[name] = (m["family"], m["variant"], int(m["k"]), "ft", None)
        else:
            out.add("unknown-task", where, f"{shown(name)} is not a task of the {kind} suite")
    if kind == "icl" and not allow_partial:
        for name in sorted(suite.required - set(leaves)):
            out.add("missing-task", where, f"{name} (group ood_icl) is not in the run")
    elif kind == "icl" and not leaves:
        out.add("missing-task", where, "no task of the suite in the run")
    elif not allow_partial or not leaves:
        cells = {(f, v) for f, v, *_ in leaves.values()}
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
    if all(isinstance(v, int) and not isinstance(v, bool) for v in first):
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


def _verify_task(out: Verified, name: str, info: tuple, sections: dict, samples_path,
                 official_sizes: dict) -> None:
    family, variant, k, method, official_cfg = info
    config = sections["configs"].get(name)
    problems: list[tuple[str, str]] = []

    def add(code: str, detail: str) -> None:
        problems.append((code, detail))

    if not isinstance(config, dict):
        add("missing-config", "no recorded config")
        config = {}
    if official_cfg is not None:
        check_config(config, official_cfg, add)
    else:
        _check_ft_config(config, name, family, variant, k, add)
    meta = config.get("metadata")
    check_metadata(meta, official_sizes, add)
    version = sections["versions"].get(name)
    if not _is_number(version) or (method != "ft" and float(version) != TASK_VERSION):
        add("version-mismatch", f"versions = {shown(version, 20)}, official {TASK_VERSION}")
    if sections["n-shot"].get(name) != 0:
        add("config-mismatch", f"n-shot = {shown(sections['n-shot'].get(name), 20)}, official 0")
    episodes = meta.get("episodes") if isinstance(meta, dict) else None
    spec = _spec(out, family, variant, official_sizes, episodes, add)
    if spec is not None:
        expected_n = spec.episodes * spec.queries
        n_samples = sections["n-samples"].get(name)
        if not (isinstance(n_samples, dict) and n_samples.get("original") == n_samples.get("effective") == expected_n):
            add("limit-used", f"n-samples = {shown(n_samples, 60)}, expected {expected_n} of {expected_n}")
    scores, task_hash = {}, ""
    if samples_path is None:
        add("missing-samples", "no samples file (run with --log_samples)")
    elif spec is not None:
        try:
            samples = read_jsonl(samples_path)
        except SubmissionError as exc:
            add(exc.code, str(exc))
            samples = None
        if samples is not None:
            docs = expected_docs(_rows(spec), 0 if method == "ft" else k)
            gen_kwargs = official_cfg.get("generation_kwargs") if official_cfg else None
            check = check_samples(samples, docs, gen=method == "gen", gen_kwargs=gen_kwargs)
            for code, details in check.problems.items():
                more = check.counts[code] - len(details)
                add(code, "; ".join(details) + (f"; and {more} more" if more > 0 else ""))
            task_hash = sha256("".join(check.hashes))
            if sections["task_hashes"].get(name) != task_hash:
                add("task-hash-mismatch", "task_hashes entry is not the hash of the logged samples")
            scores = check.scores
            _check_results(sections["results"].get(name), name, scores, add)
    for code, detail in problems:
        out.add(code, name, detail)
    if not problems and scores:
        out.tasks[name] = TaskScores(name, family, variant, k, method, scores, task_hash, float(version))


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
    if out.seed is None or not out.sizes or not isinstance(episodes, int) or isinstance(episodes, bool):
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


def _stderr(values: list[float]) -> float | str:
    """lm-eval's mean_stderr: sample standard deviation / sqrt(n); 'N/A' for one value."""
    n = len(values)
    if n < 2:
        return "N/A"
    mu = sum(values) / n
    return math.sqrt(sum((x - mu) ** 2 for x in values) / (n - 1)) / math.sqrt(n)


def _check_results(entry, name: str, scores: dict, add) -> None:
    if not isinstance(entry, dict):
        add("missing-results", "no entry in results")
        return
    allowed = {"name", "alias", "sample_len"} | {f"{m}{s},none" for m in scores for s in ("", "_stderr")}
    for key in entry:
        if key not in allowed:
            add("unexpected-metric", f"results has {shown(key, 40)}")
    for metric, values in scores.items():
        if any(v is None for v in values):
            return  # a doc failed its own checks: already reported
        value, stderr = entry.get(f"{metric},none"), entry.get(f"{metric}_stderr,none")
        mean = sum(values) / len(values)
        if not _is_number(value):
            add("missing-results", f"{metric} is not reported")
        elif not 0.0 <= value <= 1.0:
            add("out-of-range", f"{metric} = {value} is outside [0, 1]")
        elif abs(value - mean) > 1e-9:
            add("metric-mismatch", f"{metric} reported {value}, recomputed {mean}")
        want = _stderr(values)
        if want == "N/A":
            if stderr != "N/A":
                add("stderr-mismatch", f"{metric}_stderr = {shown(stderr, 20)}, expected 'N/A'")
        elif not _is_number(stderr) or stderr < 0:
            add("out-of-range", f"{metric}_stderr = {shown(stderr, 20)} is not a non-negative number")
        elif not math.isclose(stderr, want, rel_tol=_REL_TOL, abs_tol=1e-9):
            add("stderr-mismatch", f"{metric}_stderr reported {stderr}, recomputed {want}")
    if entry.get("sample_len") != len(next(iter(scores.values()))):
        add("limit-used", f"sample_len = {shown(entry.get('sample_len'), 20)}")


def _verify_groups(out: Verified, where: str, results: dict, sections: dict, leaves: dict) -> None:
    suite = official()
    subtasks = results.get("group_subtasks")
    subtasks = subtasks if isinstance(subtasks, dict) else {}
    for group in sorted(g for g in sections["results"] if g in suite.groups):
        members = suite.groups[group]
        if group in subtasks and subtasks[group] != list(members):
            out.add("config-mismatch", group, "group_subtasks differ from the official group")
        version = sections["versions"].get(group)
        try:
            ok = float(version) == TASK_VERSION
        except (TypeError, ValueError):
            ok = False
        if not ok:
            out.add("version-mismatch", group, f"versions = {shown(version, 20)}, official {TASK_VERSION}")
        flat = _leaves_of(group)
        entry = sections["results"][group]
        if not isinstance(entry, dict):
            out.add("malformed", group, "results entry is not an object")
            continue
        if not all(t in out.tasks for t in flat):
            continue  # a member failed (or is missing): reported there
        metric = "exact_match" if group == "ood_icl_gen" else "acc"
        sizes = [len(out.tasks[t].scores[metric]) for t in flat]
        means = [sum(out.tasks[t].scores[metric]) / n for t, n in zip(flat, sizes)]
        errs = [_stderr(out.tasks[t].scores[metric]) for t in flat]
        value = sum(m * n for m, n in zip(means, sizes)) / sum(sizes)
        have = entry.get(f"{metric},none")
        if not _is_number(have) or abs(have - value) > 1e-9:
            out.add("metric-mismatch", group, f"{metric} reported {shown(have, 24)}, recomputed {value}")
        have_err = entry.get(f"{metric}_stderr,none")
        if "N/A" in errs:
            want_err = "N/A"
        else:
            pooled = sum((n - 1) * e ** 2 * n for n, e in zip(sizes, errs)) / (sum(sizes) - len(sizes))
            want_err = math.sqrt(pooled / sum(sizes))
        if want_err == "N/A" or not _is_number(have_err):
            if have_err != want_err:
                out.add("stderr-mismatch", group,
                        f"{metric}_stderr reported {shown(have_err, 24)}, expected {want_err}")
        elif not math.isclose(have_err, want_err, rel_tol=_REL_TOL, abs_tol=1e-9):
            out.add("stderr-mismatch", group, f"{metric}_stderr reported {have_err}, recomputed {want_err}")
        if entry.get("sample_len") != sum(sizes):
            out.add("limit-used", group, f"sample_len = {shown(entry.get('sample_len'), 20)}, expected {sum(sizes)}")


def _leaves_of(group: str) -> list[str]:
    suite = official()
    out = []
    for member in suite.groups[group]:
        out += _leaves_of(member) if member in suite.groups else [member]
    return out


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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


# --- command line -------------------------------------------------------------------------------------

def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("dir", type=Path, help="the lm_eval --output_path folder (results + --log_samples)")
    parser.add_argument("--seed", type=seed_arg, default=None,
                        help="the maintainers' secret seed: the run must have used it")
    parser.add_argument("--finetune", action="store_true",
                        help="DIR is the fine-tuning baseline's folder (tasks ood_icl_<family>_<variant>_ft<k>)")
    parser.add_argument("--allow-small", action="store_true",
                        help="accept episodes/queries other than the official ones (tests, quick looks)")
    parser.add_argument("--allow-partial", action="store_true",
                        help="accept a run covering only part of the suite (e.g. ood_icl_quick) or, with "
                             "--finetune, only some family x variant cells")
    return parser


seed_arg = nonneg_int  # kept as a name: leaderboard_submit imports it


def report(v: Verified, stream=None) -> None:
    stream = stream or sys.stdout
    if v.ok:
        n_docs = sum(len(next(iter(t.scores.values()))) for t in v.tasks.values())
        print(f"OK {v.folder}: {len(v.tasks)} tasks, {n_docs} docs verified "
              f"(seed {v.seed}, {v.sizes.get('episodes')} episodes x {v.sizes.get('queries')} queries)", file=stream)
        return
    for problem in v.problems[:_MAX_PRINTED]:
        print(f"FAIL {problem}", file=stream)
    if len(v.problems) > _MAX_PRINTED:
        print(f"FAIL ... and {len(v.problems) - _MAX_PRINTED} more", file=stream)
    codes = sorted({p.code for p in v.problems})
    print(f"{len(v.problems)} problem(s) in {v.folder}: {', '.join(codes)}", file=stream)


def run(args: argparse.Namespace) -> int:
    if not args.dir.is_symlink() and not args.dir.is_dir():
        print(f"ood-icl verify: error: {args.dir}: not a folder", file=sys.stderr)
        return 2
    v = verify_run(args.dir, seed=args.seed, kind="ft" if args.finetune else "icl", allow_small=args.allow_small,
                   allow_partial=args.allow_partial)
    report(v)
    return 0 if v.ok else 1
