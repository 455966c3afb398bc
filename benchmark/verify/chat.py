"""The chat protocol (group ``ood_icl_chat``, tasks ``..._k<k>_chat``) for verify: what a logged sample must be.

lm-eval logs, per doc, ``resps`` (the raw reply), ``filtered_resps`` (after the task's filter
``first_line``: lm-eval's regex filter then take_first) and ``arguments`` (the prompt as the
model got it: with ``--apply_chat_template`` the chat-templated string, for API models the JSON
list of messages, logged as a one-element list).  The template depends on the model, so the prompt
is checked by containment: the chat doc text (instruction line, demos, query) must appear in it,
JSON-escaped for API models; ``prompt_hash`` must be the hash of the logged prompt.
"""

from __future__ import annotations

import json
import re

from ..harness.tasks import doc_to_text_chat

CHAT_FILTER = "first_line"
FIRST_LINE = re.compile(r"\S(?:.*\S)?")
"""The filter's pattern (harness.taskgen._CHAT): the first non-empty line, stripped."""


def first_line(reply) -> str:
    """What lm-eval's ``first_line`` filter keeps of a reply (fallback: "")."""
    found = FIRST_LINE.findall(reply if isinstance(reply, str) else "")
    return found[0].strip() if found else ""


def logged_prompt(arguments, gen_kwargs) -> str | None:
    """The prompt text of a chat sample's logged request, or None when the request is not one
    generation request with the official generation arguments."""
    if not (isinstance(arguments, dict) and list(arguments) == ["gen_args_0"]):
        return None
    request = arguments["gen_args_0"]
    if not (isinstance(request, dict) and request.get("arg_1") == gen_kwargs and len(request) == 2):
        return None
    prompt = request.get("arg_0")
    if isinstance(prompt, list) and len(prompt) == 1:  # an API model's JsonChatStr
        prompt = prompt[0]
    return prompt if isinstance(prompt, str) else None


def prompt_holds_doc(prompt, doc: dict) -> bool:
    """The logged prompt carries this doc's chat text (raw, or JSON-escaped in an API's messages)."""
    if isinstance(prompt, (list, tuple)):
        return any(prompt_holds_doc(p, doc) for p in prompt)
    text = doc_to_text_chat(doc)
    return isinstance(prompt, str) and (text in prompt or json.dumps(text)[1:-1] in prompt)


def score_chat_sample(sample: dict, doc: dict) -> tuple[str | None, dict | None]:
    """(problem, metrics): the problem names why the reply is refused (None if none); the metrics are
    recomputed from the logged reply, as lm-eval computes them (exact match of the first line)."""
    resps, filtered = sample.get("resps"), sample.get("filtered_resps")
    if not (isinstance(resps, list) and len(resps) == 1 and isinstance(resps[0], list) and len(resps[0]) == 1
            and isinstance(resps[0][0], str)):
        return "expected one generated reply", None
    kept = first_line(resps[0][0])
    if filtered not in (kept, [kept]):
        return "filtered_resps is not the first line of the reply", None
    return None, {"exact_match": 1.0 if kept == doc["answer"] else 0.0}
