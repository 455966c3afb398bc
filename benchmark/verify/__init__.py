"""Verification: is an lm_eval output folder (or the fine-tuning baseline's) an honest, complete run of the suite?

``run.verify_run`` is the entry point; ``folder`` finds the run's files, ``config`` holds the
official task set, ``docs`` checks each logged doc, ``checks`` each task's and group's
figures; ``result`` holds what is found; ``cli`` is ``ood-icl verify``.
"""
