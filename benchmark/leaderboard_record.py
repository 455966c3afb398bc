"""Leaderboard records: the compact, checked form of a verified submission.

A record keeps per-doc correctness per task (a string of 0/1 by doc_id), the ideal learner's
per-episode accuracy for the record's own seed, chance per family and the metadata needed to
rebuild every number on the page; never the samples.  Records are read back as untrusted
data: size-limited strict JSON, every field checked, file names matched against one pattern.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import PUBLISHED_SEED, __version__
from .dataset import DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, BuildSpec
from .generators import FAMILIES, SUITE_VERSION, VARIANTS, GenerationError, get_family
from .ideal import chance, ideal_by_episode
from .taskgen import SHOTS, TASK_VERSION
from .verify import Verified
from .verify_io import SubmissionError, read_json

SCHEMA = "ood-icl-record/1"
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_RECORDS = 500
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WORD_RE = re.compile(r"^[a-z0-9_]{1,40}$")
_HEX_RE = re.compile(r"^[0-9a-f]{64}$")
METHODS = ("icl", "gen", "ft")
REFERENCE_NAMES = {"ideal": "Ideal learner", "chance": "Chance"}


class RecordError(ValueError):
    """A record that cannot be used; the message names the field."""


def slug(name: str) -> str:
    """The file-name form of a display name; raises ValueError when nothing usable is left."""
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.isprintable():
        raise ValueError(f"--name {name[:40]!r}: 1-100 printable characters" if isinstance(name, str)
                         else "--name: must be text")
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")[:64]
    if not SLUG_RE.match(text):
        raise ValueError(f"--name {name!r}: needs at least one letter or digit")
    return text


def seed_commitment(seed: int) -> str:
    return hashlib.sha256(f"ood-icl-seed:{seed}".encode()).hexdigest()


def ideal_block(seed: int, sizes: dict, ks_by_cell: dict) -> dict:
    """family -> variant -> str(k) -> per-episode ideal accuracy (None where k cannot be generated)."""
    out: dict = {}
    for (family, variant), ks in sorted(ks_by_cell.items()):
        for k in sorted(ks):
            spec = BuildSpec(family, variant, seed=seed, difficulty=sizes["difficulty"],
                             episodes=sizes["episodes"], queries=sizes["queries"], pool=max(DEFAULT_POOL, k))
            try:
                values = [round(x, 6) for x in ideal_by_episode(spec, k)]
            except GenerationError:
                values = None  # the input space is too small for a pool of k
            out.setdefault(family, {}).setdefault(variant, {})[str(k)] = values
    return out


def verified_series(v: Verified) -> list[dict]:
    """The record's series of a verified run: per task, the correct bits of its docs in order."""
    out = []
    for name, t in sorted(v.tasks.items()):
        metric = "exact_match" if t.method == "gen" else "acc"
        item = {"task": name, "family": t.family, "variant": t.variant, "k": t.k, "method": t.method,
                "metric": metric, "correct": _bits(t.scores[metric]), "task_hash": t.task_hash}
        if "acc_norm" in t.scores:
            item["acc_norm"] = _bits(t.scores["acc_norm"])
        out.append(item)
    return out


def _bits(values: list) -> str:
    return "".join("1" if x == 1.0 else "0" for x in values)


def build_record(name: str, icl: Verified, ft: Verified | None = None, *, private_seed: bool = False) -> dict:
    """The record of a verified submission (and its fine-tuning baseline)."""
    if not icl.ok or (ft is not None and not ft.ok):
        raise ValueError("only verified submissions make records")
    series = verified_series(icl) + (verified_series(ft) if ft else [])
    ks: dict = {}
    for s in series:
        ks.setdefault((s["family"], s["variant"]), set()).add(s["k"])
    return {
        "schema": SCHEMA, "name": name, "slug": slug(name), "kind": "model",
        "submitted": date.today().isoformat(), "ood_icl_version": __version__,
        "suite_version": SUITE_VERSION, "task_version": TASK_VERSION,
        "seed": None if private_seed else icl.seed, "seed_sha256": seed_commitment(icl.seed),
        "private_seed": private_seed, "sizes": dict(icl.sizes),
        "model": icl.model, "finetune": ({"model": ft.model, "method": ft.method} if ft else None),
        "chance": {f: chance(f) for f in sorted({s["family"] for s in series})},
        "ideal": ideal_block(icl.seed, icl.sizes, ks),
        "series": series,
    }


