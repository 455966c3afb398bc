# lm-eval resolves `!function utils.X` next to the YAML files; the logic lives in the package.
from ood_icl.harness.tasks import doc_to_text, load  # noqa: F401
