"""The matched fine-tuning baseline on the tiny random model: schema, hashes, resume, scale-out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import pytest
from _finetune_helpers import ENV, run_killed_after

from ood_icl.dataset import BuildSpec, episodes
from lm_eval.utils import sanitize_model_name
from ood_icl.finetune.cli import main
from ood_icl.finetune.config import FinetuneConfig, cell_episodes, resolve_tasks
from ood_icl.finetune.learner import CPU_NUMERICS, Learner, has_avx2
from ood_icl.finetune.recipe import RECIPES, Recipe, recipe_for, unit_generator
from ood_icl.finetune.run import BARRIER_TIMEOUT, finetune_tasks, share, snapshot
from ood_icl.finetune.state import final_files
from ood_icl.finetune.train import Run, score_episode, train
from ood_icl.suite import parse_task

TASK_DIR = Path(__file__).resolve().parent.parent / "task_yaml"
PERF = TASK_DIR.parent / "perf"
CELLS = (("cipher", "ood"), ("label_map", "id"))


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Runs set torch's thread count (the last float bits depend on it): restore it for other modules."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _config(model: Path, **kw) -> FinetuneConfig:
    base = dict(model=str(model), cells=CELLS, budgets=(0, 1, 4), episodes=2, dtype="float32")
    return FinetuneConfig(**{**base, **kw})


def _cli_args(model: Path, out: Path) -> list[str]:
    return ["--model", str(model), "--tasks", "cipher_ood,label_map_id", "--budgets", "0,1,4", "--episodes", "2",
            "--dtype", "float32", "--output-path", str(out), "--quiet"]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def reference(tiny_model, tmp_path_factory) -> Path:
    """An uninterrupted single-process LoRA run: 2 tasks x 2 episodes x budgets 0, 1, 4."""
    out = tmp_path_factory.mktemp("ft-ref")
    finetune_tasks(_config(tiny_model), out, progress=False)
    return out


def test_lora_run_writes_lm_eval_schema(reference, tiny_model):
    (path,) = reference.rglob("results_*.json")
    res = json.loads(path.read_text())
    assert path.parent.name == sanitize_model_name(str(tiny_model))
    tasks = {f"ood_icl_{f}_{v}_ft{b}" for f, v in CELLS for b in (0, 1, 4)}
    for key in ("results", "configs", "versions", "n-shot", "n-samples", "task_hashes"):
        assert set(res[key]) == tasks, key
    for task in tasks:
        r = res["results"][task]
        assert list(r) == ["name", "alias", "sample_len", "acc,none", "acc_stderr,none", "acc_norm,none",
                           "acc_norm_stderr,none"]
        assert res["n-samples"][task] == {"original": 10, "effective": 10}
        cfg = res["configs"][task]
        assert cfg["dataset_kwargs"]["k"] == 0 and cfg["dataset_kwargs"]["budget"] == int(task.rsplit("ft", 1)[1])
        assert {"version", "seed", "difficulty", "episodes", "queries"} <= set(cfg["metadata"])
        assert cfg["metadata"]["seed"] == 2026 and cfg["metadata"]["episodes"] == 2
        samples = _lines(next(reference.rglob(f"samples_{task}_*.jsonl")))
        assert [s["doc_id"] for s in samples] == list(range(10))
        assert r["acc,none"] == sum(s["acc"] for s in samples) / 10
    assert res["config"]["method"] == "lora" and res["config"]["recipes"]["4"] == {
        "lr": RECIPES[("lora", 4)].lr, "steps": RECIPES[("lora", 4)].steps, "batch": 16, "warmup": 0,
        "weight_decay": 0.0, "max_grad_norm": 1.0}
    assert res["config"]["seeds"] == {"data": 2026, "train": 0}
    assert res["config"]["device"] == "cpu" and res["config"]["dtype"] == "float32"


def test_training_lowers_the_train_loss(reference):
    res = json.loads(next(reference.rglob("results_*.json")).read_text())
    for task, log in res["train"].items():
        if task.endswith("_ft0"):
            assert log is None
            continue
        assert all(after < before for before, after in log["episodes"]), task


def test_full_fine_tuning_on_two_episodes(tiny_model, tmp_path):
    out = finetune_tasks(_config(tiny_model, method="full", cells=CELLS[:1], budgets=(1, 4)), tmp_path,
                         progress=False)
    res = json.loads(out.read_text())
    assert res["config"]["method"] == "full" and res["config"]["lora"] is None
    assert set(res["results"]) == {"ood_icl_cipher_ood_ft1", "ood_icl_cipher_ood_ft4"}
    assert all(a < b for log in res["train"].values() for b, a in log["episodes"])


def test_samples_and_hashes_equal_lm_evals_k0(reference, tiny_model, tmp_path):
    """A real lm_eval run of the _k0 tasks, saved by lm-eval's own tracker: every sample line
    of the untrained budget (ft0) equals it, the log-likelihoods up to float noise."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    k0 = [f"ood_icl_{f}_{v}_k0" for f, v in CELLS]
    res = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={tiny_model},dtype=float32", tasks=k0,
                                  limit=10, log_samples=True, device="cpu", batch_size=8,
                                  task_manager=TaskManager(include_path=str(TASK_DIR), include_defaults=False))
    samples = res.pop("samples")
    tracker = EvaluationTracker(output_path=str(tmp_path))
    tracker.general_config_tracker.model_name_sanitized = "lm_eval"
    tracker.save_results_aggregated(results=res, samples=samples)
    for task in k0:
        tracker.save_results_samples(task_name=task, samples=samples[task])
    theirs = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    ours = json.loads(next(reference.rglob("results_*.json")).read_text())
    for task in k0:
        ft0 = task.replace("_k0", "_ft0")
        assert ours["task_hashes"][ft0] == theirs["task_hashes"][task]
        assert list(ours["results"][ft0]) == list(theirs["results"][task])
        a = _lines(next(tmp_path.rglob(f"samples_{task}_*.jsonl")))
        b = _lines(next(reference.rglob(f"samples_{ft0}_*.jsonl")))
        assert len(a) == len(b) == 10
        for x, y in zip(a, b):
            assert list(x) == list(y)
            for key in x:
                if key in ("resps", "filtered_resps"):
                    assert [float(r[0]) for r in x["filtered_resps"]] == pytest.approx(
                        [float(r[0]) for r in y["filtered_resps"]], abs=1e-4)
                else:
                    assert x[key] == y[key], key


