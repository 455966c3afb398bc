"""Every attack on the board (issue 14) as a test with its expected reason: hand-edited records,
fake references, extra tasks, partial runs, provenance, look-alike names.  Synthetic records only
(no lm_eval), two fast families, 4 episodes x 2 queries: the whole file runs in seconds."""

from __future__ import annotations

import argparse
import json
import tracemalloc
from pathlib import Path

import pytest

from _leaderboard_helpers import PRIVATE_SEED, synthetic_record, verified
from ood_icl.io import DataError, read_jsonl
from ood_icl.leaderboard import cli as leaderboard_cli
from ood_icl.leaderboard import record as record_module
from ood_icl.leaderboard import rederive as rederive_module
from ood_icl.leaderboard import rescore
from ood_icl.leaderboard.build import build, check, entries, render
from ood_icl.leaderboard.columns import notes, seed_label
from ood_icl.leaderboard.derive import build_record, reference_records
from ood_icl.leaderboard.readme import md
from ood_icl.leaderboard.record import Record, RecordError, read_records, slug, write_record
from ood_icl.leaderboard.rederive import board, rederive
from ood_icl.leaderboard.submit import name_problem

FAMS = ["affine", "cipher"]
SIZES = {"seed": PRIVATE_SEED, "episodes": 4, "queries": 2}


@pytest.fixture(autouse=True)
def two_families(monkeypatch):
    """A complete record here covers these two families (the suite's twelve would be slow to derive)."""
    monkeypatch.setattr(record_module, "FAMILIES", {f: None for f in FAMS})


@pytest.fixture
def lb(tmp_path) -> Path:
    """A board with the two references and one honest model entry, rebuilt."""
    folder = tmp_path / "lb"
    for r in reference_records(families=FAMS, **SIZES):
        write_record(folder / "submissions", r)
    write_record(folder / "submissions", synthetic_record("honest/model", families=FAMS))
    build(folder)
    return folder


def _edit(folder: Path, name: str, fn) -> None:
    path = folder / "submissions" / f"{name}.json"
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def _refused(folder: Path) -> str:
    return "\n".join(check(folder))


def _check_cli(folder: Path) -> int:
    parser = leaderboard_cli.configure_parser(argparse.ArgumentParser())
    return leaderboard_cli.run(parser.parse_args(["--dir", str(folder), "--check"]))


# --- 1. the board never trusts a number it can derive --------------------------------------------------

def test_honest_board_checks_clean_and_rebuild_is_a_pure_function(lb):
    assert check(lb) == [] and _check_cli(lb) == 0
    assert render(lb) == render(lb)
    ranked, partial, refused = entries(lb)
    slugs = [e.record.slug for e in ranked]
    assert slugs[0] == "reference-ideal" and slugs[-1] == "reference-chance"
    assert sorted(slugs[1:-1]) == ["honest-model", "reference-copy"]
    assert partial == [] and refused == []


