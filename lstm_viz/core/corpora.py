"""Training corpora that need no download: the user's text files, the Python standard library, and synthetic
texts with per-character ground truth.

Synthetic corpora are generated from a seed (numpy's PCG64, so the same seed gives the same text on every
machine) and carry ``labels`` (one int per character) describing the state a reader must keep after reading
that character:

- ``quotes``:    prose with quoted speech; 1 while a quote is open (the opening mark is 1, the closing 0).
- ``brackets``:  nested (), [] and {} with words between; the nesting depth after the character.
- ``long-copy``: each line ``K:<filler>=K`` repeats its key K after a long gap; the key's index in
                 ``LONG_COPY_KEYS`` from the key to its repeat, -1 on the newline.
"""
from __future__ import annotations

import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .textfile import read_text_file

CORPORA: dict[str, str] = {
    "python-stdlib": "the Python standard library's own source (.py files of the running interpreter)",
    "quotes": "synthetic prose with quoted speech; label 1 inside a quote",
    "brackets": "synthetic nested brackets with words; label: nesting depth",
    "long-copy": "synthetic lines whose first character is repeated after a long gap; label: that key",
}

DEFAULT_SIZE = {"python-stdlib": 3_000_000, "quotes": 200_000, "brackets": 200_000, "long-copy": 200_000}
LONG_COPY_KEYS = "ABCDEFGH"
_SKIP_DIRS = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}


@dataclass(frozen=True, eq=False)
class Corpus:
    name: str  # a built-in name, or the file name(s)
    text: str
    labels: np.ndarray | None  # (len(text),) int64 per character, or None
    files: tuple[str, ...] = ()  # the files that went in, in order (relative to the stdlib for python-stdlib)
    description: str = ""

    def __len__(self) -> int:
        return len(self.text)


def load_corpus(spec, seed: int = 0, size: int | None = None) -> Corpus:
    """A built-in corpus by name, or a path / list of paths of UTF-8 text files (concatenated in order).

    ``size``: characters to generate (synthetic), or the most characters to keep (files, python-stdlib)."""
    if size is not None and int(size) <= 0:
        raise InputError(f"corpus size must be a positive number of characters, not {size}")
    if isinstance(spec, str) and spec in CORPORA:
        if spec == "python-stdlib":
            return python_stdlib(size or DEFAULT_SIZE[spec])
        make = {"quotes": quotes, "brackets": brackets, "long-copy": long_copy}[spec]
        return make(seed=seed, size=size or DEFAULT_SIZE[spec])
    paths = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    if not paths:
        raise InputError("no corpus given: name text files or one of " + ", ".join(CORPORA))
    return from_files(paths, size)


def read_utf8(path: str | Path) -> str:
    path = Path(path)
    if not path.exists() and os.sep not in str(path):
        raise InputError(f"{path}: no such file (built-in corpora: {', '.join(CORPORA)})")
    return read_text_file(path)


def from_files(paths, size: int | None = None) -> Corpus:
    texts = []
    for p in paths:
        t = read_utf8(p)
        if not t:
            raise InputError(f"{p}: file is empty")
        texts.append(t)
    text = "".join(texts)
    if size is not None:
        text = text[: int(size)]
    names = tuple(str(p) for p in paths)
    name = Path(names[0]).name if len(names) == 1 else f"{Path(names[0]).name} + {len(names) - 1} more"
    return Corpus(name, text, None, names, f"{len(names)} text file(s), {len(text):,} characters")


def stdlib_files() -> list[Path]:
    """The standard library's .py files (no tests, no site-packages), sorted by relative path."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        found.extend(Path(dirpath, f) for f in filenames if f.endswith(".py"))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def python_stdlib(size: int = DEFAULT_SIZE["python-stdlib"]) -> Corpus:
    """Whole files of the stdlib, in sorted order, until ``size`` characters (the last file is cut)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    texts, files, total = [], [], 0
    for path in stdlib_files():
        try:
            t = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # a few files may be unreadable or in another encoding: leave them out
        if not t.strip():
            continue
        t = t[: size - total]
        texts.append(t)
        files.append(path.relative_to(root).as_posix())
        total += len(t)
        if total >= size:
            break
    text = "".join(texts)
    if not text:
        raise InputError(f"{root}: no Python source found in the standard library")
    return Corpus("python-stdlib", text, None, tuple(files),
                  f"Python {sysconfig.get_python_version()} standard library: {len(files)} files, "
                  f"{len(text):,} characters")


