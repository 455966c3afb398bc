"""ood_icl: out-of-distribution in-context learning benchmark.

Stages, one direction only: ``ood_icl.generators`` (episodes) -> ``ood_icl.dataset``
(rows, parquet repo) -> ``ood_icl.tasks`` (the lm-eval loader) -> fine-tuning ->
verification -> leaderboard.
"""

__version__ = "0.1.0"
PUBLISHED_SEED = 2026
"""The seed of the published dataset and the lm-eval tasks' default."""
