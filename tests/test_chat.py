"""The chat group: one instruction line above the same demonstrations, the reply's first line
against the gold, exact match; valid with --apply_chat_template (chat and API models)."""

from __future__ import annotations

import os

import pytest
import yaml

from ood_icl.generators import FAMILIES, VARIANTS
from ood_icl.harness.taskgen import CHAT_GROUP, chat_task_name, render_all
from ood_icl.harness.tasks import CHAT_INSTRUCTION, doc_to_text, doc_to_text_chat, load
from ood_icl.suite import SHOTS


def _load_yaml(text: str) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")
    return yaml.load(text, Loader=Loader)


def test_the_chat_group_has_every_family_variant_and_shot():
    files = render_all()
    members = _load_yaml(files[f"_{CHAT_GROUP}.yaml"])["task"]
    assert sorted(members) == sorted(chat_task_name(f, v, k) for f in FAMILIES for v in VARIANTS for k in SHOTS)
    leaf = _load_yaml(files[f"{members[0]}.yaml"])
    assert leaf["include"] == "_chat_yaml"


def test_the_chat_template_generates_filters_the_first_line_and_scores_exact_match():
    cfg = _load_yaml(render_all()["_chat_yaml"])
    assert cfg["output_type"] == "generate_until"
    assert cfg["doc_to_text"] == "!function utils.doc_to_text_chat"
    assert [m["metric"] for m in cfg["metric_list"]] == ["exact_match"]
    assert [f["function"] for f in cfg["filter_list"][0]["filter"]] == ["regex", "take_first"]


@pytest.mark.parametrize("reply, kept", [(" f h i x w", "f h i x w"), ("f h i x w\nbecause...", "f h i x w"),
                                         ("\n\n  dax  \nmore", "dax"), ("", "")])
def test_the_filter_keeps_the_first_non_empty_line_stripped(reply, kept):
    from lm_eval.filters.extraction import RegexFilter

    step = next(f for f in _load_yaml(render_all()["_chat_yaml"])["filter_list"][0]["filter"]
                if f["function"] == "regex")
    out = RegexFilter(regex_pattern=step["regex_pattern"], fallback=step["fallback"]).apply([[reply]], [{}])
    assert out == [[kept]]


def test_the_chat_prompt_is_the_instruction_then_the_same_demos():
    doc = load("cipher", "ood", 4, episodes=1)["test"][0]
    assert doc_to_text_chat(doc) == CHAT_INSTRUCTION + "\n" + doc_to_text(doc)
    assert "\n" not in CHAT_INSTRUCTION


@pytest.mark.skipif(not os.environ.get("OOD_ICL_CHAT_URL"), reason="set OOD_ICL_CHAT_URL to an OpenAI-compatible "
                    "/v1/chat/completions (e.g. `transformers serve`) and OOD_ICL_CHAT_MODEL")
