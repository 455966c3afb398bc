"""ood_icl: out-of-distribution in-context learning benchmark.

Stages, imports one way only (docs/architecture.md)::

    ood_icl.generators  episodes: rule spaces, familiar twins, the ideal learner (stdlib only)
    ood_icl.suite       versions, shots, sizes, group and task names
    ood_icl.dataset     episodes -> rows -> a parquet dataset folder (ideal, validity beside it)
    ood_icl.harness     the lm-eval side: the loader, the task YAML writer, the results table
    ood_icl.finetune    the matched fine-tuning baseline, written in lm-eval's schema
    ood_icl.verify      a run checked against the regenerated data
    ood_icl.leaderboard records -> README table and page
    ood_icl.cli         the ``ood-icl`` command
"""

__version__ = "0.1.0"
