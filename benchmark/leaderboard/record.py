"""Leaderboard records: the compact, checked form of a verified submission, and the one type that holds one.

A record keeps per-doc correctness per task (a string of 0/1 by doc_id), the ideal learner's
per-episode accuracy for the record's own seed, chance per family and the metadata needed to
rebuild every number on the page; never the samples.  Every record, written or read back,
is a ``Record``, whose constructor checks every field: records are read as untrusted data
(size-limited strict JSON, file names matched against one pattern).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..generators import DIFFICULTIES, FAMILIES, VARIANTS
from ..io import DataError, is_int, is_number, read_json, sha256, write_atomic
from ..suite import DEFAULT_EPISODES, EPISODES, SERIES
from .names import problem as name_problem
from .names import reserved

SCHEMA = "ood-icl-record/2"
OLD_SCHEMAS = ("ood-icl-record/1",)  # read (provenance filled in), never written
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_RECORDS = 500
MAX_DOCS = 10_000
"""Docs per series (episodes x queries): the regeneration bound of verification
(verify.checks.MAX_DOCS_PER_TASK); checked before anything is allocated from the sizes."""
MAX_K = 256
"""The largest shot or fine-tuning budget a record may hold (the documented budgets end at 256)."""
FT_BUDGETS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256)
"""The fine-tuning budgets a record may hold (powers of two to ``MAX_K``): each costs an ideal-learner
computation at every rebuild, so the set is fixed."""
MAX_EPISODES = max(EPISODES.values())
MAX_IDEAL_EPISODES = len(FAMILIES) * len(VARIANTS) * len(FT_BUDGETS) * DEFAULT_EPISODES
"""Episodes x (family, variant, k) cells a record may ask of the ideal learner, which every rebuild
recomputes (up to 3 s an episode: list_fn at budget 256): every cell at every k at the suite's 20
episodes (7,200), and no more episodes than the suite's largest task (the k0 floor's 100), so one
costly cell cannot take the whole allowance.  Without them an 800-byte record of 10,000 one-query
episodes at budget 256 held a rebuild for hours, refused or not.  Checked by ``rederive`` before
anything is computed (a record read for ``ood-icl table`` on a larger run of one's own is not bounded)."""
PROVENANCE = ("self-reported", "rescored", "reference")
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WORD_RE = re.compile(r"^[a-z0-9_]{1,40}$")
_HEX_RE = re.compile(r"^[0-9a-f]{64}$")
_SALT_RE = re.compile(r"^[0-9a-f]{32}$")


class RecordError(ValueError):
    """A record that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Series:
    family: str
    variant: str
    k: int
    method: str
    per_episode: tuple[float, ...]


@dataclass(frozen=True)
class Record:
    """One checked record.  Every construction validates (``__post_init__``): build one from
    fields, or from JSON data with ``Record.from_json``; ``to_json`` is what is written."""

    name: str
    slug: str
    kind: str  # "model" or "reference"
    submitted: str
    ood_icl_version: str
    suite_version: object
    task_version: float
    seed: int | None  # None: a maintainers' seed not yet revealed (only its commitment is kept)
    seed_sha256: str
    private_seed: bool  # True while the seed is sealed (rescored, not yet revealed)
    sizes: dict
    model: dict
    finetune: dict | None
    chance: dict
    ideal: dict
    series: list
    provenance: str = "self-reported"  # self-reported | rescored | reference
    seed_salt: str | None = None  # a rescored record's commitment salt, published with the seed
    schema: str = SCHEMA

    def __post_init__(self) -> None:
        _check(self.to_json(), self.slug + ".json" if isinstance(self.slug, str) else "")

    @classmethod
    def from_json(cls, data, file_name: str) -> "Record":
        """The record in ``data`` (parsed JSON), which must be named ``file_name``."""
        if isinstance(data, dict) and data.get("schema") in OLD_SCHEMAS:
            data = dict(data, schema=SCHEMA, seed_salt=None,
                        provenance="reference" if data.get("kind") == "reference" else
                        "rescored" if data.get("private_seed") is True else "self-reported")
        _check(data, file_name)
        names = {f.name for f in fields(cls)}
        _need(set(data) <= names, f"fields ({', '.join(sorted(map(str, set(data) - names)))[:80]} unknown)")
        for f in fields(cls):
            _need(f.name in data, f.name)
        return cls(**{f.name: data[f.name] for f in fields(cls)})

    def to_json(self) -> dict:
        return asdict(self)

    def per_episode(self) -> list[Series]:
        """Per-episode accuracy of every series."""
        q = self.sizes["queries"]
        out = []
        for s in self.series:
            if "correct" in s:
                bits = s["correct"]
                values = tuple(sum(b == "1" for b in bits[i:i + q]) / q for i in range(0, len(bits), q))
            else:
                values = tuple(float(x) for x in s["per_episode"])
            out.append(Series(s["family"], s["variant"], s["k"], s["method"], values))
        return out

    @property
    def sealed(self) -> bool:
        """A rescored record whose seed is not yet revealed: nothing that needs the seed can be re-derived."""
        return self.seed is None


def board_families() -> tuple[str, ...]:
    """The families a complete record covers: the suite's (one place, so a test can narrow it)."""
    return tuple(sorted(FAMILIES))


def slug(name: str) -> str:
    """The file-name form of a display name; raises ValueError when nothing usable is left."""
    why = name_problem(name)
    if why is not None:
        raise ValueError(f"--name {name[:40]!r}: {why}" if isinstance(name, str) else f"--name: {why}")
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")[:64]
    if not SLUG_RE.match(text):
        raise ValueError(f"--name {name!r}: needs at least one letter or digit")
    return text


def seed_commitment(seed: int, salt: str | None = None) -> str:
    """SHA-256 of the seed (with a rescoring's salt: a 128-bit salt keeps a small seed from being guessed)."""
    return sha256(f"ood-icl-seed:{seed}" + (f":{salt}" if salt is not None else ""))


def write_record(folder: Path, record: Record, *, force: bool = False) -> Path:
    """Write ``<folder>/<slug>.json`` atomically; refuse to replace one unless ``force``."""
    if folder.is_symlink():
        raise ValueError(f"{folder}: symlinks are refused")
    record = Record.from_json(record.to_json(), f"{record.slug}.json")  # checked again: fields are mutable dicts
    path = folder / f"{record.slug}.json"
    if path.exists() and not force and not path.is_symlink():
        raise ValueError(f"{path} already exists (pass --force to replace it)")
    write_atomic(path, json.dumps(record.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def read_records(folder: Path) -> tuple[list[Record], list[str]]:
    """Every usable record under ``folder`` and one line per refused file."""
    records, refused = [], []
    if folder.is_symlink() or not folder.is_dir():
        return records, ([f"{folder}: not a folder"] if folder.exists() or folder.is_symlink() else [])
    with os.scandir(folder) as it:
        entries = sorted((e for e in it), key=lambda e: e.name)
    for entry in entries[:MAX_RECORDS]:
        name = entry.name
        if not name.endswith(".json") or name.startswith("."):
            continue
        try:
            if not SLUG_RE.match(name[:-5]):
                raise RecordError("file name is not <slug>.json")
            records.append(Record.from_json(read_json(Path(entry.path), MAX_RECORD_BYTES), name))
        except (DataError, RecordError) as exc:
            refused.append(f"{name!r}: {exc}")
    if len(entries) > MAX_RECORDS:
        refused.append(f"more than {MAX_RECORDS} files: the rest were not read")
    return records, refused


def _check(r, file_name: str) -> None:
    """Raise RecordError unless ``r`` is a well-formed record named ``file_name``: every field's type
    and range, the sizes first (capped before anything is allocated from them), then the fields
    against each other.  The suite's own numbers (chance, ideal, references) are re-derived by
    ``rederive``, not here."""
    if not isinstance(r, dict) or r.get("schema") != SCHEMA:
        raise RecordError(f"schema is not {SCHEMA!r}")
    sizes = r.get("sizes")
    _need(isinstance(sizes, dict) and set(sizes) == {"difficulty", "episodes", "queries"}
          and all(_int(sizes[k], 1) for k in sizes) and sizes["difficulty"] in DIFFICULTIES
          and sizes["episodes"] * sizes["queries"] <= MAX_DOCS, f"sizes (episodes x queries <= {MAX_DOCS})")
    why = name_problem(r.get("name"))
    _need(why is None, f"name ({why})")
    _need(isinstance(r.get("slug"), str) and SLUG_RE.match(r["slug"]) and file_name == r["slug"] + ".json",
          "slug (must equal the file name)")
    _need(r.get("kind") in ("model", "reference"), "kind")
    _need((r["kind"] == "reference") == (r.get("provenance") == "reference"), "provenance (reference iff kind)")
    _need(r["kind"] == "reference" or not (reserved(r["name"]) or r["slug"].lower().startswith("reference")),
          "name (a reference entry's name)")
    _check_seed(r)
    for key in ("submitted", "ood_icl_version", "suite_version"):
        _need(isinstance(r.get(key), (str, int)) and not isinstance(r[key], bool) and len(str(r[key])) <= 40, key)
    _need(is_number(r.get("task_version")), "task_version")
    _need(_flat_dict(r.get("model")), "model")
    ft = r.get("finetune")
    _need(ft is None or (isinstance(ft, dict) and _flat_dict(ft.get("model")) and _flat_dict(ft.get("method"))),
          "finetune")
    ch = r.get("chance")
    _need(isinstance(ch, dict) and all(_WORD_RE.match(f) and _prob(p) and p > 0 for f, p in ch.items()), "chance")
    _check_ideal(r.get("ideal"), sizes["episodes"])
    series = r.get("series")
    _need(isinstance(series, list) and 0 < len(series) <= 2000, "series")
    seen = set()
    for s in series:
        _check_series(s, r["kind"], sizes)
        _need(s["family"] in ch, f"chance for {s['family']}")
        key = (s["family"], s["variant"], s["k"], s["method"])
        _need(key not in seen, f"series {key} twice")
        seen.add(key)
    _need(set(ch) == {s["family"] for s in series}, "chance (one per family of the series)")
    has_ft = any(s["method"] == "ft" for s in series)
    _need(r["kind"] == "reference" or (ft is not None) == has_ft,
          "finetune (the fine-tuning run's identity, present iff the record holds fine-tuning series)")


def _check_seed(r: dict) -> None:
    """The seed, its commitment and the provenance agree: a self-reported seed is open; a rescored
    seed is sealed (only its salted commitment) until revealed with its salt."""
    seed, salt, digest = r.get("seed"), r.get("seed_salt"), r.get("seed_sha256")
    _need(seed is None or _int(seed, 0), "seed")
    _need(isinstance(digest, str) and _HEX_RE.match(digest), "seed_sha256")
    _need(isinstance(r.get("private_seed"), bool) and r["private_seed"] == (seed is None), "private_seed")
    _need(salt is None or (isinstance(salt, str) and _SALT_RE.match(salt)), "seed_salt")
    if r.get("provenance") == "rescored":
        _need((seed is None) == (salt is None), "seed_salt (a revealed seed comes with its salt)")
        _need(seed is None or digest == seed_commitment(seed, salt), "seed_sha256 (not the revealed seed's)")
    else:
        _need(seed is not None and salt is None, "seed (only a maintainers' rescoring seals a seed)")
        _need(digest == seed_commitment(seed), "seed_sha256 (not the seed's)")


def _check_series(s, kind: str, sizes: dict) -> None:
    _need(isinstance(s, dict) and isinstance(s.get("family"), str) and _WORD_RE.match(s["family"])
          and s.get("variant") in VARIANTS and _int(s.get("k"), 0) and s["k"] <= MAX_K
          and s.get("method") in SERIES, "series entry")
    key = (s["family"], s["variant"], s["k"], s["method"])
    n = sizes["episodes"] * sizes["queries"]
    if kind == "model":
        for field in ("correct", "acc_norm"):
            bits = s.get(field)
            _need((field == "acc_norm" and bits is None)
                  or (isinstance(bits, str) and len(bits) == n and set(bits) <= {"0", "1"}),
                  f"series {key} {field} (one 0/1 per doc: {n})")
        _need("per_episode" not in s, f"series {key} per_episode (a model's series are per-doc bits)")
    else:
        _need("correct" not in s and isinstance(s.get("per_episode"), list)
              and len(s["per_episode"]) == sizes["episodes"] and all(_prob(x) for x in s["per_episode"]),
              f"series {key} per_episode")
    for field in ("task", "metric", "task_hash"):
        _need(field not in s or (isinstance(s[field], str) and len(s[field]) <= 200), f"series {key} {field}")


def _check_ideal(ideal, episodes: int) -> None:
    _need(isinstance(ideal, dict), "ideal")
    for family, by_variant in ideal.items():
        _need(_WORD_RE.match(family) and isinstance(by_variant, dict), "ideal")
        for variant, by_k in by_variant.items():
            _need(variant in VARIANTS and isinstance(by_k, dict), "ideal")
            for k, values in by_k.items():
                _need(isinstance(k, str) and k.isdigit() and len(k) <= 3 and int(k) <= MAX_K, "ideal k")
                _need(values is None or (isinstance(values, list) and len(values) == episodes
                                         and all(_prob(x) for x in values)), "ideal values")


def _need(ok, field: str) -> None:
    if not ok:
        raise RecordError(f"bad {field}")


def _int(value, low: int) -> bool:
    return is_int(value) and low <= value < 2 ** 63


def _prob(value) -> bool:
    return is_number(value) and 0 <= value <= 1


def _flat(value) -> bool:
    return value is None or (isinstance(value, (str, int, float, bool)) and len(str(value)) <= 500)


def _flat_dict(value) -> bool:
    return isinstance(value, dict) and len(value) <= 64 and all(
        isinstance(k, str) and len(k) <= 64 and _flat(v) for k, v in value.items())
