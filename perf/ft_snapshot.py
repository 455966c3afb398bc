"""The first N episodes of a fine-tuning run, finished or still going, as a run of its own.

python perf/ft_snapshot.py RUN OUT --episodes N

RUN: the run's ``--output-path``; OUT: a new folder.  The unit files of episodes 0 .. N-1 of every
task and budget are copied and the results written (``finetune.run.snapshot``): nothing is trained,
and the files equal those of the same command with ``--episodes N`` (an episode's units depend on
the episode alone).  Runs go episode-major, so a run stopped part-way can be looked at this way:
``ood-icl verify --finetune OUT --allow-small`` and ``perf/equivalence_study.py`` read OUT.
Exit 2 with one line when RUN does not hold those units.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ood_icl._args import OneLineParser, pos_int
from ood_icl.finetune.run import snapshot
from ood_icl.finetune.state import ConfigMismatch


def main() -> int:
    ap = OneLineParser(prog="ft_snapshot.py", description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--episodes", type=pos_int, required=True)
    args = ap.parse_args()
    try:
        print(snapshot(args.run, args.out, args.episodes))
    except (ConfigMismatch, ValueError) as exc:
        print(f"ft_snapshot.py: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
