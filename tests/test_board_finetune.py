"""Fine-tuning folders prove what they claim (issue 14): budgets, recipes and training logs match each
task's name and the protocol, and both halves of an entry are one model.  The folder is written by the
baseline's own writer with random log-likelihoods (``fake_ft_folder``): no model is trained."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from _leaderboard_helpers import fake_ft_folder, verified
from ood_icl.verify.pair import check_same_model
from ood_icl.verify.run import verify_run

CELL = ("cipher", "ood")


@pytest.fixture(scope="module")
def ft_folder(tmp_path_factory) -> Path:
    return fake_ft_folder(tmp_path_factory.mktemp("ft") / "run", [CELL])


@pytest.fixture
def ft(ft_folder, tmp_path) -> Path:
    dest = tmp_path / "ft"
    shutil.copytree(ft_folder, dest, ignore=shutil.ignore_patterns(".ood-icl-finetune"))
    return dest


def _verify(folder: Path):
    return verify_run(folder, kind="ft", allow_small=True, allow_partial=True)


def _codes(folder: Path) -> set[str]:
    return {p.code for p in _verify(folder).problems}


def _results(folder: Path) -> tuple[Path, dict]:
    (path,) = folder.glob("results_*.json")
    return path, json.loads(path.read_text())


def _rename_task(folder: Path, data: dict, old: str, new: str) -> None:
    """Relabel task ``old`` as ``new`` everywhere (keys and samples file), as an attacker would."""
    for section in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "task_hashes",
                    "train"):
        if old in data.get(section, {}):
            data[section][new] = data[section].pop(old)
    (samples,) = folder.glob(f"samples_{old}_*.jsonl")
    samples.rename(folder / samples.name.replace(old, new))


def test_an_honest_folder_verifies(ft):
    assert _verify(ft).ok


def test_swapped_budgets_are_refused(ft):
    path, data = _results(ft)
    a, b = "ood_icl_cipher_ood_ft4", "ood_icl_cipher_ood_ft16"
    _rename_task(ft, data, a, "tmp")
    _rename_task(ft, data, b, a)
    _rename_task(ft, data, "tmp", b)
    path.write_text(json.dumps(data))
    assert "budget-mismatch" in _codes(ft)
    # the names' budgets put back into the configs: the recipes still say which budget trained
    for task, k in ((a, 4), (b, 16)):
        data["configs"][task]["dataset_kwargs"]["budget"] = k
        data["configs"][task]["metadata"]["finetune"]["budget"] = k
    path.write_text(json.dumps(data))
    assert "recipe-mismatch" in _codes(ft)


def test_a_deleted_training_log_is_refused(ft):
    path, data = _results(ft)
    del data["train"]["ood_icl_cipher_ood_ft4"]
    path.write_text(json.dumps(data))
    assert "missing-train-log" in _codes(ft)
    data.pop("train")
    path.write_text(json.dumps(data))
    assert "missing-train-log" in _codes(ft)


def test_untrained_results_relabelled_as_fine_tuned_are_refused(ft):
    path, data = _results(ft)
    (ft4,) = ft.glob("samples_ood_icl_cipher_ood_ft4_*.jsonl")
    ft4.unlink()
    for section in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "task_hashes",
                    "train"):
        data[section].pop("ood_icl_cipher_ood_ft4", None)
    _rename_task(ft, data, "ood_icl_cipher_ood_ft0", "ood_icl_cipher_ood_ft4")
    path.write_text(json.dumps(data))
    assert {"budget-mismatch", "missing-train-log"} <= _codes(ft)


def test_another_models_run_as_the_fine_tuning_half_is_refused():
    icl = verified({"ood_icl_cipher_ood_k4": 8})
    for other in ({"model_name": "someone/else"}, {"model_name": "tiny", "model_sha": "def"},
                  {"model_name": "tiny", "num_parameters": 7}):
        ft = verified({"ood_icl_cipher_ood_ft4": 8}, kind="ft", model=other)
        check_same_model(icl, ft)
        assert [p.code for p in ft.problems] == ["model-mismatch"], other
    same = verified({"ood_icl_cipher_ood_ft4": 8}, kind="ft", model={"model_name": "tiny"})
    check_same_model(icl, same)
    assert same.ok


@pytest.mark.parametrize("edit, code", [
    (lambda d: d["configs"]["ood_icl_cipher_ood_ft16"]["metadata"]["finetune"].update(train_seed=1), "mixed-metadata"),
    (lambda d: d["configs"]["ood_icl_cipher_ood_ft4"]["metadata"].update(pretrained="other/model"), "mixed-metadata"),
    (lambda d: d["configs"]["ood_icl_cipher_ood_ft4"]["metadata"].update(dtype="bfloat16"), "mixed-metadata"),
    (lambda d: d["config"]["lora"].update(r=1), "recipe-mismatch"),
    (lambda d: d["config"].update(finetune_version=6), "recipe-mismatch"),
])
def test_a_task_from_another_run_or_another_protocol_is_refused(ft, edit, code):
    """Tasks cherry-picked from runs with other train seeds (the best of several), another model or dtype,
    or a run config of other LoRA settings or protocol version: each names what differs."""
    path, data = _results(ft)
    edit(data)
    path.write_text(json.dumps(data))
    assert code in _codes(ft)
