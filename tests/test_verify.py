"""``ood-icl verify``: a fresh lm_eval run verifies; every kind of tampering is rejected with its reason."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _leaderboard_helpers import CONTROL_TASKS, PRIVATE_SEED, copy_run, make_ft_folder, run_dir, small_run
from ood_icl.verify import cli as verify
from ood_icl.verify.run import verify_run

CODES = {"symlink", "unreadable", "not-a-file", "too-large", "invalid-json", "no-results", "ambiguous-results",
         "bad-name", "orphan-samples", "malformed", "malformed-sample", "limit-used", "chat-template",
         "unknown-task", "missing-task", "mixed-metadata", "seed-mismatch", "missing-config", "config-mismatch",
         "version-mismatch", "nonstandard-size", "missing-samples", "task-hash-mismatch", "missing-results",
         "unexpected-metric", "out-of-range", "metric-mismatch", "stderr-mismatch", "unknown-doc",
         "duplicate-doc", "missing-doc", "doc-mismatch", "target-mismatch", "prompt-mismatch",
         "response-malformed", "wrong-kind", "budget-mismatch", "recipe-mismatch", "missing-train-log",
         "model-mismatch"}
TASK = "ood_icl_cipher_ood_k4"
GEN = "ood_icl_cipher_ood_k1_gen"


@pytest.fixture(scope="module")
def run(tiny_model, tmp_path_factory) -> Path:
    return small_run(tiny_model, tmp_path_factory.getbasetemp())


def _verify(folder: Path, **kw):
    kw.setdefault("allow_small", True)
    return verify_run(folder, **kw)


def _codes(v) -> set[str]:
    return {p.code for p in v.problems}


# --- honest runs ------------------------------------------------------------------------------------------

def test_fresh_run_verifies(run):
    v = _verify(run)
    assert v.ok, [str(p) for p in v.problems]
    assert v.seed == PRIVATE_SEED and v.sizes == {"difficulty": 2, "episodes": 2, "queries": 2}
    assert TASK in v.tasks and GEN in v.tasks and v.tasks[GEN].method == "gen"
    assert all(len(t.scores["acc" if t.method != "gen" else "exact_match"]) == 4 for t in v.tasks.values())
    assert {v.tasks[t].method for t in CONTROL_TASKS} == {"shuffled", "decoupled"}


def test_a_decoupled_run_does_not_verify_as_the_deranged_one(run, tmp_path):
    """The two controls show different docs: a run's decoupled samples renamed to the shuffled task fail."""
    folder = copy_run(run, tmp_path / "swapped")
    shuffled, decoupled = (next(folder.glob(f"samples_{t}_*.jsonl")) for t in CONTROL_TASKS)
    text = decoupled.read_text().replace(CONTROL_TASKS[1], CONTROL_TASKS[0])
    shuffled.write_text(text)
    assert "doc-mismatch" in _codes(_verify(folder))


def test_model_subfolder_verifies_too(run):
    assert _verify(run_dir(run)).ok


def test_private_seed_rescoring(run):
    """Maintainers: lm_eval --metadata '{"seed": S}' then verify --seed S; any other seed is refused."""
    assert _verify(run, seed=PRIVATE_SEED).ok
    assert "seed-mismatch" in _codes(_verify(run, seed=2026))


def test_small_run_is_not_complete_without_allow_small(run):
    v = verify_run(run)
    assert _codes(v) == {"nonstandard-size"}


def test_finetune_folder_verifies_against_k0_docs(ft_folder, run):
    ft = ft_folder
    v = _verify(ft, kind="ft")
    assert v.ok, [str(p) for p in v.problems]
    assert {t.k for t in v.tasks.values()} == {0, 1, 4} and v.method["method"] == "lora"
    assert _codes(_verify(ft)) == {"wrong-kind"}  # one clear problem, not one per task
    codes = _codes(_verify(run, kind="ft"))  # an in-context run has no training logs or protocol either
    assert "wrong-kind" in codes and codes <= {"wrong-kind", "missing-train-log", "recipe-mismatch"}


@pytest.fixture(scope="module")
def ft_folder(run, tmp_path_factory) -> Path:
    return make_ft_folder(run, tmp_path_factory.mktemp("ft") / "ft")


def _ft_kwargs(folder: Path) -> None:
    _edit_results(folder, lambda d: d["configs"]["ood_icl_cipher_ood_ft4"]["dataset_kwargs"].update(k=4))


def _ft_demos(folder: Path) -> None:
    _edit_samples(folder, "ood_icl_cipher_ood_ft4", _first(lambda s: s["doc"].update(
        demos=[{"input": "a", "output": "b"}])))