@pytest.mark.parametrize("attack, edit, reason", [
    ("lowered chance", lambda d: d["chance"].update(cipher=0.01), "chance.cipher = 0.01, re-derived"),
    ("raised ideal", lambda d: d["ideal"]["cipher"]["ood"]["4"].__setitem__(0, 0.0), "ideal.cipher.ood.4[0]"),
    ("ideal dropped", lambda d: d["ideal"]["cipher"]["ood"].pop("16"), "ideal.cipher.ood: keys"),
    ("invented family", lambda d: (d["series"].append(dict(d["series"][0], family="telepathy")),
                                   d["chance"].update(telepathy=0.5)), "family 'telepathy' is not in the suite"),
    ("no such k", lambda d: d["series"].append(dict(d["series"][0], k=2)), "k=2: no such task"),
    ("a control the cell lacks", lambda d: d["series"].append(dict(d["series"][0], family="cipher", variant="ood",
                                                                    method="decoupled", k=16)),
     "cipher/ood decoupled k=16: no such task"),
    ("older task version", lambda d: d.update(task_version=2.0), "task version 2.0"),
    ("huge sizes", lambda d: d["sizes"].update(episodes=10 ** 6), "sizes (episodes x queries <= 10000)"),
    ("bits of another length", lambda d: d["series"][0].update(correct=d["series"][0]["correct"] + "1"),
     "one 0/1 per doc: 8"),
    ("seed edited", lambda d: d.update(seed=d["seed"] + 1), "seed_sha256 (not the seed's)"),
    ("unknown field", lambda d: d.update(comment="trust me"), "fields (comment unknown)"),
    ("model named like a reference", lambda d: d.update(name="Ideal Learner"), "a reference entry's name"),
    ("self-sealed", lambda d: d.update(seed=None, private_seed=True), "only a maintainers' rescoring seals"),
])
def test_a_hand_edited_record_fails_check_and_leaves_the_board(lb, attack, edit, reason):
    _edit(lb, "honest-model", edit)
    lines = _refused(lb)
    assert "REFUSED 'honest-model.json'" in lines and reason in lines, (attack, lines)
    assert _check_cli(lb) == 1
    build(lb)
    assert "honest/model" not in (lb / "README.md").read_text().split("Records not shown")[0]


def test_a_fake_reference_is_refused(lb):
    _edit(lb, "reference-ideal", lambda d: d["series"][0].update(per_episode=[0.1] * 4))
    assert "REFUSED 'reference-ideal.json'" in _refused(lb) and "reference" in _refused(lb)
    fake = dict(json.loads((lb / "submissions" / "reference-chance.json").read_text()), slug="reference-oracle",
                name="Oracle")
    (lb / "submissions" / "reference-oracle.json").write_text(json.dumps(fake))
    assert "not one of the references the tool generates" in _refused(lb)


def test_all_bits_set_to_one_is_flagged_above_the_ideal(lb):
    _edit(lb, "honest-model", lambda d: [s.update(correct="1" * len(s["correct"])) for s in d["series"]])
    ranked, _, _ = entries(lb)
    (entry,) = [e for e in ranked if e.record.slug == "honest-model"]
    assert any("gain above the ideal learner" in n for n in notes(entry))


def test_a_floor_above_chance_is_shown_and_flagged(lb):
    """k = 0 has no demonstrations: the honest entry's floor interval holds zero and carries no flag;
    every k0 doc set to correct puts it above chance, and the entry says so."""
    ranked, _, _ = entries(lb)
    (honest,) = [e for e in ranked if e.record.slug == "honest-model"]
    assert honest.stats.floor.ok and not any("no demonstrations" in n for n in notes(honest))
    _edit(lb, "honest-model", lambda d: [s.update(correct="1" * len(s["correct"])) for s in d["series"] if s["k"] == 0])
    ranked, _, _ = entries(lb)
    (entry,) = [e for e in ranked if e.record.slug == "honest-model"]
    assert entry.stats.floor.lo > 0 and any("above chance with no demonstrations" in n for n in notes(entry))
    assert not any("gain above" in n for n in notes(entry))  # the gains (k = 1, 4, 16) did not move


def test_a_record_claiming_a_million_episodes_is_refused_before_allocation(tmp_path):
    data = synthetic_record("big", families=FAMS).to_json()
    data["sizes"]["episodes"] = 10 ** 6
    tracemalloc.start()
    with pytest.raises(RecordError, match="sizes"):
        Record.from_json(data, "big.json")
    assert tracemalloc.get_traced_memory()[1] < 5_000_000
    tracemalloc.stop()


