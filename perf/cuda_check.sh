#!/usr/bin/env bash
# The checks that need a CUDA GPU (CI has none), from the repo root with ood_icl installed:
#   bash perf/cuda_check.sh [MODEL]        (MODEL: default `ood-icl model`)
# 1. tests/test_finetune_cuda.py: --device cuda agrees with the CPU run (LoRA and full), learns
#    in bf16, and a killed run resumes byte-identical on the GPU.
# 2. perf/finetune_step.py --device cuda: the step against a raw forward+backward, and the time
#    per episode at the default budgets and at 1..256, for LoRA and full fine-tuning.
# 3. perf/finetune_profile.py --device cuda: host (CPU) time against GPU time in a LoRA step.
# PYTHON: the interpreter that has torch and ood_icl (default python3).
set -euo pipefail
PY=${PYTHON:-python3}
MODEL=${1:-$(ood-icl model)}
"$PY" -m pytest -q -p no:cacheprovider tests/test_finetune_cuda.py
for method in lora full; do
  "$PY" perf/finetune_step.py --device cuda --model "$MODEL" --method "$method" --budgets 1,4,16 --episodes 5
done
"$PY" perf/finetune_step.py --device cuda --model "$MODEL" --method lora --budgets 1,4,16,64,256 --episodes 3
"$PY" perf/finetune_profile.py --device cuda --model "$MODEL"