# -- synthetic corpora -------------------------------------------------------------------------------------
_PROSE = ("the a an old small dog cat man woman child house road river town day night tree stone bird light "
          "walked ran looked went came saw found took kept left under over near with from into by and then "
          "slowly quietly again later soon far").split()
_SPEECH = ("i you we my your me us is am are not do did will can must yes no oh please here now what why "
           "how where who know think want need tell come go stop wait listen look right sorry thanks").split()


def _words(rng: np.random.Generator, lexicon: list[str], lo: int, hi: int) -> str:
    return " ".join(lexicon[i] for i in rng.integers(0, len(lexicon), rng.integers(lo, hi + 1)))


def quotes(seed: int = 0, size: int = DEFAULT_SIZE["quotes"]) -> Corpus:
    """Sentences of narration, most with quoted speech in capitals: predicting the case of the next word
    needs to know whether a quote is open, so the quote state is worth remembering."""
    rng = np.random.default_rng(seed)
    parts: list[str] = []
    labels: list[np.ndarray] = []
    n = 0
    while n < size:
        pieces = [(_words(rng, _PROSE, 2, 6), 0)]
        if rng.random() < 0.6:
            speech = _words(rng, _SPEECH, 2, 12).upper()  # speech is shouted: the case needs the quote state
            pieces += [(" said, ", 0), ('"' + speech + rng.choice([".", "!", "?"]), 1), ('"', 0)]
            if rng.random() < 0.5:
                pieces.append((" " + _words(rng, _PROSE, 1, 4), 0))
        pieces.append((". " if rng.random() < 0.85 else ".\n", 0))
        for s, lab in pieces:
            parts.append(s)
            labels.append(np.full(len(s), lab, dtype=np.int64))
            n += len(s)
    text = "".join(parts)[:size]
    return Corpus("quotes", text, np.concatenate(labels)[:size], (),
                  "synthetic prose with quoted speech; label 1 while a quote is open")


def brackets(seed: int = 0, size: int = DEFAULT_SIZE["brackets"]) -> Corpus:
    """Random nested brackets (depth <= 6) with short words between; lines end at depth 0."""
    rng = np.random.default_rng(seed)
    pairs = {"(": ")", "[": "]", "{": "}"}
    opens = list(pairs)
    chars: list[str] = []
    depth_after: list[int] = []
    stack: list[str] = []
    while len(chars) < size:
        r = rng.random()
        if stack and (r < 0.3 or len(stack) >= 6):
            c = pairs[stack.pop()]
        elif r < 0.6:
            c = opens[rng.integers(0, 3)]
            stack.append(c)
        elif not stack and r < 0.7:
            c = "\n"
        else:
            c = " " + _PROSE[rng.integers(0, len(_PROSE))][: rng.integers(1, 5)]
        chars.append(c)
        depth_after.extend([len(stack)] * len(c))
    text = "".join(chars)[:size]
    return Corpus("brackets", text, np.array(depth_after[:size], dtype=np.int64), (),
                  "synthetic nested brackets with words; label: nesting depth after each character")


def long_copy(seed: int = 0, size: int = DEFAULT_SIZE["long-copy"], gap: tuple[int, int] = (20, 60)) -> Corpus:
    """Lines ``K:<filler of 20-60 lowercase letters and spaces>=K``: K must be remembered across the gap."""
    rng = np.random.default_rng(seed)
    filler = np.array(list("abcdefghijklmnopqrstuvwxyz     "))
    parts: list[str] = []
    labels: list[np.ndarray] = []
    n = 0
    while n < size:
        k = int(rng.integers(0, len(LONG_COPY_KEYS)))
        key = LONG_COPY_KEYS[k]
        line = key + ":" + "".join(filler[rng.integers(0, len(filler), rng.integers(gap[0], gap[1] + 1))]) \
            + "=" + key
        parts.append(line + "\n")
        labels.append(np.r_[np.full(len(line), k, dtype=np.int64), -1])
        n += len(line) + 1
    text = "".join(parts)[:size]
    return Corpus("long-copy", text, np.concatenate(labels)[:size], (),
                  f"synthetic lines whose key ({LONG_COPY_KEYS[0]}-{LONG_COPY_KEYS[-1]}) is repeated after "
                  f"{gap[0]}-{gap[1]} characters; label: the key's index")
