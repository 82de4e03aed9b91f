"""Vocabularies: character-level by default, word-level when the tokens are words.

Unknown tokens map to an explicit unknown id and are reported by position, never dropped.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError

UNK = "<unk>"
EOS = "<eos>"
_SPECIAL = ("<unk>", "<eos>", "<pad>", "<s>", "</s>", "<bos>", "<sos>", "<mask>")


@dataclass(frozen=True)
class Encoded:
    """A text split into tokens and mapped to ids."""

    tokens: tuple[str, ...]  # as read from the text, one per timestep
    ids: np.ndarray  # (T,) int64
    unknown: tuple[int, ...]  # positions whose token is not in the vocab (mapped to the unknown id)


@dataclass(frozen=True)
class Vocab:
    tokens: tuple[str, ...]
    level: str = "char"  # "char": one token per character; "word": whitespace-separated words
    unk: str | None = UNK  # the token unknown input maps to; None when the vocab has none
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "tokens", tuple(self.tokens))
        if self.level not in ("char", "word"):
            raise InputError(f"vocab level must be 'char' or 'word', not {self.level!r}")
        index = {t: i for i, t in enumerate(self.tokens)}
        if len(index) != len(self.tokens):
            raise InputError("vocab has duplicate tokens")
        if self.unk is not None and self.unk not in index:
            object.__setattr__(self, "unk", None)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def unk_id(self) -> int | None:
        return None if self.unk is None else self._index[self.unk]

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        """A character vocab: the unknown token first, then every character of ``text`` in sorted order."""
        return cls((UNK, *sorted(set(text))), level="char", unk=UNK)

    @classmethod
    def from_tokens(cls, tokens, level: str | None = None) -> "Vocab":
        """A vocab from a list of tokens; the level is guessed when not given (most tokens longer than one
        character means words)."""
        tokens = [str(t) for t in tokens]
        if level is None:
            plain = [t for t in tokens if t not in _SPECIAL]
            level = "word" if plain and sum(len(t) > 1 for t in plain) > len(plain) / 2 else "char"
        unk = next((t for t in ("<unk>", "<UNK>", "[UNK]") if t in tokens), None)
        return cls(tuple(tokens), level=level, unk=unk)

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        """A JSON list of tokens, a JSON object ``{"tokens": [...], "level": ...}``, or one token per line."""
        try:
            return cls._load(Path(path))
        except InputError as e:
            msg = str(e)
            raise InputError(msg if msg.startswith(f"{path}: ") else f"{path}: {msg}") from None

    @classmethod
    def _load(cls, path: Path) -> "Vocab":
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise InputError(f"{path}: cannot read vocab file ({e.strerror or e})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: vocab file is not UTF-8 text") from None
        stripped = text.strip()
        if not stripped:
            raise InputError(f"{path}: vocab file is empty")
        if stripped[0] in "[{":
            try:
                obj = json.loads(stripped)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}: vocab file is not valid JSON ({e.msg}, line {e.lineno})") from None
            if isinstance(obj, dict):
                return cls.from_tokens(obj.get("tokens", []), obj.get("level"))
            if isinstance(obj, list):
                return cls.from_tokens(obj)
            raise InputError(f"{path}: vocab JSON must be a list of tokens")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        # One token per line. A line holding only "\\n" or "\\t" spells that whitespace token.
        tokens = [{"\\n": "\n", "\\t": "\t", "\\r": "\r"}.get(ln, ln) for ln in lines]
        return cls.from_tokens(tokens)

    def to_dict(self) -> dict:
        return {"tokens": list(self.tokens), "level": self.level, "unk": self.unk}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        return cls(tuple(d["tokens"]), level=d.get("level", "char"), unk=d.get("unk"))

    def tokenize(self, text: str) -> list[str]:
        if self.level == "char":
            return list(text)
        # word_language_model style: words split on whitespace, <eos> at every line end when the vocab has it
        eos = EOS in self._index
        out: list[str] = []
        lines = text.split("\n")
        for k, line in enumerate(lines):
            out.extend(line.split())
            if eos and k < len(lines) - 1:  # a line end
                out.append(EOS)
        return out

    def encode(self, text: str) -> Encoded:
        tokens = self.tokenize(text)
        if not tokens:
            raise InputError("the text is empty: nothing to analyse")
        ids = np.empty(len(tokens), dtype=np.int64)
        unknown = []
        unk_id = self.unk_id
        for i, t in enumerate(tokens):
            j = self._index.get(t)
            if j is None:
                unknown.append(i)
                j = -1 if unk_id is None else unk_id
            ids[i] = j
        if unknown and unk_id is None:
            bad = sorted({tokens[i] for i in unknown})
            shown = ", ".join(repr(t) for t in bad[:5]) + (" ..." if len(bad) > 5 else "")
            raise InputError(f"the text has {len(unknown)} tokens not in the vocab ({shown}) "
                             "and the vocab has no unknown token")
        return Encoded(tuple(tokens), ids, tuple(unknown))

    def decode(self, ids) -> list[str]:
        return [self.tokens[int(i)] for i in ids]


def display_token(token: str) -> str:
    """A token as drawn on screen: whitespace made visible."""
    return token.replace(" ", "\u2423").replace("\n", "\u21b5").replace("\t", "\u21e5").replace("\r", "\u240d")