def test_killed_run_resumes_to_identical_files(reference, tiny_model, tmp_path):
    """SIGKILL after 5 of 12 unit files (mid-episode, the second task's first), then the same command again."""
    proc = run_killed_after(5, _cli_args(tiny_model, tmp_path))
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert not list(tmp_path.rglob("results_*.json"))
    assert len(list(tmp_path.rglob("e0000*.json"))) == 5
    # episode-major: what a stopped run holds is the first episode of both tasks, not one whole task
    assert {p.name for p in tmp_path.rglob("e0000*.json")} == {"e00000.json"}
    held = [parse_task(p.parent.name) for p in tmp_path.rglob("e0000*.json")]
    assert len({(t.family, t.variant) for t in held}) == 2
    assert main(_cli_args(tiny_model, tmp_path)) == 0
    assert final_files(tmp_path) == final_files(reference)
    assert main(_cli_args(tiny_model, tmp_path)) == 0  # a finished run only rewrites the same files
    assert final_files(tmp_path) == final_files(reference)


def test_snapshot_of_the_first_episodes_equals_a_run_of_that_many(reference, tiny_model, tmp_path):
    """A run's first episode, copied out with ``snapshot``, gives the files of a 1-episode run;
    a unit not done yet, or more episodes than the run has, is refused and nothing is written."""
    one = tmp_path / "one"
    finetune_tasks(_config(tiny_model, episodes=1), one, progress=False)
    snap = snapshot(reference, tmp_path / "snap", 1)
    assert snap.name.startswith("results_")
    assert final_files(tmp_path / "snap") == final_files(one)
    with pytest.raises(ValueError, match="the run has 1 to 2"):
        snapshot(reference, tmp_path / "x", 3)
    partial = tmp_path / "partial"
    shutil.copytree(reference, partial)
    (unit,) = partial.rglob("ood_icl_label_map_id_ft4/e00001.json")
    unit.unlink()
    with pytest.raises(ValueError, match=r"1 of the 12 units .* ood_icl_label_map_id_ft4 episode 1"):
        snapshot(partial, tmp_path / "y", 2)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    snapshot(partial, tmp_path / "z", 1)  # its first episode is whole
    assert final_files(tmp_path / "z") == final_files(one)
    (run_json,) = partial.rglob("run.json")  # a run of another protocol version: this checkout cannot stand for it
    held = json.loads(run_json.read_text())
    held["config"]["finetune_version"] -= 1
    run_json.write_text(json.dumps(held))
    with pytest.raises(ValueError, match="records the run differently: finetune_version"):
        snapshot(partial, tmp_path / "w", 1)


