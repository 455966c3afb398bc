"""Does a sharded fine-tuning run give each episode the result a single process gives it?

python perf/shard_equality.py SHARDED_DIR SINGLE_DIR

Compares the per-episode unit files of two ``ood-icl finetune`` output folders, e.g. the
2-process full run and a 1-process run of a few of its tasks and episodes (same seeds and
--threads): the training log and every response must be equal.  Exit 0 only if all are.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ood_icl.finetune.state import STATE_DIR


def main() -> int:
    sharded, single = (next(Path(p).glob(f"*/{STATE_DIR}/units")) for p in sys.argv[1:3])
    n = same = 0
    ranks = set()
    for f in sorted(single.rglob("e*.json")):
        x, y = json.loads(f.read_text()), json.loads((sharded / f.parent.name / f.name).read_text())
        ranks.add(tuple(y["process"]))
        n += 1
        same += (x["train"], x["responses"]) == (y["train"], y["responses"])
    print(f"{same}/{n} unit files equal (training log and every response); sharded run's processes: {sorted(ranks)}")
    return 0 if n and same == n else 1


if __name__ == "__main__":
    sys.exit(main())