def test_a_small_record_cannot_ask_the_ideal_learner_for_hours(monkeypatch):
    """The helper's 800-byte record: one budget-256 series of many one-query episodes (list_fn at 256
    costs about 3 s an episode, so 10,000 were hours of every rebuild); refused as data, before any
    computation. The bounds: the k0 floor's 100 episodes, and episodes x cells what a record at the
    suite's 20 episodes needs at every cell and k (7,200)."""
    data = synthetic_record("slow", families=["list_fn"], episodes=2, queries=1, icl_p={1: 0.5}).to_json()
    one = dict(data["series"][0], variant="ood", k=256, method="ft", task="ood_icl_list_fn_ood_ft256")
    data.update(ideal={}, finetune={"model": {}, "method": {}})
    assert record_module.MAX_IDEAL_EPISODES == 12 * 3 * 10 * 20 and record_module.MAX_EPISODES == 100

    def parse(episodes: int, series: list) -> Record:
        data["sizes"]["episodes"] = episodes
        data["series"] = [dict(s, correct="0" * episodes) for s in series]
        record = Record.from_json(data, "slow.json")
        with monkeypatch.context() as m:  # the bound comes before any computation: nothing may reach these
            m.setattr(rederive_module, "ideal_block", _no_computation)
            m.setattr(rederive_module, "chance", _no_computation)
            with pytest.raises(RecordError, match="AssertionError: computed"):  # past the bound, at the first computation
                rederive(record)
        return record

    def refused(episodes: int, series: list, match: str) -> None:
        data["sizes"]["episodes"] = episodes
        data["series"] = [dict(s, correct="0" * episodes) for s in series]
        with pytest.raises(RecordError, match=match):
            rederive(Record.from_json(data, "slow.json"))

    assert parse(100, [one]).sizes["episodes"] == 100
    refused(101, [one], "at most 100 episodes")
    cells = [dict(one, family=f, variant=v, k=k, task=f"t{f}{v}{k}") for f in ("cipher", "label_map", "list_fn")
             for v in ("id", "renamed", "ood") for k in record_module.FT_BUDGETS]
    data["chance"] = {"cipher": 1 / 3, "label_map": 1 / 2, "list_fn": 1 / 3}
    assert len(parse(20, cells).series) == 90  # 1,800 episode-cells
    assert len(parse(100, cells[:72]).series) == 72  # 7,200
    refused(100, cells[:73], "ideal learner is recomputed")  # 7,300


def _no_computation(*args, **kwargs):
    raise AssertionError("computed")


def test_extra_tasks_in_a_run_are_ignored_with_a_reason():
    suite = {f"ood_icl_{f}_{v}_k{k}": 8 for f in FAMS for v in ("id", "renamed", "ood") for k in (1, 4, 16)}
    extra = {"ood_icl_cipher_ood_k0": 200, "ood_icl_quick_cipher_ood_k0": 6, "ood_icl_quick_cipher_ood_k4": 8}
    ignored: list[str] = []
    run = verified({**suite, **extra})
    record = build_record("with extras", run, ignored=ignored)
    assert {s["task"] for s in record.series} == set(suite) | {"ood_icl_cipher_ood_k0"}
    # the k0 floor's larger set begins with the run's own episodes: its first 8 docs are the k = 0 cell
    floor = next(s for s in record.series if s["k"] == 0)
    assert floor["correct"] == "".join(str(int(x)) for x in run.tasks["ood_icl_cipher_ood_k0"].scores["acc"][:8])
    assert not any(line.startswith("ood_icl_cipher_ood_k0") for line in ignored)
    odd: list[str] = []
    build_record("odd", verified({**suite, "ood_icl_cipher_ood_k0": 201}), ignored=odd)
    assert any("ood_icl_cipher_ood_k0: 201 docs" in line for line in odd)  # not whole episodes: left out
    assert any("quick_cipher_ood_k4: the same family, variant and k as ood_icl_cipher_ood_k4" in line
               for line in ignored)
    assert rederive(record).name == "with extras"
    quick_only = build_record("quick", verified({"ood_icl_quick_cipher_ood_k4": 8, "ood_icl_quick_cipher_ood_k0": 8}))
    assert {s["k"] for s in quick_only.series} == {0, 4}


# --- 2. provenance: self-reported unless rescored; commit, then reveal -------------------------------------

def test_a_submitters_own_seed_is_self_reported_never_private():
    record = build_record("own seed", verified({"ood_icl_cipher_ood_k4": 8}))
    assert record.provenance == "self-reported" and record.seed == PRIVATE_SEED and not record.private_seed
    assert seed_label(record) == f"self-reported, seed {PRIVATE_SEED}"


