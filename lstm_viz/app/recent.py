"""The recent checkpoints, in the window's settings: their paths, a label that tells same-named files apart,
and the answers given when each was opened (its vocab file, which of several LSTMs), so that opening it
again from the menu does not ask again. Whether to trust a pickled file is always asked again."""
from __future__ import annotations

import json
from pathlib import Path

MAX_RECENT = 8
REMEMBERED = ("vocab", "module")  # the open options kept per file


class RecentFiles:
    def __init__(self, settings):
        self.settings = settings

    def paths(self) -> list[str]:
        value = self.settings.value("recent/checkpoints", "", type=str)
        return [p for p in value.split("\n") if p]

    def choices(self, path) -> dict:
        """The vocab / module chosen the last time ``path`` was opened (only those whose files still exist)."""
        out = dict(self._all_choices().get(str(Path(path).resolve()), {}))
        if "vocab" in out and not Path(out["vocab"]).exists():
            del out["vocab"]
        return out

    def add(self, path, options: dict) -> None:
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.paths() if p != path]
        files = files[:MAX_RECENT]
        self.settings.setValue("recent/checkpoints", "\n".join(files))
        kept = {k: str(Path(v).resolve()) if k == "vocab" else str(v) for k, v in options.items()
                if k in REMEMBERED and v}
        choices = {p: c for p, c in self._all_choices().items() if p in files}
        if kept:
            choices[path] = kept
        else:
            choices.pop(path, None)
        self.settings.setValue("recent/choices", json.dumps(choices))

    def _all_choices(self) -> dict:
        try:
            value = json.loads(self.settings.value("recent/choices", "{}", type=str) or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def labels(paths: list[str]) -> list[str]:
    """Menu labels: the file name, with as many parent folders as it takes to tell equal names apart."""
    parts = [Path(p).parts for p in paths]
    depth = [1] * len(paths)
    while True:
        shown = ["/".join(pp[-d:]) for pp, d in zip(parts, depth)]
        clash = {s for s in shown if shown.count(s) > 1}
        grow = [k for k, s in enumerate(shown) if s in clash and depth[k] < len(parts[k])]
        if not grow:
            return shown
        for k in grow:
            depth[k] += 1