def test_a_chat_server_scores_through_lm_eval(tmp_path):
    import subprocess
    import sys

    from ood_icl.harness.taskgen import write

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "utils.py").write_text((__import__("pathlib").Path(__file__).parents[1] / "task_yaml/utils.py").read_text())
    write(tasks)
    args = f"model={os.environ.get('OOD_ICL_CHAT_MODEL', 'default')},base_url={os.environ['OOD_ICL_CHAT_URL']}"
    proc = subprocess.run([sys.executable, "-m", "lm_eval", "--model", "local-chat-completions", "--model_args", args,
                           "--apply_chat_template", "--tasks", chat_task_name("cipher", "id", 4), "--include_path",
                           str(tasks), "--limit", "1", "--output_path", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "first_line" in proc.stdout and "exact_match" in proc.stdout


def test_verify_chat_rescores_a_logged_sample_and_refuses_a_forged_one():
    import json
    from ood_icl.suite import parse_task
    from ood_icl.verify.chat import first_line, logged_prompt, prompt_holds_doc, score_chat_sample
    doc = load("cipher", "id", 4, episodes=1)["test"][0]
    kwargs = {"until": ["\n\n"], "do_sample": False, "max_gen_toks": 32}
    messages = json.dumps([{"role": "user", "content": doc_to_text_chat(doc)}])
    arguments = {"gen_args_0": {"arg_0": [messages], "arg_1": kwargs}}  # as local-chat-completions logs it
    reply = f" {doc['answer']}\nThat is the rule."
    sample = {"resps": [[reply]], "filtered_resps": [first_line(reply)]}
    assert parse_task(chat_task_name("cipher", "id", 4)).method == "chat"
    assert logged_prompt(arguments, kwargs) == messages and prompt_holds_doc(messages, doc)
    assert logged_prompt(arguments, dict(kwargs, max_gen_toks=4096)) is None
    assert not prompt_holds_doc(messages.replace(doc["query"], "x"), doc)
    assert score_chat_sample(sample, doc) == (None, {"exact_match": 1.0})
    assert score_chat_sample(dict(sample, filtered_resps=[doc["answer"] + "x"]), doc)[0]


# --- a real chat run (hf --apply_chat_template on the tiny model) through verify and the board ------

@pytest.fixture(scope="module")
def chat_run(tiny_model, tmp_path_factory):
    import json
    from _lm_eval_run import run_lm_eval
    out = tmp_path_factory.mktemp("chat-run")
    run_lm_eval(tiny_model, CHAT_GROUP, out, "--apply_chat_template", "--metadata",
                json.dumps({"seed": 4242, "episodes": 1, "queries": 2}))
    return out


def _samples(out):
    (path,) = out.rglob(f"samples_{chat_task_name('cipher', 'ood', 4)}_*.jsonl")
    return path


def test_verify_accepts_a_chat_run_as_its_own_protocol(chat_run):
    from ood_icl.verify.run import verify_run
    v = verify_run(chat_run, allow_small=True)
    assert v.ok, [str(p) for p in v.problems[:5]]
    assert len(v.tasks) == len(FAMILIES) * len(VARIANTS) * len(SHOTS)
    assert {t.method for t in v.tasks.values()} == {"chat"}
    sample = __import__("json").loads(_samples(chat_run).read_text().splitlines()[0])
    assert "<|assistant|>" in sample["arguments"]["gen_args_0"]["arg_0"]  # the template was applied


@pytest.mark.parametrize("forge, code", [
    (lambda s: s.update(exact_match=1.0 - s["exact_match"]), "metric-mismatch"),
    (lambda s: s.update(filtered_resps=[s["doc"]["answer"]], exact_match=1.0), "response-malformed"),
    (lambda s: s["arguments"]["gen_args_0"].update(arg_0="<|user|>\nanswer with the rule\n"), "prompt-mismatch"),
    (lambda s: s.update(filter="none"), "config-mismatch"),
])
def test_verify_refuses_a_forged_chat_sample(chat_run, tmp_path, forge, code):
    import json
    import shutil
    from ood_icl.verify.run import verify_run
    dest = tmp_path / "run"
    shutil.copytree(chat_run, dest)
    path = _samples(dest)
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    if code == "response-malformed" and first["filtered_resps"] == [first["doc"]["answer"]]:
        pytest.skip("the tiny model answered this doc right")
    forge(first)
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    v = verify_run(dest, allow_small=True)
    assert code in {p.code for p in v.problems}


def test_a_chat_run_with_a_system_turn_or_raw_prompt_tasks_is_refused(chat_run, tmp_path):
    import json
    import shutil
    from ood_icl.suite import task_name
    from ood_icl.verify.run import verify_run
    for change, code in [(lambda d: d.update(system_instruction="Answer with the gold."), "chat-template"),
                         (lambda d: d["results"].update({task_name("cipher", "ood", 4): {"acc,none": 1.0}}),
                          "mixed-protocol")]:
        dest = tmp_path / code
        shutil.copytree(chat_run, dest)
        (results,) = dest.rglob("results_*.json")
        data = json.loads(results.read_text())
        change(data)
        results.write_text(json.dumps(data))
        assert code in {p.code for p in verify_run(dest, allow_small=True).problems}


def test_the_board_shows_a_chat_run_in_its_own_column(chat_run):
    from ood_icl.leaderboard.columns import COLUMNS
    from ood_icl.leaderboard.derive import build_record
    from ood_icl.leaderboard.stats import compute
    from ood_icl.verify.run import verify_run
    record = build_record("tiny chat", verify_run(chat_run, allow_small=True))
    assert {s["method"] for s in record.series} == {"chat"}
    stats = compute(record)
    want = sum(sum(map(int, s["correct"])) for s in record.series) / sum(len(s["correct"]) for s in record.series)
    assert abs(stats.chat.value - want) < 1e-9
    assert "chat" in {c.key for c in COLUMNS}
