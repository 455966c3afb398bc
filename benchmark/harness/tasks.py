"""The lm-eval side of the data: the ``custom_dataset`` loader and the prompt hooks.

lm-eval calls ``load(**metadata, **dataset_kwargs)`` (and passes model arguments too,
hence ``**_ignored``).  The rows are regenerated from ``seed`` (default: the published
seed), read from a generated folder (``data_dir``), or read from a published dataset repo
(``dataset``: a Hub id such as ``ORG/NAME``, or a local copy of one) when it holds the asked
seed and sizes, regenerated otherwise; all give the same content hash.  Each doc keeps only
the first ``k`` demonstrations: the doc is exactly what the model sees.

Every problem with the arguments or the data is a ``LoaderError`` with a one-line message
naming its cause; ``task_yaml/utils.py`` turns it into a one-line exit under lm_eval.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from ..dataset import BuildSpec, content_hash, episode_rows, episodes, to_dataset
from ..generators import decoupled_demos, get_family, render_prompt
from ..io import DataError, is_int, read_json
from ..suite import (CONTROL_K, CONTROLS, DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES,
                     PUBLISHED_SEED, controls_of)

CHAT_INSTRUCTION = ("Each line maps an input to its output by the same hidden rule. "
                    "Reply with only the output for the last input.")
"""The one line above the demonstrations in the chat tasks (``ood_icl_chat``)."""


class LoaderError(ValueError):
    """A task's data cannot be served; the message is one line naming the cause."""


def load(family: str, variant: str, k: int, seed: int = PUBLISHED_SEED,
         difficulty: int = DEFAULT_DIFFICULTY, episodes: int = DEFAULT_EPISODES,
         queries: int = DEFAULT_QUERIES, data_dir: str | None = None, control: str = "",
         dataset: str | None = None, revision: str | None = None, **_ignored):
    """Return ``DatasetDict({"test": ...})`` for one leaf task (``control``: one of the pairing
    controls the cell has, ``shuffled`` or ``decoupled``; ``shown_docs``)."""
    import datasets

    if not is_int(k) or not 0 <= k <= DEFAULT_POOL:
        raise LoaderError(f"k={k!r}: must be an integer in [0, {DEFAULT_POOL}]")
    if control and (control not in CONTROLS or k != CONTROL_K):
        raise LoaderError(f"control={control!r}: must be one of {', '.join(CONTROLS)}, at k={CONTROL_K}")
    try:
        spec = BuildSpec(family, variant, seed=_as_int("seed", seed), difficulty=_as_int("difficulty", difficulty),
                         episodes=_as_int("episodes", episodes), queries=_as_int("queries", queries))
    except LoaderError:
        raise
    except (ValueError, KeyError) as exc:
        raise LoaderError(_one_line(exc)) from None
    if control and control not in controls_of(family, variant):
        raise LoaderError(f"control={control!r}: {family}_{variant} has only {', '.join(controls_of(family, variant))} "
                          "(the decoupled control: renamed and ood cells without the pairing constraint)")
    if data_dir and dataset:
        raise LoaderError("pass either data_dir or dataset in --metadata, not both")
    if data_dir:
        full = _rows_from_dir(_folder("data_dir", data_dir), spec)
    elif dataset:
        full = _rows_from_repo(dataset, revision, spec)
    else:
        full = regenerated_rows(spec)
    return datasets.DatasetDict({"test": to_dataset(shown_docs(full, k, control, spec))})


def shown_docs(rows_: list | tuple, k: int, control: str = "", spec: BuildSpec | None = None) -> list[dict]:
    """The docs a leaf task shows: each row with its first k demos; ``control="shuffled"``: the
    first k demos with their outputs moved by the episode's control permutation; ``"decoupled"``:
    the first k demo inputs, each beside the gold's output on a fresh input, regenerated from
    ``spec`` (the rows' own spec; generators.decoupled_demos).  Verification rebuilds the docs
    with this same function."""
    if control == "decoupled":
        if spec is None:
            raise LoaderError("the decoupled control regenerates its outputs: pass the rows' BuildSpec")
        shown = _decoupled_outputs(spec)
        return [dict(row, demos=_decoupled(row, k, shown)) for row in rows_]
    return [dict(row, demos=_deranged(row, k) if control else [dict(d) for d in row["demos"][:k]])
            for row in rows_]


@lru_cache(maxsize=64)
def _decoupled_outputs(spec: BuildSpec) -> dict:
    """episode_id -> ((shown input, decoupled output), ...) for the spec's episodes."""
    fam = get_family(spec.family)
    cfg = fam.config(spec.difficulty, **spec.overrides)
    return {ep.episode_id: tuple((d.input, d.output) for d in decoupled_demos(fam, cfg, ep)[0])
            for ep in _episodes(spec)}


def _decoupled(row: dict, k: int, shown: dict) -> list[dict]:
    pairs = shown.get(row.get("episode_id"))
    demos = row["demos"][:k]
    if pairs is None or len(pairs) != k or [d["input"] for d in demos] != [x for x, _ in pairs]:
        raise LoaderError(f"{row.get('episode_id')}: the row is not the regenerated episode's (other seed, sizes "
                          "or generators): regenerate the data with `ood-icl generate`")
    return [dict(d, output=out) for d, (_, out) in zip(demos, pairs)]


def _deranged(row: dict, k: int) -> list[dict]:
    perm = row.get("control")
    if not perm or len(perm) != k:
        raise LoaderError(f"{row.get('episode_id')}: the row has no pairing-control permutation (built by an "
                          f"older ood-icl, suite < 3.1): regenerate the data with `ood-icl generate`")
    demos = row["demos"][:k]
    return [dict(d, output=demos[p]["output"]) for d, p in zip(demos, perm)]


