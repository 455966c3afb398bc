"""The command line: bad input exits 2 with one line and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ood_icl.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ood_icl.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args,needle", [
    (["--families", "ciphr"], "Did you mean cipher"),
    (["--seed", "-1"], "--seed"),
    (["--episodes", "0"], "--episodes"),
    (["--variants", "odd"], "variant='odd'"),
    (["--difficulty", "9"], "--difficulty"),
])
def test_bad_generate_arguments_exit_2_with_one_line(tmp_path, args, needle):
    out = tmp_path / "out"
    proc = _run("generate", "--out", str(out), "--quiet", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_out_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = _run("generate", "--out", str(blocker / "out"), "--quiet")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "--out" in proc.stderr


def test_existing_out_is_kept_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["generate", "--out", str(out), "--quiet"]) == 2
    assert (out / "keep.txt").read_text() == "mine"


def test_generate_records_seed_and_command(tmp_path):
    out = tmp_path / "out"
    assert main(["generate", "--out", str(out), "--seed", "3", "--families", "label_map",
                 "--episodes", "2", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and set(manifest["configs"]) == {"label_map_ood", "label_map_renamed", "label_map_id"}
    assert "--seed 3" in manifest["command"]


def test_tasks_dir_holds_the_yaml(capsys):
    assert main(["tasks-dir"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert (folder / "_ood_icl.yaml").is_file() and (folder / "utils.py").is_file()


def test_missing_parent_folders_are_created(tmp_path):
    out = tmp_path / "a" / "b" / "data"
    assert main(["generate", "--out", str(out), "--families", "cipher", "--episodes", "1", "--quiet"]) == 0
    assert (out / "manifest.json").is_file()


def test_table_puts_fine_tuning_beside_in_context_learning(tmp_path, capsys):
    def cfg(family, variant, k):  # what lm-eval records of one of our leaf tasks
        return {"dataset_kwargs": {"family": family, "variant": variant, "k": k}, "metadata": {"seed": 2026, "difficulty": 2, "episodes": 2, "queries": 2}}

    icl = {"results": {"ood_icl_cipher_ood_k4": {"acc,none": 0.5}, "ood_icl_cipher_ood_k1": {"acc,none": 0.4},
                       "ood_icl_quick_label_map_id_k4": {"acc,none": 0.75}},
           "configs": {"ood_icl_cipher_ood_k4": cfg("cipher", "ood", 4), "ood_icl_cipher_ood_k1": cfg("cipher", "ood", 1),
                       "ood_icl_quick_label_map_id_k4": cfg("label_map", "id", 4)}}
    ft = {"results": {"ood_icl_cipher_ood_ft4": {"acc,none": 0.25}, "ood_icl_label_map_id_ft4": {"acc,none": 0.5}}}
    for name, results in (("icl", icl), ("ft", ft)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results_2026-11-26T00-00-00.json").write_text(json.dumps(results))
    assert main(["table", str(tmp_path / "icl"), "--finetune", str(tmp_path / "ft")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "| task | chance | ICL k=4 | FT 4 |" in lines  # k=1 has no fine-tuning counterpart: left out
    assert "| cipher_ood | 0.333 | 0.500 | 0.250 |" in lines
    assert "| label_map_id | 0.500 | 0.750 | 0.500 |" in lines
    assert "| **mean ood** | 0.333 | 0.500 | 0.250 |" in lines
    assert main(["table", str(tmp_path / "icl"), "--finetune", str(tmp_path / "nowhere")]) == 2


@pytest.mark.parametrize("script", ["pairing_residue.py", "compression_learners.py", "audit_learner.py"])
@pytest.mark.parametrize("families, needle", [("afine", "Did you mean affine?"), (",", "no name given")])
def test_perf_family_lists_exit_2_with_one_line(script, families, needle):
    """The perf scripts' --families (ood_icl._args.checked_names): the close matches, one line, exit 2."""
    perf = Path(__file__).resolve().parent.parent / "perf" / script
    done = subprocess.run([sys.executable, str(perf), "--families", families], capture_output=True, text=True)
    assert done.returncode == 2 and needle in done.stderr and len(done.stderr.strip().splitlines()) == 1
