"""Episodes -> rows with fixed datasets.Features -> a Hugging Face dataset repo folder.

One config per ``<family>_<variant>``, one ``test`` split of parquet, a README.md card
whose front matter lists ``configs`` and ``dataset_info``, and ``manifest.json`` with a
content hash per config.  The folder is built beside its destination and renamed
into place, so a crash or kill never leaves a half-written dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import __version__
from .generators import FAMILIES, SUITE_VERSION, VARIANTS, get_family
from .generators.episodes import distinct_episodes
from .io import is_int
from .suite import DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, PUBLISHED_SEED, cell_name


def features():
    """The fixed schema of every row (imported lazily: generators stay datasets-free)."""
    import datasets

    string = datasets.Value("string")
    return datasets.Features({
        "episode_id": string,
        "family": string,
        "variant": string,
        "difficulty": datasets.Value("int32"),
        "seed": datasets.Value("int64"),
        "episode": datasets.Value("int32"),
        "query_index": datasets.Value("int32"),
        "demos": datasets.List({"input": string, "output": string}),
        "query": string,
        "choices": datasets.List(string),
        "label": datasets.Value("int32"),
        "answer": string,
        "control": datasets.List(datasets.Value("int32")),
    })


@dataclass(frozen=True)
class BuildSpec:
    """Everything that determines the rows of one config."""

    family: str
    variant: str
    seed: int = PUBLISHED_SEED
    difficulty: int = DEFAULT_DIFFICULTY
    episodes: int = DEFAULT_EPISODES
    queries: int = DEFAULT_QUERIES
    pool: int = DEFAULT_POOL
    overrides: dict = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        get_family(self.family)  # unknown names answer with the close matches
        if self.variant not in VARIANTS:
            raise ValueError(f"variant={self.variant!r}: must be one of {', '.join(VARIANTS)}")
        for name in ("seed", "episodes", "queries", "pool"):
            value = getattr(self, name)
            if not is_int(value) or value < (0 if name == "seed" else 1):
                raise ValueError(f"{name}={value!r}: must be a {'non-negative' if name == 'seed' else 'positive'} integer")

    @property
    def config_name(self) -> str:
        return cell_name(self.family, self.variant)


def episodes(spec: BuildSpec):
    fam = get_family(spec.family)
    cfg = fam.config(spec.difficulty, **spec.overrides)
    yield from distinct_episodes(fam, spec.variant, cfg, seed=spec.seed, n_episodes=spec.episodes,
                                 n_queries=spec.queries, pool_size=spec.pool)


def rows(spec: BuildSpec) -> Iterator[dict]:
    """The rows of one config: one per query, each carrying its episode's demos in order."""
    for ep in episodes(spec):
        yield from episode_rows(ep)


def episode_rows(ep) -> Iterator[dict]:
    """One episode's rows (``rows``, for a caller that keeps the episodes too)."""
    demos = [{"input": d.input, "output": d.output} for d in ep.demos]
    for qi, q in enumerate(ep.queries):
        yield {
            "episode_id": ep.episode_id, "family": ep.family, "variant": ep.variant,
            "difficulty": ep.difficulty, "seed": ep.seed, "episode": ep.index, "query_index": qi,
            "demos": demos, "query": q.input, "choices": list(q.choices), "label": q.label,
            "answer": q.answer, "control": list(ep.control),
        }