def _ft_drop_cell(folder: Path) -> None:
    for path in folder.glob("samples_ood_icl_cipher_id_ft*"):
        path.unlink()
    _edit_results(folder, lambda d: [d[k].pop(t, None) for k in ("results", "configs", "versions", "n-shot",
                                                                   "n-samples", "task_hashes")
                                     for t in [f"ood_icl_cipher_id_ft{b}" for b in (0, 1, 4)]])


@pytest.mark.parametrize("tamper,code", [(_ft_kwargs, "config-mismatch"), (_ft_demos, "doc-mismatch"),
                                         (_ft_drop_cell, "missing-task")])
def test_tampered_finetune_folder_is_rejected(ft_folder, tmp_path, tamper, code):
    folder = tmp_path / "ft"
    shutil.copytree(ft_folder, folder)
    tamper(folder)
    v = _verify(folder, kind="ft")
    assert code in _codes(v) and _codes(v) <= CODES, [str(p) for p in v.problems]


def test_partial_finetune_folder_needs_allow_partial(ft_folder, tmp_path):
    folder = tmp_path / "ft"
    shutil.copytree(ft_folder, folder)
    _ft_drop_cell(folder)
    assert _verify(folder, kind="ft", allow_partial=True).ok


# --- tampering ----------------------------------------------------------------------------------------------

def _results(folder: Path) -> Path:
    (path,) = folder.glob("results_*.json")
    return path


def _samples(folder: Path, task: str) -> Path:
    (path,) = folder.glob(f"samples_{task}_2*.jsonl")
    return path


def _edit_results(folder: Path, fn) -> None:
    path = _results(folder)
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data, indent=2))


def _edit_samples(folder: Path, task: str, fn) -> None:
    path = _samples(folder, task)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    lines = fn(lines)
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _each(fn):
    def apply(lines):
        for x in lines:
            fn(x)
        return lines
    return apply


def _first(fn):
    def apply(lines):
        fn(lines[0])
        return lines
    return apply


def _flip_ll(sample):
    """Make the argmax move onto the gold choice (or off it), leaving the logged acc alone."""
    label = sample["doc"]["label"]
    pick = label if sample["acc"] == 0.0 else (label + 1) % len(sample["filtered_resps"])
    sample["filtered_resps"][pick][0] = "-1e-09"
    sample["resps"][pick][0][0] = "-1e-09"


def _symlink_samples(folder: Path) -> None:
    path = _samples(folder, TASK)
    real = folder.parent / "elsewhere.jsonl"
    shutil.move(path, real)
    os.symlink(real, path)


def _oversize(folder: Path) -> None:
    with open(_samples(folder, TASK), "r+b") as fh:
        fh.truncate(65 * 1024 * 1024)  # sparse: costs no disk


def _odd_name(folder: Path) -> None:
    src = _samples(folder, TASK)
    shutil.copy(src, folder / src.name.replace(TASK, TASK + "_évil name"))


def _second_results(folder: Path) -> None:
    src = _results(folder)
    shutil.copy(src, folder / "results_2030-01-01T00-00-00.000001.json")


def _seed_all(data):
    for cfg in data["configs"].values():
        cfg["metadata"]["seed"] = 7


