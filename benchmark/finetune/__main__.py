"""``python -m ood_icl.finetune ARGS`` (and ``accelerate launch ... -m ood_icl.finetune ARGS``)."""

import sys

from .learner import pin_cpu_numerics

pin_cpu_numerics()  # before anything computes: the CPU code paths of a fine-tuning process
from .cli import main  # noqa: E402

sys.exit(main())
