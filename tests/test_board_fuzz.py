"""Fuzzed records (hypothesis): any JSON, and any one-field mutation of a valid record, is either refused
with a RecordError or re-derives to numbers the board can compute; the rebuild never crashes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _leaderboard_helpers import synthetic_record
from ood_icl.leaderboard import record as record_module
from ood_icl.leaderboard.build import render
from ood_icl.leaderboard.record import Record, RecordError, write_record
from ood_icl.leaderboard.rederive import rederive
from ood_icl.leaderboard.stats import compute

FAMS = ["affine", "cipher"]
_BASE: dict = {}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


def _base() -> dict:
    if not _BASE:
        _BASE.update(synthetic_record("fuzzed", families=FAMS, episodes=2, queries=2).to_json())
    return json.loads(json.dumps(_BASE))


def _paths(value, prefix=()):
    """Every path into a JSON value (to mutate one of them)."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, prefix + (i,))


def _set(data, path, value):
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _survives(data) -> None:
    try:
        record = Record.from_json(data, "fuzzed.json")
        derived = rederive(record)
    except RecordError:
        return
    compute(derived, boots=20)


@pytest.fixture(autouse=True)
def two_families(monkeypatch):
    monkeypatch.setattr(record_module, "FAMILIES", {f: None for f in FAMS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_values)
def test_any_json_is_refused_cleanly(value):
    _survives(value)
    if isinstance(value, dict):
        _survives(dict(_base(), **{k: v for k, v in value.items()}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_one_mutated_field_is_refused_or_rederived(data):
    record = _base()
    paths = [p for p in _paths(record) if p]
    path = data.draw(st.sampled_from(paths))
    _set(record, path, data.draw(json_values))
    _survives(record)


def test_the_rebuild_survives_a_folder_of_fuzzed_records(tmp_path):
    folder = tmp_path / "lb"
    write_record(folder / "submissions", synthetic_record("kept", families=FAMS, episodes=2, queries=2))
    base = _base()
    for i, (path, value) in enumerate([(("sizes", "episodes"), 10 ** 9), (("chance", "cipher"), 1e-300),
                                       (("series", 0, "k"), 256), (("ideal",), {}), (("name",), "\u202e"),
                                       (("series", 0, "method"), "ft")]):
        mutated = json.loads(json.dumps(base))
        _set(mutated, path, value)
        mutated["slug"] = f"fuzz-{i}"
        (folder / "submissions" / f"fuzz-{i}.json").write_text(json.dumps(mutated))
    pages = render(folder)  # every mutation refused, the last too (an ft series in a record without a fine-tuning run)
    refused = pages["README.md"].split("Records not shown")[1]
    assert "kept" in pages["README.md"] and refused.count("fuzz-") == 6 and "bad finetune" in refused