def content_hash(rows_: Iterable[dict]) -> str:
    """SHA-256 over canonical JSON lines: equal for equal content whatever the storage."""
    h = hashlib.sha256()
    for row in rows_:
        h.update(json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def to_dataset(row_list: list[dict]):
    import datasets

    return datasets.Dataset.from_list(row_list, features=features())


def write_repo(out: Path, specs: list[BuildSpec], command: str, progress: bool = True) -> dict:
    """Write the dataset repo folder atomically; return the manifest."""
    out = Path(out)
    parent = out.resolve().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        manifest = _write_into(tmp, specs, command, progress)
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.replace(out, trash / "old")
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
        return manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_into(root: Path, specs: list[BuildSpec], command: str, progress: bool) -> dict:
    import datasets
    from tqdm import tqdm

    datasets.disable_progress_bars()  # one bar for the build, not one per parquet file
    configs = {}
    bar = tqdm(specs, desc="generate", unit="config", disable=not progress)
    for spec in bar:
        bar.set_postfix_str(spec.config_name)
        row_list = list(rows(spec))
        folder = root / "data" / spec.config_name
        folder.mkdir(parents=True)
        ds = to_dataset(row_list)
        ds.to_parquet(str(folder / "test-00000-of-00001.parquet"))
        configs[spec.config_name] = {"sha256": content_hash(row_list), "rows": len(row_list),
                                     "num_bytes": ds.data.nbytes,
                                     "episodes": spec.episodes, "queries_per_episode": spec.queries,
                                     "pool": spec.pool, "difficulty": spec.difficulty,
                                     "family": spec.family, "variant": spec.variant}
    seeds = {s.seed for s in specs}
    manifest = {
        "suite_version": SUITE_VERSION, "ood_icl_version": __version__,
        "seed": seeds.pop() if len(seeds) == 1 else sorted(seeds),
        "difficulty": sorted({s.difficulty for s in specs}),
        "generators": {name: type(fam).__module__ for name, fam in FAMILIES.items()
                       if name in {s.family for s in specs}},
        "command": public_command(command), "configs": configs,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (root / "README.md").write_text(_card(specs, configs, manifest))
    return manifest


FIELDS = {
    "episode_id": "the episode's id (family, variant, difficulty, seed, index)",
    "family": "the task family (see Families)",
    "variant": "`id` (familiar rule and surface), `renamed` (familiar rules, new surface) or `ood` (new rule)",
    "difficulty": "1-3; the family's knobs (sizes, lengths) at that level",
    "seed": "the generation seed",
    "episode": "the episode's index in its config",
    "query_index": "the query's index in its episode",
    "demos": "the episode's support pool, in order: the first k are the k-shot demonstrations",
    "query": "the input to answer",
    "choices": "the query's output under each candidate rule (the gold and distractors)",
    "label": "the index of the gold output in `choices`",
    "answer": "the gold output (`choices[label]`)",
    "control": "the pairing control (`_k16_shuffled` tasks): demo i shows the output of demo `control[i]`",
}
"""Every row field, described (the card's Fields table; features() gives the types)."""

CITATION = """\
@misc{ood_icl_2026,
  title        = {ood-icl: Does in-context learning generalise to genuinely new tasks?},
  author       = {{ood-icl contributors}},
  year         = {2026},
  note         = {Procedurally generated in-context learning tasks for lm-evaluation-harness, suite version 3},
}"""
"""The suite's citation (no paper yet): the card and the task README use it."""

USES = """\
- Score a language model's in-context learning on rules it cannot have seen (`ood`) against
  familiar twins of the same format (`id`, `renamed`), with lm-evaluation-harness: the `ood_icl*`
  task groups regenerate or read these rows (`--metadata '{"dataset": "<this repo>"}'`).
- Compare in-context learning with fine-tuning on exactly the same k demonstrations.
- Not for training: a model trained on these rows is no longer scored on new rules. For a fresh,
  never-published set, regenerate with another seed (below)."""

LIMITATIONS = """\
- Synthetic, English-only, short strings: a score measures learning these formats from a few
  examples, not general ability.
- The rules are new, the surface is not: letters, digits and common English words the model knows.
- Small sets: 100 queries from 20 episodes per task; differences of a few points are noise
  (the leaderboard reports bootstrap intervals over episodes).
- Once published, a seed can leak into later training corpora; private rescoring uses unpublished
  seeds."""


def public_command(command: str) -> str:
    """The generating command with its local paths replaced (the card and manifest travel)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return command
    out, skip = [], False
    for word in words:
        if skip:
            out.append("DATA_DIR")
            skip = False
        elif word == "--out":
            out.append(word)
            skip = True
        elif word.startswith("--out="):
            out.append("--out=DATA_DIR")
        else:
            out.append(word)
    return shlex.join(out)


def _card(specs: list[BuildSpec], configs: dict, manifest: dict) -> str:
    """The dataset card (README.md), written through huggingface_hub.DatasetCard."""
    import copy

    import datasets
    from huggingface_hub import DatasetCard, DatasetCardData

    info = datasets.DatasetInfo(features=features())._to_yaml_dict()
    rows_total = sum(c["rows"] for c in configs.values())
    data = DatasetCardData(
        license="mit", language=["en"], pretty_name="ood-icl",
        task_categories=["multiple-choice", "text-generation"],
        size_categories=["n<1K" if rows_total < 1_000 else "1K<n<10K" if rows_total < 10_000 else "10K<n<100K"],
        tags=["in-context-learning", "synthetic", "procedurally-generated", "lm-evaluation-harness"],
        configs=[{"config_name": s.config_name,
                  "data_files": [{"split": "test", "path": f"data/{s.config_name}/test-*.parquet"}]}
                 for s in specs],
        dataset_info=[dict(copy.deepcopy(info), config_name=s.config_name,
                           splits=[{"name": "test", "num_bytes": configs[s.config_name]["num_bytes"],
                                    "num_examples": configs[s.config_name]["rows"]}])
                      for s in specs])
    card = DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{_card_body(specs, configs, manifest)}")
    return str(card)


def _card_body(specs: list[BuildSpec], configs: dict, manifest: dict) -> str:
    import inspect

    fams = sorted({s.family for s in specs})
    families = "\n".join(
        f"| `{f}` | {(inspect.getdoc(inspect.getmodule(type(get_family(f)))) or f).splitlines()[0].removeprefix(f + ': ')} | "
        f"{get_family(f).n_choices} |" for f in fams)
    fields = "\n".join(f"| `{name}` | {FIELDS.get(name, '')} |" for name in features())
    table = "\n".join(f"| {name} | {c['rows']} | {c['episodes']} | `{c['sha256'][:16]}` |"
                      for name, c in configs.items())
    return (f"# ood-icl (seed {manifest['seed']})\n\n## Dataset description\n\n"
            "Procedurally generated in-context learning episodes. Each family has three variants: `ood`, "
            "a rule drawn fresh from a space of at least 10^6 behaviours that excludes every familiar "
            "rule, so no corpus can contain it; `id`, a familiar rule of the same format; `renamed`, "
            "the familiar rules in the ood surface. Each row is one query with its episode's "
            "demonstrations (the first k of `demos` are the k-shot prompt), the choices (the query's "
            "output under other rules of the same space) and the gold `label`: without the "
            "demonstrations no method beats chance.\n\n"
            "## Families\n\n| family | task | choices |\n|---|---|---|\n" + families + "\n\n"
            "## Fields\n\nOne config per `<family>_<variant>`, one `test` split.\n\n"
            "| field | meaning |\n|---|---|\n" + fields + "\n\n"
            "| config | rows | episodes | sha256 |\n|---|---|---|---|\n" + table + "\n\n"
            f"## Uses\n\n{USES}\n\n## Limitations\n\n{LIMITATIONS}\n\n"
            "## How it was generated\n\nWith the `ood-icl` package (suite version "
            f"{manifest['suite_version']}, ood-icl {manifest['ood_icl_version']}); the same command "
            "gives the same rows, byte for byte, and `manifest.json` holds each config's content hash:\n\n"
            f"```\n{manifest['command']}\n```\n\n"
            "Any other `--seed` gives a fresh set of rules that was never published.\n\n"
            "## License\n\nMIT (the data and the code that generates it).\n\n"
            f"## Citation\n\n```bibtex\n{CITATION}\n```\n")