def test_cpu_numerics_are_pinned_only_where_the_cpu_lists_avx2(tmp_path):
    """torch would run AVX2 kernels on a CPU without them (an illegal instruction): the pin needs the flag."""
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx512f\n")
    assert not has_avx2(str(info))
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\n")
    assert has_avx2(str(info))
    assert not has_avx2(str(tmp_path / "absent"))


@pytest.mark.skipif(not has_avx2(), reason="the pin applies only where the CPU lists avx2")
@pytest.mark.parametrize("computes_first", [False, True])
def test_a_pin_that_comes_too_late_is_reported(computes_first):
    """The pin is read at the first tensor op: set_threads says when a process computed before it."""
    code = ("import warnings, torch\n"
            + ("torch.exp(torch.ones(64))\n" if computes_first else "")
            + "from ood_icl.finetune.learner import set_threads\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    set_threads('cpu', 1)\n"
            "print(torch.backends.cpu.get_cpu_capability(), len([x for x in w if x.category is RuntimeWarning]))\n")
    env = {k: v for k, v in ENV.items() if k not in CPU_NUMERICS}  # the child starts unpinned
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    capability, warned = done.stdout.split()
    natural = subprocess.run([sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
                             env=env, capture_output=True, text=True).stdout.strip()
    if computes_first and natural != "AVX2":  # e.g. AVX512: the late pin is seen, and said
        assert (capability, warned) == (natural, "1")
    else:  # pinned in time, or a CPU whose own choice is AVX2 (a late pin cannot be seen there)
        assert (capability, warned) == ("AVX2", "0")


def _carry(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PERF / "ft_carry.py"), *map(str, args)], env=ENV,
                          capture_output=True, text=True)


