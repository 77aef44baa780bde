"""Where the shipped templates and baselines live, in a wheel and in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    # A wheel carries the folder inside the package (pyproject force-include); a source
    # checkout or an editable install has it at the top of the repository.
    packaged = _PACKAGE / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


def templates_dir() -> Path:
    """The folder of Jinja templates that every renderer reads."""
    return _locate("templates")


def baselines_dir() -> Path:
    """The baselines shipped with ion (the working directory's `baselines/` comes first)."""
    return _locate("baselines")
