"""The per-episode run state that makes fine-tuning runs resumable, and the layout of the output folder.

Layout under ``--output-path DIR`` (lm-eval's, so one reader serves both)::

    DIR/<sanitised model>/results_<timestamp>.json
    DIR/<sanitised model>/samples_<task>_<timestamp>.jsonl
    DIR/<sanitised model>/.ood-icl-finetune/run.json            the run's config and timestamp
    DIR/<sanitised model>/.ood-icl-finetune/units/<task>/e00000.json   one per episode and budget

Every file is written to a temporary name and ``os.replace``d into place, so a kill at any
point leaves whole files only.  The final files are a pure function of the unit files and the
run config (no clocks, no paths of the output folder), so a resumed run ends byte-identical to
an uninterrupted one; the timestamp in the names is the first start's, kept in run.json.
"""


from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from ..io import read_json, write_atomic

STATE_DIR = ".ood-icl-finetune"


def final_files(root: Path) -> dict[str, bytes]:
    """The final files under ``root`` (results, samples), the date stamp taken out of their names:
    what a resumed run and an uninterrupted one must hold byte for byte."""
    return {re.sub(r"_\d{4}-\d\d-\d\dT[\d.-]+(?=\.json)", "", p.name): p.read_bytes()
            for p in Path(root).rglob("*") if p.is_file() and STATE_DIR not in p.parts}


def differing_keys(a: dict, b: dict) -> list[str]:
    """The keys whose values differ between two records (a key missing from one counts)."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


class ConfigMismatch(ValueError):
    """The output folder holds a run with another configuration."""


class RunState:
    """run.json (config + timestamp) and one JSON file per finished (task, episode)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.state = self.folder / STATE_DIR

    def start(self, config: dict) -> str:
        """Create run.json, or check that the existing one has the same config; return the timestamp."""
        path = self.state / "run.json"
        if path.is_file():
            held = read_json(path)
            if held["config"] != config:
                diff = differing_keys(config, held["config"])
                raise ConfigMismatch(f"{self.folder} holds a run with another {', '.join(diff)}; "
                                     "pass another --output-path (or delete that folder)")
            return held["timestamp"]
        stamp = datetime.now().isoformat().replace(":", "-")  # lm-eval's date_id
        write_atomic(path, json.dumps({"config": config, "timestamp": stamp}, indent=2, sort_keys=True) + "\n")
        return stamp

    def timestamp(self) -> str:
        return read_json(self.state / "run.json")["timestamp"]

    def unit_path(self, task: str, episode: int) -> Path:
        return self.state / "units" / task / f"e{episode:05d}.json"

    def done(self, task: str, episode: int) -> bool:
        return self.unit_path(task, episode).is_file()

    def save(self, task: str, episode: int, payload: dict) -> None:
        write_atomic(self.unit_path(task, episode), json.dumps(payload, sort_keys=True) + "\n")

    def load(self, task: str, episode: int) -> dict:
        return read_json(self.unit_path(task, episode))
