"""The sections lm-eval's upstream task READMEs share (paper, citation, groups and tasks,
checklist), for task_yaml/README.md (``taskgen.render_readme``)."""

from __future__ import annotations

from ..dataset import CITATION
from ..suite import (CHAT_GROUP, CONTROLS_GROUP, GEN_GROUP, K0_GROUP, PUBLISHED_SEED, QUICK_GROUP, SUITE_GROUP,
                     family_group, variant_group)

UPSTREAM = """\
### Paper

Title: `ood-icl: Does in-context learning generalise to genuinely new tasks?` (no paper yet)

Procedurally generated in-context learning tasks: each `ood` task's rule is drawn fresh at
generation time from a space of at least 10^6 behaviours that excludes every familiar rule, so
no pretraining corpus can contain it; its `id` twin has the same format with a familiar rule,
and `renamed` the familiar rules in the ood surface. Without the demonstrations no method beats
chance (checked for every task by the ideal learner at k=0 and demo-blind heuristics).

Homepage: the ood-icl repository (README.md; the data card on the Hub: docs/publish.md)

### Citation

```bibtex
{citation}
```

### Groups, Tags, and Tasks

#### Groups

{groups}

#### Tags

None.

#### Tasks

{tasks}

Every task takes `--metadata` keys `seed` (default {seed}; any other regenerates fresh rules),
`difficulty` (1-3), `episodes`, `queries`, `data_dir` (a folder of `ood-icl generate`) or
`dataset` (a published repo: `ORG/NAME`), e.g. `--metadata '{{"seed": 1234}}'`. List them with
`lm_eval ls tasks --include_path task_yaml`.

### Checklist

For adding novel benchmarks/datasets to the library:
* [ ] Is the task an existing benchmark in the literature? (no: new tasks, generated)
  * [ ] Have you referenced the original paper that introduced the task? (no paper yet: the citation above)
  * [ ] If yes, does the original paper provide a reference implementation? If so, have you checked against the reference implementation and documented how to run such a test? (the reference is this package: `ood-icl verify` re-derives every logged doc and metric)

If other tasks on this dataset are already supported:
* [x] Is the "Main" variant of this task clearly denoted? (`ood_icl`)
* [x] Have you provided a short sentence in a README on what each new variant adds / evaluates?
* [ ] Have you noted which, if any, published evaluation setups are matched by this variant? (none published yet)
"""


def upstream_sections() -> str:
    """Paper, citation, groups and tasks, checklist: the sections of an upstream lm-eval task README."""
    groups = [(SUITE_GROUP, "the suite: every family x variant x k in {1, 4, 16}, multiple choice (acc, acc_norm)"),
              (family_group("<family>"), "one family's 9 tasks"),
              (variant_group("<variant>"), "one variant (id, renamed, ood) across families"),
              (K0_GROUP, "no demonstrations, 500 queries each: the validity floor (every task at chance)"),
              (QUICK_GROUP, "k in {0, 4, 16} on 3 episodes: the demo"),
              (GEN_GROUP, "the suite as generation, exact match"),
              (CHAT_GROUP, "the suite as generation for chat and API models: an instruction line, the reply's "
                           "first line, exact match; run with --apply_chat_template (docs/chat.md)"),
              (CONTROLS_GROUP, "the pairing controls at k=16: the demos' outputs deranged (every cell), or decoupled "
                               "from their inputs (the renamed and ood cells without the pairing constraint)")]
    tasks = [("ood_icl_<family>_<variant>_k<k>", "multiple choice over the query's outputs under candidate rules"),
             ("ood_icl_<family>_<variant>_k<k>_gen", "the same, generated, exact match"),
             ("ood_icl_<family>_<variant>_k<k>_chat", "the same for chat models (instruction, first-line filter)"),
             ("ood_icl_<family>_<variant>_k16_shuffled", "the pairing control, outputs deranged"),
             ("ood_icl_<family>_<variant>_k16_decoupled", "the pairing control, each demo input beside the gold's "
                                                          "output on a fresh input (where exact)"),
             ("ood_icl_quick_<family>_<variant>_k<k>", "the demo group's copies (3 episodes)")]
    return UPSTREAM.format(citation=CITATION, seed=PUBLISHED_SEED,
                           groups="\n".join(f"* `{n}`: {d}" for n, d in groups),
                           tasks="\n".join(f"* `{n}`: {d}" for n, d in tasks))
