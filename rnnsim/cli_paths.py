"""What the command line checks before any work: that an output path can be written
(``check_writable``: bad input, an InputError naming the option, status 1) and that a figure
can be drawn at all (``check_figure_path``: without matplotlib it is a command this
installation lacks, a :class:`UsageError`, status 2). Used by ``rnnsim.cli`` and by every
workflow's own command line, so that each refuses in one line before it starts."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .errors import InputError


class UsageError(Exception):
    """A wrong command line, or a command this installation lacks (exit status 2)."""


def check_writable(path: str, option: str) -> None:
    """Fail before any work when ``path`` cannot be created (InputError naming the option)."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise InputError(f"{option} {path!r}: is a directory; give a file name")
    if not parent.is_dir():
        raise InputError(f"{option} {path!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{option} {path!r}: directory {str(parent)!r} is not writable")


def check_figure_path(path: str, option: str) -> None:
    """:func:`check_writable`, and matplotlib importable: a figure option in an installation
    without it is a command this installation lacks (status 2), refused before any work."""
    check_writable(path, option)
    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError(f"{option} {path!r}: drawing figures needs matplotlib, which this installation lacks "
                          "(pip install 'rnnsim[plot]')")
