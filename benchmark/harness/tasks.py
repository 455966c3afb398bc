"""The lm-eval side of the data: the ``custom_dataset`` loader and the prompt hook.

lm-eval calls ``load(**metadata, **dataset_kwargs)`` (and passes model arguments too,
hence ``**_ignored``).  The rows are regenerated from ``seed`` (default: the published
seed) or read from a generated folder (``data_dir``); both give the same content hash.
Each doc keeps only the first ``k`` demonstrations: the doc is exactly what the model sees.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..dataset import BuildSpec, content_hash, rows, to_dataset
from ..generators import SUITE_VERSION, control_permutation, render_prompt
from ..io import is_int, read_json
from ..suite import (CONTROL_K, CONTROLS, DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES,
                     PUBLISHED_SEED)


def load(family: str, variant: str, k: int, seed: int = PUBLISHED_SEED,
         difficulty: int = DEFAULT_DIFFICULTY, episodes: int = DEFAULT_EPISODES,
         queries: int = DEFAULT_QUERIES, data_dir: str | None = None, control: str = "", **_ignored):
    """Return ``DatasetDict({"test": ...})`` for one leaf task (``control="shuffled"``: the pairing
    control, the k=16 demos with their outputs deranged among them)."""
    import datasets

    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= DEFAULT_POOL:
        raise ValueError(f"k={k!r}: must be an integer in [0, {DEFAULT_POOL}]")
    if control and (control not in CONTROLS or k != CONTROL_K):
        raise ValueError(f"control={control!r}: must be one of {', '.join(CONTROLS)}, at k={CONTROL_K}")
    spec = BuildSpec(family, variant, seed=_as_int("seed", seed), difficulty=_as_int("difficulty", difficulty),
                     episodes=_as_int("episodes", episodes), queries=_as_int("queries", queries))
    full = _rows_from_dir(Path(data_dir), spec) if data_dir else _rows(spec)
    return datasets.DatasetDict({"test": to_dataset(shown_docs(full, k, control))})


def shown_docs(rows_: list | tuple, k: int, control: str = "") -> list[dict]:
    """The docs a leaf task shows: each row with its first k demos, or (``control="shuffled"``) the
    first k demos with their outputs moved by the episode's control permutation.  Verification
    rebuilds the docs with this same function."""
    return [dict(row, demos=_deranged(row, k) if control else [dict(d) for d in row["demos"][:k]])
            for row in rows_]


def _deranged(row: dict, k: int) -> list[dict]:
    ident = (SUITE_VERSION, row["family"], row["variant"], row["difficulty"], row["seed"], row["episode"])
    demos = row["demos"][:k]
    return [dict(d, output=demos[p]["output"]) for d, p in zip(demos, control_permutation(ident, k))]


def doc_to_text(doc: dict) -> str:
    return render_prompt(doc["demos"], doc["query"])


def _as_int(name: str, value) -> int:
    # --metadata is JSON, so numbers arrive as numbers; strings are a user error worth naming.
    if not is_int(value):
        raise ValueError(f"{name}={value!r}: must be an integer")
    return value


@lru_cache(maxsize=64)
def _rows(spec: BuildSpec) -> tuple:
    return tuple(rows(spec))


def _rows_from_dir(root: Path, spec: BuildSpec) -> list[dict]:
    """Rows of a generated folder, checked against its manifest and the requested spec; a folder
    with more episodes serves the first ``spec.episodes`` of them."""
    import datasets

    manifest = read_json(root / "manifest.json")
    entry = manifest["configs"].get(spec.config_name)
    if entry is None:
        raise ValueError(f"data_dir={str(root)!r}: has no config {spec.config_name!r}")
    held = {"seed": manifest["seed"], "difficulty": entry["difficulty"], "queries": entry["queries_per_episode"]}
    asked = {name: getattr(spec, name) for name in held}
    if held != asked or entry["episodes"] < spec.episodes:
        raise ValueError(f"data_dir={str(root)!r}: holds {dict(held, episodes=entry['episodes'])}; "
                         f"pass the same in --metadata (got {dict(asked, episodes=spec.episodes)})")
    found = datasets.load_dataset(str(root), spec.config_name, split="test").to_list()
    if content_hash(found) != entry["sha256"]:
        raise ValueError(f"data_dir={str(root)!r}: {spec.config_name} does not match its manifest hash")
    # Episodes are independent of how many were built, so a larger folder serves a smaller task.
    found = [row for row in found if row["episode"] < spec.episodes]
    return found