def test_rescore_commits_then_reveals(tmp_path):
    folder = tmp_path / "lb"
    sealed = build_record("org/model (rescored)", verified({"ood_icl_cipher_ood_k4": 8}), salt="ab" * 16)
    text = json.dumps(sealed.to_json())
    assert sealed.seed is None and sealed.ideal == {} and "task_hash" not in text and str(PRIVATE_SEED) not in text
    write_record(folder / "submissions", sealed)
    assert seed_label(rederive(sealed)) == "rescored, seed sealed"
    parser = rescore.configure_parser(argparse.ArgumentParser())

    def reveal(token: str) -> int:
        return rescore.run(parser.parse_args(["--reveal", token, "--name", sealed.name, "--dir", str(folder)]))

    assert reveal(f"{PRIVATE_SEED + 1}:{'ab' * 16}") == 1  # the commitment does not open
    assert reveal(f"{PRIVATE_SEED}:{'cd' * 16}") == 1
    assert reveal(f"{PRIVATE_SEED}:{'ab' * 16}") == 0
    (opened,), _ = read_records(folder / "submissions")
    assert opened.seed == PRIVATE_SEED and opened.ideal and seed_label(opened).startswith("rescored, seed")
    assert rederive(opened) == opened and check(folder) == []
    assert reveal(f"{PRIVATE_SEED}:{'ab' * 16}") == 1  # not sealed any more


def test_rescore_refuses_the_published_seed_and_needs_a_secret_file(tmp_path):
    parser = rescore.configure_parser(argparse.ArgumentParser())
    assert rescore.run(parser.parse_args([str(tmp_path), "--seed", "2026", "--name", "x",
                                          "--secret-out", str(tmp_path / "s")])) == 2
    assert rescore.run(parser.parse_args([str(tmp_path), "--seed", "5", "--name", "x"])) == 2


# --- 3. partial runs never rank --------------------------------------------------------------------------

def test_a_run_keeping_only_its_best_k_is_listed_apart(lb):
    _edit(lb, "honest-model", lambda d: d.update(series=[s for s in d["series"] if s["k"] != 1],
                                                 ideal={f: {v: {k: x for k, x in by_k.items() if k != "1"}
                                                            for v, by_k in by_v.items()}
                                                        for f, by_v in d["ideal"].items()}))
    ranked, partial, refused = entries(lb)
    assert refused == [] and [e.record.slug for e in partial] == ["honest-model"]
    assert partial[0].stats.gain == {} and "honest-model" not in [e.record.slug for e in ranked]
    build(lb)
    readme = (lb / "README.md").read_text()
    assert "Partial runs (not ranked)" in readme and "affine/id k=1" in readme
    assert "id=\"partial\"" in (lb / "index.html").read_text()


# --- 6. names ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, reason", [
    ("ＳｍｏｌＬＭ", "NFKC"), ("a" * 61, "wider than 60"), ("模" * 31, "wider than 60"),
    ("x\u0301\u0301\u0301", "combining marks on one character"), ("ab\u202etxt", "control, format"),
    ("zero\u200bwidth", "control, format"), ("", "1-100 characters"),
])
def test_bad_names_are_refused(name, reason):
    with pytest.raises(ValueError, match=reason):
        slug(name)


def test_a_look_alike_of_an_existing_entry_is_refused(lb):
    lookalike = "h\u043enest/m\u043edel"  # Cyrillic o
    assert "looks like the entry 'honest/model'" in name_problem(lookalike, lb, force=False)
    for name in ("HONEST-MODEL", "honest_mode1", "h0nest/model", "honest/rnodel"):
        assert "looks like" in name_problem(name, lb, force=False), name
    assert name_problem("honest/model v2", lb, force=False) is None
    later = dict(synthetic_record(lookalike, families=FAMS).to_json(), submitted="2026-02-01")
    write_record(lb / "submissions", Record.from_json(later, f"{slug(lookalike)}.json"))  # by hand: refused
    shown, refused = board(read_records(lb / "submissions")[0])
    assert any("looks like 'honest/model'" in line for line in refused)


