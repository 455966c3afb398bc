"""The matched fine-tuning baseline: the same episodes and demos as in-context learning, learned by gradient descent.

``ood-icl finetune`` (``cli``); the run's configuration (``config``), the protocol's fixed parts
(``recipe``), the engine (``learner``, ``train``), sharding and resuming (``run``, ``state``),
lm-eval's schema (``results``), the recipe sweep (``sweep``).
"""
