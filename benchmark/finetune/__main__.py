"""``python -m ood_icl.finetune ARGS`` (and ``accelerate launch ... -m ood_icl.finetune ARGS``)."""

import sys

from .cli import main

sys.exit(main())
