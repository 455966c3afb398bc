"""Shared by test_finetune and test_finetune_cuda: a fine-tuning CLI run killed mid-way."""

from __future__ import annotations

import os
import subprocess
import sys

ENV = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1")

_KILLER = ("import os, signal, sys\n"
           "from ood_icl.finetune import state as fr\n"
           "save, n = fr.RunState.save, []\n"
           "def dying_save(self, *a):\n"
           "    save(self, *a); n.append(1)\n"
           "    if len(n) == int(os.environ['OOD_ICL_KILL_AFTER']): os.kill(os.getpid(), signal.SIGKILL)\n"
           "fr.RunState.save = dying_save\n"
           "from ood_icl.finetune.cli import main\n"
           "sys.exit(main(sys.argv[1:]))\n")


def run_killed_after(units: int, args: list[str]) -> subprocess.CompletedProcess:
    """``ood-icl finetune ARGS`` in a subprocess that SIGKILLs itself right after saving its
    ``units``-th unit file (mid-episode when budgets > 1)."""
    return subprocess.run([sys.executable, "-c", _KILLER, *args], env=dict(ENV, OOD_ICL_KILL_AFTER=str(units)),
                          capture_output=True, text=True)