TAMPERS = {
    # scores and responses
    "score": (lambda f: _edit_results(f, lambda d: d["results"][TASK].update({"acc,none": 0.99})), "metric-mismatch"),
    "stderr": (lambda f: _edit_results(f, lambda d: d["results"][TASK].update({"acc_stderr,none": 0.001})),
               "stderr-mismatch"),
    "group-score": (lambda f: _edit_results(f, lambda d: d["results"]["ood_icl"].update({"acc,none": 0.9})),
                    "metric-mismatch"),
    "score-range": (lambda f: _edit_results(f, lambda d: d["results"][TASK].update({"acc,none": 1.5})),
                    "out-of-range"),
    "doc-metric": (lambda f: _edit_samples(f, TASK, _first(lambda s: s.update(acc=1.0 - s["acc"]))), "metric-mismatch"),
    "response": (lambda f: _edit_samples(f, TASK, _first(_flip_ll)), "metric-mismatch"),
    "response-shape": (lambda f: _edit_samples(f, TASK, _first(lambda s: s["resps"].pop())), "response-malformed"),
    "positive-ll": (lambda f: _edit_samples(f, TASK, _first(lambda s: s["filtered_resps"][0].__setitem__(0, "3.0")
                                                             or s["resps"][0][0].__setitem__(0, "3.0"))),
                    "out-of-range"),
    "generation": (lambda f: _edit_samples(f, GEN, _first(lambda s: s.update(
        resps=[[s["doc"]["answer"]]], filtered_resps=[s["doc"]["answer"]]))), "metric-mismatch"),
    # data
    "doc": (lambda f: _edit_samples(f, TASK, _first(lambda s: s["doc"].update(query="zzzz"))), "doc-mismatch"),
    "doc-hash": (lambda f: _edit_samples(f, TASK, _first(lambda s: s.update(doc_hash="0" * 64))), "doc-mismatch"),
    "target": (lambda f: _edit_samples(f, TASK, _first(lambda s: s.update(target="3" if s["target"] != "3" else "2"))),
               "target-mismatch"),
    "prompt": (lambda f: _edit_samples(f, TASK, _first(lambda s: s["arguments"]["gen_args_0"].update(arg_0="hi ->"))),
               "prompt-mismatch"),
    "prompt-hash": (lambda f: _edit_samples(f, TASK, _first(lambda s: s.update(prompt_hash="0" * 64))),
                    "prompt-mismatch"),
    "seed": (lambda f: _edit_results(f, _seed_all), "doc-mismatch"),
    "one-seed": (lambda f: _edit_results(f, lambda d: d["configs"][TASK]["metadata"].update(seed=7)), "mixed-metadata"),
    "task-hash": (lambda f: _edit_results(f, lambda d: d["task_hashes"].update({TASK: "0" * 64})),
                  "task-hash-mismatch"),
    # versions and configs
    "version": (lambda f: _edit_results(f, lambda d: d["versions"].update({TASK: 0.5})), "version-mismatch"),
    "meta-version": (lambda f: _edit_results(f, lambda d: d["configs"][TASK]["metadata"].update(version=0.5)),
                     "version-mismatch"),
    "template": (lambda f: _edit_results(f, lambda d: d["configs"][TASK].update(
        doc_to_text="def doc_to_text(doc):\n    return 'cheat'\n")), "config-mismatch"),
    "metric-list": (lambda f: _edit_results(f, lambda d: d["configs"][TASK].update(metric_list=[])), "config-mismatch"),
    "delimiter": (lambda f: _edit_results(f, lambda d: d["configs"][TASK].update(target_delimiter="")),
                  "config-mismatch"),
    "extra-config": (lambda f: _edit_results(f, lambda d: d["configs"][TASK].update(process_results="def x(): 1")),
                     "config-mismatch"),
    "n-shot": (lambda f: _edit_results(f, lambda d: d["n-shot"].update({TASK: 5})), "config-mismatch"),
    "chat-template": (lambda f: _edit_results(f, lambda d: d.update(system_instruction="be nice")), "chat-template"),
    # completeness
    "dropped-doc": (lambda f: _edit_samples(f, TASK, lambda lines: lines[1:]), "missing-doc"),
    "duplicated-doc": (lambda f: _edit_samples(f, TASK, lambda lines: lines + lines[:1]), "duplicate-doc"),
    "unknown-doc": (lambda f: _edit_samples(f, TASK, _first(lambda s: s.update(doc_id=99))), "unknown-doc"),
    "limit": (lambda f: _edit_results(f, lambda d: (d["config"].update(limit=2),
                                                    d["n-samples"][TASK].update(effective=2))), "limit-used"),
    "missing-task": (lambda f: (_samples(f, TASK).unlink(), _edit_results(f, lambda d: [
        d[k].pop(TASK, None) for k in ("results", "configs", "versions", "n-shot", "n-samples", "task_hashes")])),
        "missing-task"),
    "missing-samples": (lambda f: _samples(f, TASK).unlink(), "missing-samples"),
    "unknown-task": (lambda f: _edit_results(f, lambda d: d["results"].update(ood_icl_evil_ood_k1={})), "unknown-task"),
    "traversal-name": (lambda f: _edit_results(f, lambda d: d["configs"].update({"../../etc/passwd": {}})),
                       "unknown-task"),
    # files
    "truncated-json": (lambda f: _results(f).write_text(_results(f).read_text()[:500]), "invalid-json"),
    "nan-json": (lambda f: _results(f).write_text(
        _results(f).read_text().replace('"acc,none": 0', '"acc,none": NaN', 1)), "invalid-json"),
    "duplicate-key": (lambda f: _results(f).write_text('{"results": {}, "results": {}}'), "invalid-json"),
    "truncated-samples": (lambda f: _samples(f, TASK).write_text(_samples(f, TASK).read_text()[:300]), "invalid-json"),
    "symlink": (_symlink_samples, "symlink"),
    "oversize": (_oversize, "too-large"),
    "odd-file-name": (_odd_name, "bad-name"),
    "two-runs": (_second_results, "ambiguous-results"),
}


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_tampered_copy_is_rejected_with_its_reason(run, tmp_path, kind):
    folder = copy_run(run, tmp_path / "run")
    tamper, code = TAMPERS[kind]
    tamper(folder)
    v = _verify(folder)
    assert not v.ok
    assert code in _codes(v), [str(p) for p in v.problems]
    assert _codes(v) <= CODES


