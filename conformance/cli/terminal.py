"""Terminal manners shared by the commands: when to colour, and a progress line that
clears itself.

Colour follows the conventions users already set for other tools: ``--color``
wins; under ``auto``, a non-empty ``NO_COLOR`` turns colour off and a non-empty
``FORCE_COLOR`` turns it on for streams that are not terminals (CI logs), the same
order pytest uses; otherwise colour only on a terminal.
"""

from __future__ import annotations

import os
from enum import Enum
from typing import TextIO

import click


class ColorMode(str, Enum):
    """The ``--color`` choice."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


#: The ``--color`` option, identical for every command that colours its output.
color_option = click.option(
    "--color",
    "color_mode",
    type=click.Choice([m.value for m in ColorMode]),
    default=ColorMode.AUTO.value,
    show_default=True,
    help="Colour the output: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR "
    "forces it), always or never.",
)

_FALSY = frozenset({"0", "false", "no", "off"})


def use_color(mode: ColorMode | str, stream: TextIO | None) -> bool:
    """Whether to colour what is written to ``stream`` (``None``: a file named by
    ``-o``, which is data and is coloured only under ``always``)."""
    mode = ColorMode(mode)
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER or stream is None:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force:
        return force.strip().lower() not in _FALSY
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


class ProgressLine:
    """``label done/total`` redrawn in place on a terminal, erased when done, so the
    report and summary that follow are all that stays on screen."""

    def __init__(self, stream: TextIO, total: int, label: str) -> None:
        self._stream = stream
        self._total = total
        self._label = label
        self._done = 0

    def __enter__(self) -> ProgressLine:
        self._draw()
        return self

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done and redraw."""
        self._done = min(self._total, self._done + n)
        self._draw()

    def _draw(self) -> None:
        width = len(str(self._total))
        percent = 100 * self._done // self._total if self._total else 100
        self._stream.write(
            f"\r\x1b[2K{self._label} {self._done:>{width}}/{self._total} ({percent}%)"
        )
        self._stream.flush()

    def __exit__(self, *exc: object) -> None:
        self._stream.write("\r\x1b[2K")
        self._stream.flush()