def reference_records(*, seed: int = PUBLISHED_SEED, episodes: int = DEFAULT_EPISODES,
                      queries: int = DEFAULT_QUERIES, extra_ks: tuple[int, ...] = (),
                      families: list[str] | None = None) -> list[dict]:
    """The ideal-learner and chance entries for one seed, from the generators alone."""
    sizes = {"difficulty": DEFAULT_DIFFICULTY, "episodes": episodes, "queries": queries}
    families = sorted(families or FAMILIES)
    ks = sorted({0, *SHOTS, *extra_ks})
    ideal = ideal_block(seed, sizes, {(f, v): ks for f in families for v in VARIANTS})
    records = []
    for kind, title in REFERENCE_NAMES.items():
        series = []
        for f in families:
            for v in VARIANTS:
                for k in ks:
                    values = ideal[f][v][str(k)] if kind == "ideal" else [chance(f)] * episodes
                    if values is not None:
                        series.append({"task": f"ood_icl_{f}_{v}_k{k}", "family": f, "variant": v, "k": k,
                                       "method": "icl", "metric": "acc", "per_episode": values})
        records.append({
            "schema": SCHEMA, "name": title, "slug": f"reference-{kind}", "kind": "reference",
            "submitted": date.today().isoformat(), "ood_icl_version": __version__,
            "suite_version": SUITE_VERSION, "task_version": TASK_VERSION, "seed": seed,
            "seed_sha256": seed_commitment(seed), "private_seed": False, "sizes": sizes,
            "model": {}, "finetune": None, "chance": {f: chance(f) for f in families},
            "ideal": ideal, "series": series,
        })
    return records