def doc_to_text(doc: dict) -> str:
    return render_prompt(doc["demos"], doc["query"])


def doc_to_text_chat(doc: dict) -> str:
    """The chat tasks' prompt: one instruction line, then the same demonstrations and query."""
    return CHAT_INSTRUCTION + "\n" + render_prompt(doc["demos"], doc["query"])


def _as_int(name: str, value) -> int:
    # --metadata is JSON, so numbers arrive as numbers; strings are a user error worth naming.
    if not is_int(value):
        hint = f" (write {name}: {value.strip()} without quotes)" if isinstance(value, str) and value.strip().isdigit() else ""
        raise LoaderError(f"{name}={value!r}: must be an integer, got {type(value).__name__}{hint}")
    return value


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@lru_cache(maxsize=256)
def _episodes(spec: BuildSpec) -> tuple:
    """The spec's episodes, built once for its rows and its decoupled control."""
    return tuple(episodes(spec))


@lru_cache(maxsize=256)
def regenerated_rows(spec: BuildSpec) -> tuple:
    """The spec's rows (``dataset.rows``), from the cached episodes; verification reads them too."""
    return tuple(row for ep in _episodes(spec) for row in episode_rows(ep))


def _folder(name: str, value) -> Path:
    if not isinstance(value, str):
        raise LoaderError(f"{name}={value!r}: must be a folder path (a string)")
    root = Path(value).expanduser()
    if not root.is_dir():
        raise LoaderError(f"{name}={value!r}: no such folder")
    if not (root / "manifest.json").is_file():
        raise LoaderError(f"{name}={value!r}: has no manifest.json (not a folder written by `ood-icl generate`)")
    return root


def _manifest(root: Path) -> dict:
    try:
        manifest = read_json(root / "manifest.json")
        manifest["configs"].items()
        return manifest
    except (DataError, OSError, KeyError, TypeError, AttributeError) as exc:
        raise LoaderError(f"{root / 'manifest.json'}: cannot be read ({_one_line(exc)})") from None


def _held(root: Path, spec: BuildSpec) -> tuple[dict, dict]:
    manifest = _manifest(root)
    entry = manifest["configs"].get(spec.config_name)
    if entry is None:
        raise LoaderError(f"{root}: has no config {spec.config_name!r}")
    held = {"seed": manifest.get("seed"), "difficulty": entry.get("difficulty"),
            "queries": entry.get("queries_per_episode"), "episodes": entry.get("episodes")}
    return entry, held


def _serves(held: dict, spec: BuildSpec) -> bool:
    return (all(held[n] == getattr(spec, n) for n in ("seed", "difficulty", "queries"))
            and is_int(held["episodes"]) and held["episodes"] >= spec.episodes)


def _rows_from_dir(root: Path, spec: BuildSpec) -> list[dict]:
    """Rows of a generated folder, checked against its manifest and the requested spec; a folder
    with more episodes serves the first ``spec.episodes`` of them."""
    entry, held = _held(root, spec)
    if not _serves(held, spec):
        asked = {n: getattr(spec, n) for n in held}
        raise LoaderError(f"data_dir={str(root)!r}: holds {held}; pass the same in --metadata (got {asked})")
    return _read_config(root, spec, entry)


def _read_config(root: Path, spec: BuildSpec, entry: dict) -> list[dict]:
    import pyarrow.parquet as pq

    files = sorted((root / "data" / spec.config_name).glob("test-*.parquet"))
    if not files:
        raise LoaderError(f"{root}: no parquet file under data/{spec.config_name}/")
    found = []
    for path in files:
        try:
            found += pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise LoaderError(f"{path}: corrupt parquet file ({_one_line(exc)})") from None
    if content_hash(found) != entry.get("sha256"):
        raise LoaderError(f"{root}: {spec.config_name} does not match its manifest hash (files changed?)")
    # Episodes are independent of how many were built, so a larger folder serves a smaller task.
    return [row for row in found if row["episode"] < spec.episodes]


def _rows_from_repo(dataset, revision, spec: BuildSpec):
    """A published dataset repo (Hub id, or a local folder standing in for one): its rows when it
    holds the asked seed and sizes, else the regenerated rows (any other seed is never published)."""
    if not isinstance(dataset, str) or not dataset.strip():
        raise LoaderError(f"dataset={dataset!r}: must be a Hub dataset id (ORG/NAME) or a folder")
    local = Path(dataset).expanduser()
    root = local if local.is_dir() else _download(dataset, revision, spec.config_name)
    entry, held = _held(_folder("dataset", str(root)), spec)
    if not _serves(held, spec):
        logging.getLogger(__name__).info("%s holds %s; regenerating %s", dataset, held, spec.config_name)
        return regenerated_rows(spec)
    return _read_config(root, spec, entry)


def _download(repo_id: str, revision, config: str) -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                      allow_patterns=["manifest.json", f"data/{config}/*"]))
    except Exception as exc:  # offline, unknown repo, no access: one line naming it
        raise LoaderError(f"dataset={repo_id!r}: cannot download from the Hub ({type(exc).__name__}: "
                          f"{_one_line(exc)})") from None


class _NoForeignHint(logging.Filter):
    """lm-eval logs, for every task with a ``custom_dataset``, a hint naming another task's
    ``max_seq_lengths``; for ours it does not apply (our --metadata keys are in the README)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("ood_icl_") and "max_seq_lengths" in msg)


def quiet_lm_eval() -> None:
    """Drop that hint for ood_icl tasks only (idempotent)."""
    logger = logging.getLogger("lm_eval.api.task")
    if not any(isinstance(f, _NoForeignHint) for f in logger.filters):
        logger.addFilter(_NoForeignHint())
