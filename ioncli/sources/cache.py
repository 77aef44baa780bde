"""The on-disk cache of Cloud Monitoring query results, refreshed incrementally.

One file per query: the key is a hash of the project, the full filter, the aggregation and
the step, so two catalog entries that share a query share its cache. A file holds one
contiguous run of grid points. Asking for [S, E) when [S0, E0) is cached fetches only
[S, S0) and [E0, E): a second pull of the same week asks Cloud Monitoring only for what is
new. A request that does not touch the cached run replaces it (the cache never stitches
over a hole it has not seen).

Location: $ION_CACHE_DIR, else ~/.cache/ion. Files are written through a temp file and a
rename, so a crash never leaves a half-written entry; an unreadable entry is ignored and
rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ioncli.atomic import replace_file
from ioncli.sources.grid import Grid

if TYPE_CHECKING:
    from ioncli.sources.catalog import GcpQuery

CACHE_VERSION = 1


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get("ION_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "ion"


class QueryCache:
    """Grid results of Cloud Monitoring queries under one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "gcp"

    def key(self, project: str, text: str, query: GcpQuery, step: int) -> str:
        ident = json.dumps(
            {
                "v": CACHE_VERSION,
                "project": project,
                "filter": text,
                "aligner": query.aligner,
                "reducer": query.reducer,
                "group_by": list(query.group_by_fields()),
                "percentile": query.percentile,
                "step": step,
                # Only when set, so the files cached before this key existed stay valid.
                **({"below": query.below} if query.below else {}),
            },
            sort_keys=True,
        )
        return hashlib.sha256(ident.encode()).hexdigest()[:32]

    def get_or_fetch(
        self,
        project: str,
        text: str,
        query: GcpQuery,
        *,
        start: int,
        end: int,
        step: int,
        fetch: Callable[[int, int], Grid],
    ) -> tuple[Grid, bool]:
        """The grid for [start, end); True when no call to Cloud Monitoring was needed."""
        key = self.key(project, text, query, step)
        cached = self._load(key, step)
        if cached is None or cached.end < start or cached.start > end:
            grid = fetch(start, end)
            self._store(key, grid)
            return grid, False
        parts = [cached]
        if start < cached.start:
            parts.insert(0, fetch(start, cached.start))
        if end > cached.end:
            parts.append(fetch(cached.end, end))
        merged = _concat(parts) if len(parts) > 1 else cached
        if len(parts) > 1:
            self._store(key, merged)
        return _slice(merged, start, end), len(parts) == 1

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def _load(self, key: str, step: int) -> Grid | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                start, stored_step, n = (int(x) for x in data["shape"])
                labels = json.loads(str(data["labels"]))
                values = data["values"]
        except (OSError, ValueError, KeyError):
            return None
        if stored_step != step or values.shape != (len(labels), n):
            return None
        grid = Grid(start, step, n)
        grid.values = {tuple(k): values[i].copy() for i, k in enumerate(labels)}
        return grid

    def _store(self, key: str, grid: Grid) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        labels = list(grid.values)
        values = np.vstack([grid.values[k] for k in labels]) if labels else np.zeros((0, grid.n))
        shape = np.array([grid.start, grid.step, grid.n], dtype=np.int64)
        names = np.array(json.dumps([list(k) for k in labels]))
        replace_file(
            self._path(key), lambda fh: np.savez(fh, shape=shape, labels=names, values=values)
        )


def _concat(parts: list[Grid]) -> Grid:
    start, step = parts[0].start, parts[0].step
    n = (parts[-1].end - start) // step
    out = Grid(start, step, n)
    for part in parts:
        offset = (part.start - start) // step
        for key, values in part.values.items():
            column = out.values.get(key)
            if column is None:
                column = out.values[key] = np.full(n, np.nan)
            column[offset : offset + part.n] = values
    return out


def _slice(grid: Grid, start: int, end: int) -> Grid:
    lo = (start - grid.start) // grid.step
    hi = (end - grid.start) // grid.step
    out = Grid(start, grid.step, hi - lo)
    out.values = {k: v[lo:hi].copy() for k, v in grid.values.items()}
    return out
