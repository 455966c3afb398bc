# lm-eval resolves `!function utils.X` next to the YAML files; the logic lives in the package.
from ood_icl.harness.tasks import LoaderError, doc_to_text, doc_to_text_chat, quiet_lm_eval  # noqa: F401
from ood_icl.harness.tasks import load as _load

quiet_lm_eval()  # lm-eval's per-task `max_seq_lengths` hint names another task's argument


def load(**kwargs):
    """lm-eval's custom_dataset hook: a bad argument or damaged data exits with one line."""
    try:
        return _load(**kwargs)
    except LoaderError as exc:
        raise SystemExit(f"ood-icl: {exc}") from None
