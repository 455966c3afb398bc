"""Argument types shared by every ``ood-icl`` subcommand: one line, exit 2, on bad input."""

from __future__ import annotations

import argparse


class DefaultsHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (unless its help already names one, or there is none) and keeps
    the description's and the epilog's line breaks (the examples)."""

    def _get_help_string(self, action):
        text = (action.help or "").strip()
        default = action.default
        if ("default" in text or default in (None, False, argparse.SUPPRESS) or not action.option_strings):
            return text
        shown = str(",".join(map(str, default)) if isinstance(default, (list, tuple)) else default).replace("%", "%%")
        return f"{text} (default: {shown})" if text else f"(default: {shown})"


class OneLineParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        if kwargs.get("help") is None and kwargs.get("default") not in (None, False) and args and \
                str(args[0]).startswith("-"):
            kwargs["help"] = "(default: %(default)s)"  # argparse shows nothing for an option without help
        return super().add_argument(*args, **kwargs)

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


def checked_names(check):
    """An argparse type: a non-empty ``names`` list, each name passed to ``check`` (e.g. get_family),
    whose ValueError (an unknown name with its close matches) becomes the one-line error."""
    def parse(text: str) -> list[str]:
        items = names(text)
        if not items:
            raise argparse.ArgumentTypeError("no name given")
        for item in items:
            try:
                check(item)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        return items
    return parse
