"""Replace a file so that a reader sees the old contents or the new, never a partial file.

The one way ion writes a file it owns (reports, baselines, cache entries): a temp file in
the target's folder, written, flushed and fsynced, then renamed over the target. The rename
is atomic on POSIX only within one file system, hence the same folder; the fsync makes the
new contents durable before the name points at them, so a crash cannot leave an empty file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def replace_file(
    target: Path, write: Callable[[BinaryIO], object], *, mode: int | None = None
) -> None:
    """Call `write` on a temp file next to `target`, then rename it over `target`.

    `mode` sets the new file's permission bits (mkstemp makes it 0600). Any failure removes
    the temp file and propagates (OSError for the file system's own errors).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
