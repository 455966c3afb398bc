"""``ood-icl submit`` and ``ood-icl leaderboard``: records from verified runs, numbers rebuilt from records alone."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _leaderboard_helpers import PRIVATE_SEED, copy_run, make_ft_folder, run_dir, small_run, synthetic_record
from ood_icl.leaderboard import cli as leaderboard_cli
from ood_icl.leaderboard import record as record_module
from ood_icl.leaderboard import submit
from ood_icl.leaderboard.build import build, check, render, stale
from ood_icl.leaderboard.derive import reference_records
from ood_icl.leaderboard.record import Record, RecordError, read_records, slug, write_record
from ood_icl.leaderboard.stats import compute, equivalent_budget
from ood_icl.verify.run import verify_run

FAMS = ["cipher", "label_map"]  # synthetic records stay small


@pytest.fixture(scope="module")
def run(tiny_model, tmp_path_factory) -> Path:
    return small_run(tiny_model, tmp_path_factory.getbasetemp())


def _submit(*argv: str) -> int:
    parser = submit.configure_parser(argparse.ArgumentParser(prog="ood-icl submit"))
    return submit.run(parser.parse_args(list(argv)))


def _board(*argv: str) -> int:
    parser = leaderboard_cli.configure_parser(argparse.ArgumentParser(prog="ood-icl leaderboard"))
    return leaderboard_cli.run(parser.parse_args(list(argv)))


# --- submit ----------------------------------------------------------------------------------------------

def test_submit_writes_a_compact_record_that_rebuilds_the_scores(run, tmp_path):
    board = tmp_path / "lb"
    assert _submit(str(run), "--name", "tiny/model v1", "--allow-small", "--dir", str(board)) == 0
    record = json.loads((board / "submissions" / "tiny-model-v1.json").read_text())
    Record.from_json(record, "tiny-model-v1.json")
    assert record["seed"] == PRIVATE_SEED and record["name"] == "tiny/model v1"
    results = json.loads(next(run_dir(run).glob("results_*.json")).read_text())["results"]
    for s in record["series"]:  # every lm_eval number comes back from the per-doc bits
        bits = s["correct"]
        assert sum(map(int, bits)) / len(bits) == pytest.approx(results[s["task"]][f"{s['metric']},none"])
    assert (board / "README.md").is_file() and (board / "index.html").is_file()
    assert sum(p.stat().st_size for p in (board / "submissions").iterdir()) < 200_000


def test_submit_with_its_own_seed_stays_self_reported(run, tmp_path):
    board = tmp_path / "lb"
    assert _submit(str(run), "--name", "own seed", "--seed", str(PRIVATE_SEED), "--allow-small",
                   "--dir", str(board), "--no-render") == 0
    record = json.loads((board / "submissions" / "own-seed.json").read_text())
    assert record["seed"] == PRIVATE_SEED and record["private_seed"] is False  # only `rescore` seals a seed
    assert record["provenance"] == "self-reported"
    assert record["seed_sha256"] == hashlib.sha256(f"ood-icl-seed:{PRIVATE_SEED}".encode()).hexdigest()
    assert _submit(str(run), "--name", "other", "--seed", "77", "--allow-small", "--dir", str(board)) == 1
    assert not (board / "submissions" / "other.json").exists()


def test_submit_with_finetune_folder(run, tmp_path):
    board = tmp_path / "lb"
    ft = make_ft_folder(run, tmp_path / "ft")
    assert _submit(str(run), "--name", "with-ft", "--finetune", str(ft), "--allow-small", "--dir", str(board)) == 0
    record = json.loads((board / "submissions" / "with-ft.json").read_text())
    assert {s["k"] for s in record["series"] if s["method"] == "ft"} == {0, 1, 4}
    assert record["finetune"]["method"]["method"] == "lora"
    stats = compute(Record.from_json(record, "with-ft.json"))
    assert stats.icl_minus_ft.ok and stats.ft_budgets == (1, 4)
    other = make_ft_folder(run, tmp_path / "ft-seed-1", train_seed=1)  # verifies, but is not the protocol's seed
    assert verify_run(other, kind="ft", allow_small=True).ok
    assert _submit(str(run), "--name", "seed-1", "--finetune", str(other), "--allow-small", "--dir", str(board)) == 1
    assert not (board / "submissions" / "seed-1.json").exists()


def test_submit_refuses_tampered_runs_and_bad_names(run, tmp_path, capsys):
    board = tmp_path / "lb"
    bad = copy_run(run, tmp_path / "bad")
    path = next(bad.glob("results_*.json"))
    path.write_text(path.read_text().replace('"limit": null', '"limit": 3'))
    assert _submit(str(bad), "--name", "cheat", "--allow-small", "--dir", str(board)) == 1
    assert "[limit-used]" in capsys.readouterr().out
    assert not (board / "submissions" / "cheat.json").exists()
    for name in ("../..", "", "a\nb", "x" * 101):
        assert _submit(str(run), "--name", name, "--allow-small", "--dir", str(board)) == 2
    assert slug("../../etc/passwd") == "etc-passwd"
    assert _submit(str(run), "--name", "twice", "--allow-small", "--dir", str(board), "--no-render") == 0
    assert _submit(str(run), "--name", "twice", "--allow-small", "--dir", str(board)) == 2
    assert _submit(str(run), "--name", "twice", "--allow-small", "--dir", str(board), "--force") == 0


# --- records are data ------------------------------------------------------------------------------------

def test_hostile_records_are_refused_or_escaped(tmp_path):
    subs = tmp_path / "lb" / "submissions"
    evil = synthetic_record("<script>alert(1)</script> | *x*", families=FAMS)
    write_record(subs, evil)
    traversal = dict(synthetic_record("t", families=FAMS).to_json(), slug="../../escape")
    (subs / "escape.json").write_text(json.dumps(traversal))
    (subs / "broken.json").write_text('{"schema": ')
    nan = synthetic_record("nan", families=FAMS).to_json()
    nan["chance"][sorted(nan["chance"])[0]] = "__NAN__"  # JSON has no NaN literal; Python's json writes one
    (subs / "nan.json").write_text(json.dumps(nan).replace('"__NAN__"', "NaN"))
    os.symlink(subs / "broken.json", subs / "linked.json")
    with open(subs / "huge.json", "wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    records, refused = read_records(subs)
    assert [r.name for r in records] == [evil.name]
    assert {line.split(":")[0].strip("'") for line in refused} == {"escape.json", "broken.json", "nan.json",
                                                                   "linked.json", "huge.json"}
    pages = render(tmp_path / "lb")
    assert "<script>alert(1)" not in pages["index.html"] and "&lt;script&gt;alert(1)" in pages["index.html"]
    assert "<script>alert" not in pages["README.md"] and "\\| \\*x\\*" in pages["README.md"]
    assert pages["index.html"].count("<script>") == 1  # ours only


def test_record_constructor_names_the_bad_field():
    record = synthetic_record("ok", families=FAMS).to_json()
    assert Record.from_json(record, "ok.json").to_json() == record
    for field, value in (("series", []), ("sizes", {"episodes": 0}), ("kind", "admin"), ("seed", -1)):
        with pytest.raises(RecordError, match=field):
            Record.from_json(dict(record, **{field: value}), "ok.json")
        with pytest.raises(RecordError, match=field):  # every construction checks, not only reading
            replace(Record.from_json(record, "ok.json"), **{field: value})
    with pytest.raises(RecordError, match="slug"):
        Record.from_json(record, "other.json")


# --- numbers -----------------------------------------------------------------------------------------------

def test_equivalent_budget_interpolates_in_log_budget():
    budgets = [1, 4, 16, 64]
    curve = [0.2, 0.4, 0.6, 0.8]
    assert equivalent_budget(0.5, curve, budgets)[0] == pytest.approx(8.0)  # halfway between 4 and 16 in log
    assert equivalent_budget(0.6, curve, budgets)[0] == pytest.approx(16.0)
    assert equivalent_budget(0.1, curve, budgets) == (0.5, "<1")
    assert equivalent_budget(0.9, curve, budgets) == (128, ">64")
    assert equivalent_budget(0.5, [0.2, 0.6, 0.4, 0.8], budgets)[0] == pytest.approx(2 ** 1.5)  # first crossing


def test_reference_entries_have_gain_one_and_zero(monkeypatch):
    monkeypatch.setattr(record_module, "FAMILIES", {f: None for f in FAMS})  # a gain needs every family
    refs = {r.slug: r for r in reference_records(seed=11, episodes=6, queries=3, families=FAMS)}
    ideal, chance_rec = refs["reference-ideal"], refs["reference-chance"]
    s_ideal, s_chance = compute(ideal), compute(chance_rec)
    for v in ("ood", "id"):
        assert s_ideal.gain[v].value == pytest.approx(1.0)
        assert s_chance.gain[v].value == pytest.approx(0.0)
    assert s_chance.cells[("cipher", "ood", "icl", 4)].value == pytest.approx(1 / 3)


def test_bootstrap_resamples_episodes_and_pairs_methods():
    rec = synthetic_record("m", families=FAMS, episodes=8, queries=4, icl_p={1: 0.5, 4: 0.6, 16: 0.7},
                           ft_p={1: 0.3, 4: 0.4, 16: 0.5})
    by = {(s["family"], s["variant"], s["k"], s["method"]): s for s in rec.series}
    # episode-constant answers: the interval must reflect 8 episodes, not 32 independent queries
    by[("cipher", "ood", 4, "icl")]["correct"] = "1111" * 4 + "0000" * 4
    for f in FAMS:
        for k in (1, 4, 16):
            by[(f, "ood", k, "ft")]["correct"] = by[(f, "ood", k, "icl")]["correct"]
    st = compute(rec)
    cell = st.cells[("cipher", "ood", "icl", 4)]
    assert cell.value == 0.5 and cell.hi - cell.lo > 0.5  # naive per-query interval would be ~0.35
    assert st.icl_minus_ft.value == 0.0 and st.icl_minus_ft.lo == 0.0 == st.icl_minus_ft.hi  # paired
    assert st.equivalence.ok and st.equivalence_k == 16
    assert compute(rec).cells == st.cells  # deterministic


def test_page_and_table_are_a_pure_function_of_the_records(tmp_path):
    board = tmp_path / "lb"
    for i, name in enumerate(["alpha", "beta"]):
        write_record(board / "submissions", synthetic_record(name, families=FAMS, rng_seed=i,
                                                             ft_p={4: 0.4, 16: 0.6, 64: 0.8}))
    for rec in reference_records(seed=PRIVATE_SEED, episodes=4, queries=2, families=FAMS, extra_ks=(64,)):
        write_record(board / "submissions", rec)
    assert _board("--dir", str(board), "--check") == 1
    assert set(build(board)) == {"README.md", "index.html"}
    first = {p: (board / p).read_bytes() for p in ("README.md", "index.html")}
    assert build(board) == [] and stale(board) == []
    assert _board("--dir", str(board), "--check") == 0
    assert {p: (board / p).read_bytes() for p in first} == first
    readme = first["README.md"].decode()
    for name in ("alpha", "beta", "Ideal learner", "Chance"):
        assert name in readme
    assert "ood-icl verify rescore/MODEL --seed $SEED" in readme and '--metadata "{\\"seed\\": $SEED}"' in readme
    html = first["index.html"].decode()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    (board / "submissions" / "beta.json").unlink()
    assert _board("--dir", str(board), "--check") == 1


def test_add_reference_covers_the_records_budgets(tmp_path):
    board = tmp_path / "lb"
    write_record(board / "submissions", synthetic_record("m", families=FAMS, ft_p={32: 0.5}))
    assert _board("--dir", str(board), "--add-reference", "--episodes", "2", "--queries", "2") == 0
    ideal = json.loads((board / "submissions" / "reference-ideal.json").read_text())
    assert {s["k"] for s in ideal["series"]} == {0, 1, 4, 16, 32}
    assert {r.name for r in read_records(board / "submissions")[0]} >= {"m", "Ideal learner", "Chance"}


def test_leaderboard_refuses_a_symlinked_folder(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert _board("--dir", str(tmp_path / "link")) == 2


def test_the_shipped_leaderboard_is_up_to_date():
    folder = Path(__file__).resolve().parent.parent / "leaderboard"
    if not folder.is_dir():
        pytest.skip("no leaderboard/ in this checkout")
    assert stale(folder) == [], "run `ood-icl leaderboard --add-reference` and commit leaderboard/"
    assert check(folder) == [], "a committed record does not re-derive (edited by hand, or from an older suite)"


# --- fuzz: mutated records are refused or rendered, never crash ----------------------------------------------

_values = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(-2, 2) | st.text(max_size=6),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                  max_size=2), max_leaves=5)


def _nodes(value, out):
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        out.append((value, key))
        _nodes(child, out)
    return out


@pytest.fixture(scope="module")
def base_record():
    return synthetic_record("fuzz", families=["cipher"], episodes=3, ft_p={4: 0.5}).to_json()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=3), new=_values)
def test_fuzzed_record_never_crashes_the_leaderboard(base_record, tmp_path_factory, picks, new):
    record = json.loads(json.dumps(base_record))
    for pick in picks:
        nodes = _nodes(record, [])
        container, key = nodes[pick % len(nodes)]
        container[key] = json.loads(json.dumps(new))
    board = tmp_path_factory.mktemp("fuzz-board")
    (board / "submissions").mkdir()
    (board / "submissions" / "fuzz.json").write_text(json.dumps(record))
    records, refused = read_records(board / "submissions")
    assert len(records) + len(refused) == 1
    pages = render(board)  # must not raise
    assert pages["index.html"].count("<script>") == 1


def test_pairing_figures_use_each_cells_exact_control():
    """affine renamed's exact control is decoupled, cipher renamed's the deranged one, id's always the
    deranged one; a record without a cell's exact control has no pairing figure for that variant."""
    from ood_icl.leaderboard.summary import summary_table

    base = synthetic_record("controls", families=["affine", "cipher"], icl_p={1: 0.5, 4: 0.5, 16: 1.0})
    n = base.sizes["episodes"] * base.sizes["queries"]

    def control(fam: str, variant: str, method: str, bit: str) -> dict:
        return {"task": f"ood_icl_{fam}_{variant}_k16_{method}", "family": fam, "variant": variant, "k": 16,
                "method": method, "metric": "acc", "correct": bit * n, "task_hash": "0" * 64}

    shuffled = [control(f, v, "shuffled", "1") for f in ("affine", "cipher") for v in ("id", "renamed", "ood")]
    only_shuffled = compute(replace(base, series=base.series + shuffled))
    assert "renamed" not in only_shuffled.pairing and "ood" not in only_shuffled.pairing
    assert only_shuffled.pairing["id"].value == pytest.approx(0.0)  # k16 = 1 = shuffled
    decoupled = [control("affine", v, "decoupled", "0") for v in ("renamed", "ood")]
    st = compute(replace(base, series=base.series + shuffled + decoupled))
    assert st.overview[("renamed", "control", 16)].value == pytest.approx(0.5)  # affine 0 (decoupled), cipher 1
    assert st.pairing["renamed"].value == pytest.approx(0.5)
    assert st.outputs_alone["renamed"].value == pytest.approx(0.5 - 1 / 3)
    assert st.overview[("id", "control", 16)].value == pytest.approx(1.0)
    assert "| k=16 shuffled | k=16 control |" in summary_table(replace(base, series=base.series + shuffled + decoupled))
