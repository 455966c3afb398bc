"""Argument types shared by every ``ood-icl`` subcommand: one line, exit 2, on bad input."""

from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints the whole usage too)
        self.exit(2, f"{self.prog}: error: {message}\n")


def nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def pos_int(text: str) -> int:
    value = nonneg_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def names(text: str) -> list[str]:
    """A comma- or space-separated list."""
    return [t for t in text.replace(",", " ").split() if t]