def _archive(path: Path, files: dict[str, bytes]) -> Path:
    import io
    import tarfile

    with tarfile.open(path, "w:xz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_run_carried_in_an_archive_resumes_elsewhere_to_identical_files(reference, tiny_model, tmp_path):
    """perf/ft_carry.py: a run killed after 5 units, packed, unpacked into an empty folder (the next
    machine) and resumed there with the same command, ends with the reference's files; packing is
    deterministic; an archive with a foreign member, a unit that is not a JSON object, or a unit that
    differs from the folder's is refused with one line and exit 2, and nothing is written."""
    first, second, archive = tmp_path / "first", tmp_path / "second", tmp_path / "units.tar.xz"
    assert run_killed_after(5, _cli_args(tiny_model, first)).returncode == -9
    done = _carry("pack", first, archive)
    assert (done.returncode, done.stdout) == (0, f"packed 6 files into {archive}\n"), done.stderr
    assert _carry("pack", first, tmp_path / "again.tar.xz").returncode == 0
    assert (tmp_path / "again.tar.xz").read_bytes() == archive.read_bytes()
    done = _carry("unpack", archive, second)
    assert (done.returncode, done.stdout) == (0, f"unpacked 6 new of 6 files into {second}\n"), done.stderr
    assert main(_cli_args(tiny_model, second)) == 0
    assert final_files(second) == final_files(reference)

    (run_json,) = first.rglob("run.json")
    unit = next(first.rglob("e00000.json"))
    names = {p: p.relative_to(first).as_posix() for p in (run_json, unit)}
    good = {names[run_json]: run_json.read_bytes()}
    for why, files, needle in (
            ("foreign", {**good, "../escape.json": b"{}"}, "unexpected member '../escape.json'"),
            ("outside", {**good, "../" + names[run_json].split("/", 1)[1]: b"{}"}, "unexpected member '../"),
            ("not json", {**good, names[unit]: b"[1, 2]"}, "is not a JSON object"),
            ("no run.json", {names[unit]: unit.read_bytes()}, "no run.json"),
            ("differs", {**good, names[unit]: b'{"tampered": 1}'}, "differs from the archive's copy")):
        target = tmp_path / why.replace(" ", "_")
        if why == "differs":
            shutil.copytree(first, target)
        before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
        done = _carry("unpack", _archive(tmp_path / f"{target.name}.tar.xz", files), target)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and needle in done.stderr, (why, done.stderr)
        after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
        assert after == sorted(before + [Path(f"{target.name}.tar.xz")]), why


def test_two_process_accelerate_run_equals_one_process(reference, tiny_model, tmp_path):
    accelerate = str(Path(sys.executable).with_name("accelerate"))
    cmd = [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
           "--dynamo_backend", "no", "-m", "ood_icl.finetune", *_cli_args(tiny_model, tmp_path)]
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = {json.loads(p.read_text())["process"][0] for p in tmp_path.rglob("e0000*.json")}
    assert ranks == {0, 1}  # the episodes were shared out
    assert final_files(tmp_path) == final_files(reference)


def test_processes_share_what_is_left_evenly_and_every_task_turns_between_them():
    """The default run's 36 tasks x 20 episodes, fresh and resumed as session 18 found it (dealt by
    index, one process had 28 episodes left and the other 71): each process gets an equal count to
    within one per episode, nothing twice or left out, and each task goes to every process in turn."""
    cells = [(f"t{c}", "ood") for c in range(36)]
    fresh = [(f, v, e) for e in range(20) for f, v in cells]
    left = [g for g in fresh if g[2] >= 18 or (g[2] in (16, 17) and int(g[0][1:]) % 2)]  # odd tasks lagged
    for todo in (fresh, left, fresh[5:], fresh[:7]):
        for world in (1, 2, 3):
            shares = [share(todo, r, world) for r in range(world)]
            assert sorted(g for s in shares for g in s) == sorted(todo)
            episodes_left = len({g[2] for g in todo})
            assert max(map(len, shares)) - min(map(len, shares)) <= episodes_left
    for world in (2, 3):
        for f, v in cells:
            ranks = [r for r in range(world) for g in share(fresh, r, world) if g[:2] == (f, v)]
            assert sorted(set(ranks)) == list(range(world))
            assert max(ranks.count(r) for r in range(world)) - min(ranks.count(r) for r in range(world)) <= 1
    assert [len(share(left, r, 2)) for r in (0, 1)] == [54, 54]
    assert [len(share(fresh, r, 2)) for r in (0, 1)] == [360, 360]


BARRIER_PROBE = """
import sys, time
from datetime import timedelta
import torch, torch.distributed as dist
import ood_icl.finetune.run as run
if sys.argv[1] != "default":
    run.BARRIER_TIMEOUT = timedelta(seconds=float(sys.argv[1]))
rank, world, barrier, _ = run._distributed(True)
if rank == 1:
    time.sleep(float(sys.argv[2]))
barrier()
group = dist.distributed_c10d._get_default_group()
with open(f"{sys.argv[3]}/rank{rank}", "w") as f:  # a file per rank: torchrun's shared stdout may drop a line
    f.write(str(group._get_backend(torch.device("cpu")).options._timeout.total_seconds()))
"""


def test_a_process_that_finished_its_share_waits_at_the_barrier_past_gloos_thirty_minutes(tmp_path):
    """The process group a multi-process run makes waits BARRIER_TIMEOUT (days) at a barrier, not
    gloo's default 30 minutes; and that timeout is what governs a barrier: at 4 s, a peer 10 s late
    crashes the waiting process (the crash a finished process met before, at 30 minutes)."""
    probe = tmp_path / "probe.py"
    probe.write_text(BARRIER_PROBE)
    torchrun = [str(Path(sys.executable).with_name("torchrun")), "--standalone", "--nproc_per_node", "2", str(probe)]
    done = subprocess.run([*torchrun, "default", "0", str(tmp_path)], env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    waits = {p.name: p.read_text() for p in tmp_path.glob("rank*")}
    assert waits == {"rank0": "604800.0", "rank1": "604800.0"}  # timedelta(days=7)
    assert BARRIER_TIMEOUT >= timedelta(days=1)
    short = subprocess.run([*torchrun, "4", "10", str(tmp_path)], env=ENV, capture_output=True, text=True, timeout=300)
    assert short.returncode != 0 and "Timed out" in short.stderr, short.stderr[-3000:]


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_a_run_is_bit_identical_alone_and_beside_other_budgets(tiny_model, dtype):
    """Budget 16 alone = beside 1 and 4 = beside 64, bit for bit (train log and every score), on a
    family whose rows vary in length, in another slot each time: a run's result depends on its own
    episode, budget, recipe and seeds only (FINETUNE_VERSION 4)."""
    learner = Learner(str(tiny_model), "lora", slots=3, dtype=dtype)
    ep = next(episodes(BuildSpec("sequence", "ood", episodes=1, pool=64)))
    demos = learner.encode_demos(ep.demos)
    assert len({len(ctx) + len(cont) for ctx, cont in demos[:16]}) > 1  # rows of varying length

    def run(slot: str, k: int) -> Run:
        return Run(slot, tuple(demos[:k]), Recipe(lr=3e-3, steps=6), unit_generator(0, 2026, "sequence", "ood", 0, k))

    sizes: set[int] = set()  # every forward's batch size: one run's rows (or one slot's queries) only
    learner.model.get_decoder().register_forward_pre_hook(
        lambda module, args, kwargs: sizes.add(len(kwargs["input_ids"])), with_kwargs=True)
    seen = []
    for budgets, slot_of_16 in [((16,), 0), ((1, 4, 16), 2), ((64, 16), 1)]:
        slots = [learner.slots[slot_of_16]] if len(budgets) == 1 else learner.slots[:len(budgets)]
        runs = [run(slot, k) for slot, k in zip(slots, budgets)]
        i = budgets.index(16)
        assert runs[i].slot == learner.slots[slot_of_16]
        logs = train(learner, runs)
        seen.append((logs[i], score_episode(learner, ep, [runs[i].slot])[0]))
    assert seen[0][0].loss_after < seen[0][0].loss_before  # it trained
    assert seen[0] == seen[1] == seen[2]
    assert sizes <= {1, 4, 16, 64, sum(len(q.choices) for q in ep.queries)}, sizes  # no shared batch


def test_the_loss_before_training_comes_from_the_first_step_without_a_forward_of_its_own(tiny_model):
    """A run whose demos fit one batch takes its loss before training from step 1's forward (the same
    rows, B = 0): the same number, bit for bit, as a forward of its own, which is no longer run."""
    from ood_icl.finetune.train import _eval_losses

    learner = Learner(str(tiny_model), "lora", slots=4, dtype="float32")
    ep = next(episodes(BuildSpec("sequence", "ood", episodes=1, pool=64)))
    demos = learner.encode_demos(ep.demos)

    def runs() -> list[Run]:
        return [Run(slot, tuple(demos[:k]), Recipe(lr=3e-3, steps=3), unit_generator(0, 7, "sequence", "ood", 0, k))
                for slot, k in zip(learner.slots, (1, 4, 16, 64))]

    fresh = runs()
    for run in fresh:
        learner.reset(run.slot, run.gen)
    expected = _eval_losses(learner, fresh)
    calls = []
    learner.model.get_decoder().register_forward_pre_hook(lambda module, args: calls.append(1))
    logs = train(learner, runs())
    assert [log.loss_before for log in logs] == expected
    assert len(calls) == 1 + 3 * 4 + 4  # budget 64's loss before, 3 steps x 4 runs, the 4 losses after


def test_a_longer_pool_extends_the_published_one():
    config = FinetuneConfig(model="m", cells=(("list_fn", "ood"),), budgets=(1, 64), episodes=3)
    published = list(episodes(BuildSpec("list_fn", "ood", episodes=3)))
    for long, short in zip(cell_episodes(config, "list_fn", "ood"), published):
        assert len(long.demos) == 64 and long.demos[:16] == short.demos and long.queries == short.queries


def test_recipes_and_task_names():
    assert recipe_for("lora", 16) == RECIPES[("lora", 16)]
    assert recipe_for("lora", 8) == RECIPES[("lora", 4)]  # log-nearest, ties to the smaller budget
    top = max(b for m, b in RECIPES if m == "lora")
    r = RECIPES[("lora", top)]
    assert recipe_for("lora", 4 * max(top, r.batch)) == Recipe(r.lr, 4 * r.steps, r.batch)  # same passes over the demos
    assert resolve_tasks("ood_icl_cipher_ood_k4,cipher_ood,label_map") == (
        ("cipher", "ood"), ("label_map", "id"), ("label_map", "renamed"), ("label_map", "ood"))


@pytest.mark.parametrize("argv, needle", [
    (["--tasks", "cipher_odd"], "cipher_ood"),
    (["--budgets", "1,x"], "--budgets"),
    (["--budgets", "-1"], "--budgets"),
    (["--method", "lorra"], "--method"),
    (["--episodes", "0"], "--episodes"),
    (["--tasks", "ood_icl"], "--output-path"),
    (["--select-hparams", "--seed", "2026"], "published"),
])
def test_bad_arguments_exit_2_with_one_line(argv, needle, capsys):
    try:
        code = main(["--model", "unused", *argv])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ood-icl finetune: error:") and needle in err


def test_device_cuda_without_a_gpu_exits_2(tiny_model, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: tests/test_finetune_cuda.py covers --device cuda")
    code = main(["--model", str(tiny_model), "--tasks", "cipher_ood", "--device", "cuda",
                 "--output-path", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--device cuda" in err
    assert not (tmp_path / "x").exists()


def test_another_config_in_the_same_folder_exits_2(reference, tiny_model, capsys):
    assert main(_cli_args(tiny_model, reference) + ["--method", "full"]) == 2
    assert "another" in capsys.readouterr().err


def test_a_budget_beyond_the_input_space_exits_2_before_writing(tmp_path, capsys):
    argv = ["--model", "unused", "--tasks", "cipher_id", "--budgets", "1,256", "--output-path", str(tmp_path / "out")]
    assert main(argv) == 2
    assert "cipher_id" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_the_sweep_writes_a_recipe_per_budget_from_its_grid(tiny_model, tmp_path, capsys):
    from ood_icl.finetune.sweep import LR_GRID, step_grid

    argv = ["--model", str(tiny_model), "--select-hparams", "--tasks", "cipher_ood", "--budgets", "1,4",
            "--output-path", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    record = json.loads((tmp_path / "recipe_sweep.json").read_text())
    assert record["dev_seed"] == 1 and set(record["chosen"]) == {"1", "4"}
    for budget, recipe in record["chosen"].items():
        assert recipe["lr"] in LR_GRID["lora"] and recipe["steps"] in step_grid(int(budget))
    assert all(f["train_loss"] > 0 for f in record["figures"]) and set(record["train_loss_before"]) == {"1", "4"}
    assert '("lora", 4): Recipe(' in capsys.readouterr().out


def test_a_sweep_grown_with_another_lr_equals_one_sweep_over_both(tiny_model, tmp_path, capsys):
    """--lr-grid on a folder that holds a sweep runs only the new learning rates and chooses over the
    union; the runs are independent, so the figures equal a single sweep's over both, bit for bit."""
    base = ["--model", str(tiny_model), "--select-hparams", "--tasks", "cipher_ood", "--budgets", "1,4", "--quiet"]
    grown, once = tmp_path / "grown", tmp_path / "once"
    assert main(base + ["--lr-grid", "3e-3", "--output-path", str(grown)]) == 0
    assert main(base + ["--lr-grid", "1e-3", "--output-path", str(grown)]) == 0
    assert main(base + ["--lr-grid", "1e-3,3e-3", "--output-path", str(once)]) == 0
    a, b = (json.loads((d / "recipe_sweep.json").read_text()) for d in (grown, once))
    assert a["lr_grid"] == [1e-3, 3e-3] and len(a["figures"]) == 2 * 2 * 4
    assert a == b
    capsys.readouterr()
    assert main(base + ["--difficulty", "1", "--output-path", str(grown)]) == 2  # another sweep: refused
    assert "another difficulty" in capsys.readouterr().err


def test_a_run_trains_with_the_recipes_a_sweep_chose(tiny_model, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    assert main(["--model", str(tiny_model), "--select-hparams", "--tasks", "cipher_ood", "--budgets", "1,4",
                 "--output-path", str(sweep), "--quiet"]) == 0
    chosen = json.loads((sweep / "recipe_sweep.json").read_text())["chosen"]
    out = tmp_path / "run"
    assert main(["--model", str(tiny_model), "--tasks", "cipher_ood", "--budgets", "1,4", "--episodes", "1",
                 "--recipes", str(sweep / "recipe_sweep.json"), "--output-path", str(out), "--quiet"]) == 0
    (results,) = out.rglob("results_*.json")
    assert json.loads(results.read_text())["config"]["recipes"] == chosen
    capsys.readouterr()
    assert main(["--model", str(tiny_model), "--tasks", "cipher_ood", "--budgets", "1,4,16", "--recipes",
                 str(sweep / "recipe_sweep.json"), "--output-path", str(tmp_path / "x"), "--quiet"]) == 2
    assert "no recipe for budget 16" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["lora", "full"])
def test_the_recipe_table_is_what_the_committed_sweep_chose(method):
    """RECIPES is the sweeps' measured choice, and the selection rule reproduces it from the figures
    (each record with its own grids: full's version-3 record keeps its cap of 10 steps)."""
    from ood_icl.finetune.sweep import _choose, step_grid

    records = sorted((TASK_DIR.parent / "docs").glob(f"recipe_sweep_{method}*.json"))
    assert records
    table = {}
    for path in records:
        record = json.loads(path.read_text())
        assert record["method"] == method
        figures = {(f["budget"], f["lr"], f["steps"]): [f["acc"] * f["n"], f["gold_prob"] * f["n"], f["n"]]
                   for f in record["figures"]}
        grids = {int(b): tuple(g) for b, g in record["step_grids"].items()}
        if method == "lora":  # swept with this code's step grid, uncapped
            assert grids == {b: step_grid(b) for b in grids}
            assert record["max_steps"] == {str(b): max(g) for b, g in grids.items()}
        chosen = _choose(figures, record["lr_grid"], grids, {int(b): s for b, s in record["max_steps"].items()})
        assert {str(b): asdict(r) for b, r in chosen.items()} == record["chosen"]
        table.update(chosen)
    assert {b: r for (m, b), r in RECIPES.items() if m == method} == table
