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
        demos = [{"input": d.input, "output": d.output} for d in ep.demos]
        for qi, q in enumerate(ep.queries):
            yield {
                "episode_id": ep.episode_id, "family": ep.family, "variant": ep.variant,
                "difficulty": ep.difficulty, "seed": ep.seed, "episode": ep.index, "query_index": qi,
                "demos": demos, "query": q.input, "choices": list(q.choices), "label": q.label,
                "answer": q.answer,
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
        "command": command, "configs": configs,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (root / "README.md").write_text(_card(specs, configs, manifest))
    return manifest


def _card(specs: list[BuildSpec], configs: dict, manifest: dict) -> str:
    import datasets
    import yaml

    info = datasets.DatasetInfo(features=features())._to_yaml_dict()
    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):  # the card is read by people: no &id001 anchors
            return True

    front = {
        "license": "mit", "language": ["en"], "pretty_name": "ood-icl",
        "task_categories": ["multiple-choice"],
        "configs": [{"config_name": s.config_name,
                     "data_files": [{"split": "test", "path": f"data/{s.config_name}/test-*.parquet"}]}
                    for s in specs],
        "dataset_info": [dict(info, config_name=s.config_name,
                              splits=[{"name": "test", "num_bytes": configs[s.config_name]["num_bytes"],
                                       "num_examples": configs[s.config_name]["rows"]}])
                         for s in specs],
    }
    table = "\n".join(f"| {name} | {c['rows']} | {c['episodes']} | `{c['sha256'][:16]}` |"
                      for name, c in configs.items())
    return (f"---\n{yaml.dump(front, Dumper=_NoAliases, sort_keys=False)}---\n\n"
            f"# ood-icl (seed {manifest['seed']})\n\n"
            "Procedurally generated in-context learning episodes: each row is one query with its "
            "episode's demonstrations (the first k of `demos` are the k-shot prefix), the choices "
            "and the gold `label`. Regenerate with:\n\n"
            f"```\n{manifest['command']}\n```\n\n"
            "| config | rows | episodes | sha256 |\n|---|---|---|---|\n" + table + "\n")