def test_symlinked_folder_is_refused(run, tmp_path):
    os.symlink(run_dir(run), tmp_path / "link")
    assert _codes(_verify(tmp_path / "link")) == {"symlink"}


def test_empty_folder_has_no_results(tmp_path):
    assert _codes(_verify(tmp_path)) == {"no-results"}


# --- command line -------------------------------------------------------------------------------------------

def _cli(*argv: str) -> int:
    parser = verify.configure_parser(argparse.ArgumentParser(prog="ood-icl verify"))
    return verify.run(parser.parse_args(list(argv)))


def test_cli_exit_codes(run, tmp_path, capsys):
    assert _cli(str(run), "--allow-small", "--seed", str(PRIVATE_SEED)) == 0
    assert capsys.readouterr().out.startswith("OK ")
    assert _cli(str(run), "--allow-small", "--seed", "1") == 1
    out = capsys.readouterr().out
    assert "FAIL [seed-mismatch]" in out and "problem(s)" in out
    assert _cli(str(tmp_path / "absent")) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --- fuzz: mutated submissions are rejected cleanly, never crash ---------------------------------------------

_json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False,
                            allow_infinity=False) | st.text(max_size=8),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=6)


def _nodes(value, out=None) -> list:
    """Every (container, key) pair of a JSON value, depth first."""
    out = [] if out is None else out
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        out.append((value, key))
        _nodes(child, out)
    return out


def _mutate_json(value, pick: int, new):
    """Replace one node, picked uniformly among all nodes, with ``new``; or drop it when ``new`` is None."""
    nodes = _nodes(value)
    if not nodes:
        return new
    container, key = nodes[pick % len(nodes)]
    if new is None and isinstance(container, dict):
        del container[key]
    else:
        container[key] = new
    return value


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(["results", TASK, GEN, "ood_icl_list_fn_id_k16"]),
       mode=st.sampled_from(["json", "bytes", "truncate"]),
       pick=st.integers(0, 10**6), line=st.integers(0, 10**3), new=_json_values,
       cut=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_fuzzed_submission_never_crashes(run, tmp_path_factory, target, mode, pick, line, new, cut, byte):
    folder = copy_run(run, tmp_path_factory.mktemp("fuzz") / "run")
    file = _results(folder) if target == "results" else _samples(folder, target)
    raw = file.read_bytes()
    if mode == "bytes":
        pos = cut % len(raw)
        raw = raw[:pos] + bytes([byte]) + raw[pos + 1:]
    elif mode == "truncate":
        raw = raw[: cut % len(raw)]
    elif target == "results":
        raw = json.dumps(_mutate_json(json.loads(raw), pick, new)).encode()
    else:
        lines = [json.loads(x) for x in raw.decode().splitlines()]
        i = line % len(lines)
        lines[i] = _mutate_json(lines[i], pick, new)
        raw = "".join(json.dumps(x) + "\n" for x in lines).encode()
    file.write_bytes(raw)
    v = _verify(folder)  # must not raise
    assert _codes(v) <= CODES
    assert all(isinstance(p.detail, str) for p in v.problems)


def test_a_partial_run_needs_allow_partial(run, tmp_path):
    """make demo submits the quick group: accepted with --allow-partial, still checked doc by doc."""
    folder = copy_run(run, tmp_path / "run")
    TAMPERS["missing-task"][0](folder)
    assert _codes(_verify(folder)) == {"missing-task"}
    v = _verify(folder, allow_partial=True)
    assert v.ok and TASK not in v.tasks, [str(p) for p in v.problems]
    _edit_samples(folder, GEN, lambda lines: lines[1:])  # what is there is still checked
    assert "missing-doc" in _codes(_verify(folder, allow_partial=True))


def test_the_controls_groups_earlier_membership_is_still_accepted():
    """3.1 runs made before the decoupled tasks joined ood_icl_controls report its 36 shuffled tasks."""
    from ood_icl.generators import FAMILIES, VARIANTS
    from ood_icl.suite import CONTROL_K, task_name
    from ood_icl.verify.checks import _legacy_members

    before = [task_name(f, v, CONTROL_K, control="shuffled") for f in sorted(FAMILIES) for v in VARIANTS]
    assert _legacy_members("ood_icl_controls") == before
    assert _legacy_members("ood_icl") is None


def test_the_table_shows_no_ideal_for_a_control_task(run):
    """``ood-icl table``: the ideal is the real demos' (a control breaks their pairing)."""
    from ood_icl.harness.report import results_table

    rows = {line.split("|")[1].strip(): line for line in results_table(run).splitlines()[2:]}
    assert all(rows[t].rstrip().endswith("| — |") for t in CONTROL_TASKS)
    assert not rows["ood_icl_affine_ood_k16"].rstrip().endswith("| — |")
