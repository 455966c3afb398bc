"""The chat protocol (``ood_icl_chat``, ``..._k<k>_chat``) for verify: what a logged sample must be.

lm-eval logs, per doc, ``resps`` (the raw reply), ``filtered_resps`` (after the task's filter
``first_line``: lm-eval's regex filter then take_first) and ``arguments`` (the prompt as the
model got it: with ``--apply_chat_template`` the chat-templated string, for API models the JSON
list of messages).  The template depends on the model, so the prompt is checked by containment:
the chat doc text (instruction line, demos, query) must appear in it, JSON-escaped for API models.
"""

from __future__ import annotations

import json
import re

from ..harness.tasks import doc_to_text_chat
from ..harness.upstream import CHAT_GROUP

CHAT_SUFFIX = "_chat"
CHAT_FILTER = "first_line"
CHAT_METRICS = ("exact_match",)
FIRST_LINE = re.compile(r"\S(?:.*\S)?")
"""The filter's pattern (harness.taskgen._CHAT): the first non-empty line, stripped."""

__all__ = ["CHAT_FILTER", "CHAT_GROUP", "CHAT_METRICS", "CHAT_SUFFIX", "first_line", "is_chat_task",
           "prompt_holds_doc", "score_chat_sample"]


def is_chat_task(name: str) -> bool:
    return isinstance(name, str) and name.startswith("ood_icl_") and name.endswith(CHAT_SUFFIX)


def first_line(reply) -> str:
    """What lm-eval's ``first_line`` filter keeps of a reply (fallback: "")."""
    found = FIRST_LINE.findall(reply if isinstance(reply, str) else "")
    return found[0].strip() if found else ""


def prompt_holds_doc(prompt, doc: dict) -> bool:
    """The logged prompt carries this doc's chat text (raw, or JSON-escaped in an API's messages)."""
    if isinstance(prompt, (list, tuple)):  # lm-eval logs an API model's request as [messages JSON]
        return any(prompt_holds_doc(p, doc) for p in prompt)
    text = doc_to_text_chat(doc)
    return isinstance(prompt, str) and (text in prompt or json.dumps(text)[1:-1] in prompt)


def score_chat_sample(sample: dict, doc: dict) -> tuple[str | None, dict | None]:
    """(problem, metrics): the problem names why the sample is refused (None if none); the metrics are
    recomputed from the logged reply, as lm-eval computes them."""
    if sample.get("filter") != CHAT_FILTER:
        return f"filter {sample.get('filter')!r}, official {CHAT_FILTER!r}", None
    resps, filtered = sample.get("resps"), sample.get("filtered_resps")
    if not (isinstance(resps, list) and len(resps) == 1 and isinstance(resps[0], list) and len(resps[0]) == 1
            and isinstance(resps[0][0], str)):
        return "expected one generated reply", None
    kept = first_line(resps[0][0])
    if filtered not in (kept, [kept]):
        return "filtered_resps is not the first line of the reply", None
    if sample.get("target") != doc["answer"]:
        return "target is not the doc's answer", None
    return None, {"exact_match": 1.0 if kept == doc["answer"] else 0.0}
