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

    from ood_icl.verify.chat import first_line, is_chat_task, prompt_holds_doc, score_chat_sample

    doc = load("cipher", "id", 4, episodes=1)["test"][0]
    prompt = [json.dumps([{"role": "user", "content": doc_to_text_chat(doc)}])]  # as local-chat-completions logs it
    reply = f" {doc['answer']}\nThat is the rule."
    sample = {"filter": "first_line", "resps": [[reply]], "filtered_resps": [first_line(reply)], "target": doc["answer"]}
    assert is_chat_task(chat_task_name("cipher", "id", 4)) and prompt_holds_doc(prompt, doc)
    assert score_chat_sample(sample, doc) == (None, {"exact_match": 1.0})
    assert score_chat_sample(dict(sample, filtered_resps=[doc["answer"] + "x"]), doc)[0]
    assert score_chat_sample(dict(sample, filter="none"), doc)[0]