def write_record(folder: Path, record: dict, *, force: bool = False) -> Path:
    """Write ``<folder>/<slug>.json`` atomically; refuse to replace one unless ``force``."""
    check_record(record, record["slug"] + ".json")
    if folder.is_symlink():
        raise ValueError(f"{folder}: symlinks are refused")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['slug']}.json"
    if path.is_symlink():
        raise ValueError(f"{path}: symlinks are refused")
    if path.exists() and not force:
        raise ValueError(f"{path} already exists (pass --force to replace it)")
    fd, tmp = tempfile.mkstemp(prefix=".record-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1, sort_keys=True, ensure_ascii=False)
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


# --- reading records back ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    family: str
    variant: str
    k: int
    method: str
    per_episode: tuple[float, ...]


def read_records(folder: Path) -> tuple[list[dict], list[str]]:
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
            record = read_json(Path(entry.path), MAX_RECORD_BYTES)
            check_record(record, name)
        except (SubmissionError, RecordError) as exc:
            refused.append(f"{name!r}: {exc}")
            continue
        records.append(record)
    if len(entries) > MAX_RECORDS:
        refused.append(f"more than {MAX_RECORDS} files: the rest were not read")
    return records, refused


def check_record(r, file_name: str) -> None:
    """Raise RecordError unless ``r`` is a well-formed record named ``file_name``."""
    if not isinstance(r, dict) or r.get("schema") != SCHEMA:
        raise RecordError(f"schema is not {SCHEMA!r}")
    _need(isinstance(r.get("name"), str) and 1 <= len(r["name"]) <= 100 and r["name"].isprintable(), "name")
    _need(isinstance(r.get("slug"), str) and SLUG_RE.match(r["slug"]) and file_name == r["slug"] + ".json",
          "slug (must equal the file name)")
    _need(r.get("kind") in ("model", "reference"), "kind")
    _need(r.get("seed") is None or _int(r["seed"], 0), "seed")
    _need(isinstance(r.get("seed_sha256"), str) and _HEX_RE.match(r["seed_sha256"]), "seed_sha256")
    _need(isinstance(r.get("private_seed"), bool), "private_seed")
    sizes = r.get("sizes")
    _need(isinstance(sizes, dict) and all(_int(sizes.get(k), 1) for k in ("difficulty", "episodes", "queries")),
          "sizes")
    _need(sizes["episodes"] * sizes["queries"] <= 1_000_000, "sizes")
    _need(_flat_dict(r.get("model")), "model")
    ft = r.get("finetune")
    _need(ft is None or (isinstance(ft, dict) and _flat_dict(ft.get("model")) and _flat_dict(ft.get("method"))),
          "finetune")
    ch = r.get("chance")
    _need(isinstance(ch, dict) and all(_WORD_RE.match(f) and _prob(p) and p > 0 for f, p in ch.items()), "chance")
    _check_ideal(r.get("ideal"), sizes["episodes"])
    series = r.get("series")
    _need(isinstance(series, list) and series, "series")
    seen = set()
    for s in series:
        _need(isinstance(s, dict) and isinstance(s.get("family"), str) and _WORD_RE.match(s["family"])
              and s.get("variant") in VARIANTS and _int(s.get("k"), 0) and s["k"] <= 100_000
              and s.get("method") in METHODS, "series entry")
        _need(s["family"] in ch, f"chance for {s['family']}")
        key = (s["family"], s["variant"], s["k"], s["method"])
        _need(key not in seen, f"series {key} twice")
        seen.add(key)
        if "correct" in s:
            # the k0 floor has more episodes than the suite: any whole number of episodes
            n = len(s["correct"]) if isinstance(s["correct"], str) else 0
            _need(0 < n <= 100_000 and n % sizes["queries"] == 0 and set(s["correct"]) <= {"0", "1"},
                  f"series {key} correct")
        else:
            _need(isinstance(s.get("per_episode"), list) and len(s["per_episode"]) == sizes["episodes"]
                  and all(_prob(x) for x in s["per_episode"]), f"series {key} per_episode")


def _check_ideal(ideal, episodes: int) -> None:
    _need(isinstance(ideal, dict), "ideal")
    for family, by_variant in ideal.items():
        _need(_WORD_RE.match(family) and isinstance(by_variant, dict), "ideal")
        for variant, by_k in by_variant.items():
            _need(variant in VARIANTS and isinstance(by_k, dict), "ideal")
            for k, values in by_k.items():
                _need(isinstance(k, str) and k.isdigit() and len(k) <= 6, "ideal k")
                _need(values is None or (isinstance(values, list) and len(values) == episodes
                                         and all(_prob(x) for x in values)), "ideal values")


def _need(ok, field: str) -> None:
    if not ok:
        raise RecordError(f"bad {field}")


def _int(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < 2 ** 63


def _prob(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1


def _flat(value) -> bool:
    return value is None or (isinstance(value, (str, int, float, bool)) and len(str(value)) <= 500)


def _flat_dict(value) -> bool:
    return isinstance(value, dict) and len(value) <= 64 and all(
        isinstance(k, str) and len(k) <= 64 and _flat(v) for k, v in value.items())


def series_of(record: dict) -> list[Series]:
    """Per-episode accuracy of every series of a checked record."""
    q = record["sizes"]["queries"]
    out = []
    for s in record["series"]:
        if "correct" in s:
            bits = s["correct"]
            values = tuple(sum(b == "1" for b in bits[i:i + q]) / q for i in range(0, len(bits), q))
        else:
            values = tuple(float(x) for x in s["per_episode"])
        out.append(Series(s["family"], s["variant"], s["k"], s["method"], values))
    return out


def known_family(name: str) -> bool:
    try:
        get_family(name)
        return True
    except ValueError:
        return False