def test_readme_names_never_autolink(tmp_path):
    text = md("www.evil.example http://x.y a@b.co #12")
    assert "www." not in text and "://" not in text and "@" not in text and "#1" not in text


# --- 5. bounded readers -------------------------------------------------------------------------------------

def test_jsonl_of_empty_objects_is_refused_at_the_size_of_the_file(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b"{}\n" * 2_000_000)  # 6 MB of text, 2M objects (~130 MB once parsed)
    tracemalloc.start()
    with pytest.raises(DataError, match="lines, limit"):
        read_jsonl(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= 4 * path.stat().st_size


def test_table_reads_a_fifo_without_hanging(tmp_path):
    import os

    from ood_icl.harness.report import load_results

    os.mkfifo(tmp_path / "results_2026-01-01T00-00-00.json")
    with pytest.raises(DataError, match="not a regular file"):
        load_results(tmp_path)


def test_left_out_tasks_are_reported_once_per_reason_each_named():
    from ood_icl.leaderboard.submit import ignored_lines

    size = "500 docs, the run's tasks have 100 (a record compares tasks of one size)"
    lines = [f"ood_icl_cipher_id_k0: {size}", "ood_icl_cipher_id_ft256: budget 256 is not one the board shows",
             f"ood_icl_cipher_ood_k0: {size}", f"ood_icl_list_fn_id_k0: {size}"]
    assert ignored_lines(lines) == [
        f"ood_icl_cipher_id_k0, ood_icl_cipher_ood_k0, ood_icl_list_fn_id_k0 (3 tasks): {size}",
        "ood_icl_cipher_id_ft256: budget 256 is not one the board shows"]
    assert ignored_lines([]) == []


def test_submit_stores_nothing_the_board_would_refuse(tmp_path, capsys):
    from ood_icl.leaderboard.submit import store

    args = argparse.Namespace(leaderboard=tmp_path / "lb", force=False, no_render=False)
    bad = synthetic_record("bad chance", families=FAMS).to_json()
    bad["chance"]["cipher"] = 0.5

    def make(ignored):
        ignored.append("ood_icl_quick_cipher_ood_k0: 6 docs ...")
        return Record.from_json(bad, "bad-chance.json")

    assert store("ood-icl submit", args, make) == 1
    out = capsys.readouterr()
    assert "IGNORED ood_icl_quick_cipher_ood_k0" in out.out and "not stored: chance.cipher" in out.err
    assert not (tmp_path / "lb" / "submissions").exists()
    assert store("ood-icl submit", args, lambda ignored: synthetic_record("fine", families=FAMS)) == 0
    assert check(tmp_path / "lb") == []


def test_references_spanning_fine_tuning_budgets_rederive(tmp_path):
    folder = tmp_path / "lb"
    write_record(folder / "submissions", synthetic_record("with ft", families=FAMS, ft_p={4: 0.5, 64: 0.7}))
    for r in reference_records(families=FAMS, extra_ks=(4, 64), **SIZES):
        write_record(folder / "submissions", r)
    build(folder)
    assert check(folder) == []


def test_a_fine_tuning_half_of_another_protocol_version_says_so():
    from ood_icl.finetune.recipe import FINETUNE_VERSION
    from ood_icl.leaderboard.columns import Entry
    from ood_icl.leaderboard.stats import compute
    data = synthetic_record("older", families=FAMS, ft_p={1: 0.4, 4: 0.5, 16: 0.6, 64: 0.7}).to_json()
    current = Record.from_json(data, "older.json")
    assert not any("fine-tuning version" in n for n in notes(Entry(current, compute(current, boots=50))))
    data["finetune"]["method"]["finetune_version"] = FINETUNE_VERSION - 1
    rec = Record.from_json(data, "older.json")
    assert f"fine-tuning version {FINETUNE_VERSION - 1} (current {FINETUNE_VERSION})" in notes(Entry(rec, compute(rec, boots=50)))
