"""Vocabularies: character-level by default, word-level when the tokens are words.

Unknown tokens map to an explicit unknown id and are reported by position, never dropped.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np

from .errors import InputError

UNK = "<unk>"
EOS = "<eos>"
_CHUNK = 1 << 16  # tokens handled by one C call: a long one would hold up the other threads (the GUI)
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
    _char_lookup: tuple | None = field(init=False, repr=False, compare=False, default=None)  # see _char_ids

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
    def from_mapping(cls, mapping, level: str | None = None) -> "Vocab":
        """A vocab from ``{token: id}`` (``word_to_ix``, ``stoi``, a captioning ``WORDMAP.json``) or ``{id: token}``
        (``itos``; JSON spells the ids as strings). Bytes tokens (flair's ``item2idx``) are read as UTF-8.
        The ids must be exactly 0 .. N-1; InputError otherwise."""
        items = [(_as_token(k), v) for k, v in mapping.items()]
        if not items:
            raise InputError("the vocab mapping is empty")
        if all(isinstance(t, str) and _is_id(i) for t, i in items):
            pairs = [(int(i), t) for t, i in items]  # token -> id
        elif all(_is_id(k) and isinstance(_as_token(v), str) for k, v in mapping.items()):
            pairs = [(int(k), _as_token(v)) for k, v in mapping.items()]  # id -> token
        else:
            raise InputError("the vocab mapping is neither token -> id nor id -> token")
        ids = sorted(i for i, _ in pairs)
        if ids != list(range(len(pairs))):
            repeated = sorted(i for i in set(ids) if ids.count(i) > 1)
            missing = sorted(set(range(len(pairs))) - set(ids))
            what = f"id {repeated[0]} is repeated" if repeated else f"id {missing[0]} is missing"
            raise InputError(f"the vocab's ids are not 0 .. {len(pairs) - 1} ({what})")
        return cls.from_tokens([t for _, t in sorted(pairs)], level)

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        """A JSON list of tokens, a JSON object ``{"tokens": [...], "level": ...}``, a JSON object token -> id or
        id -> token, or one token per line."""
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
            if isinstance(obj, dict) and isinstance(obj.get("tokens"), list):
                return cls.from_tokens(obj["tokens"], obj.get("level"))
            if isinstance(obj, dict):
                return cls.from_mapping(obj)
            if isinstance(obj, list) and all(isinstance(t, str) for t in obj):
                return cls.from_tokens(obj)
            raise InputError(f"{path}: vocab JSON must be a list of tokens or a token -> id object")
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
            tokens: list[str] = []
            for s in range(0, len(text), _CHUNK):  # in pieces: one call over a long text holds up other threads
                tokens += text[s:s + _CHUNK]
            return tokens
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
        if self.level == "char":
            ids = self._char_ids(text)
        else:
            get = self._index.get
            ids = np.concatenate([np.fromiter(map(get, tokens[s:s + _CHUNK], repeat(-1)), np.int64)
                                  for s in range(0, len(tokens), _CHUNK)])  # (T,) -1: unknown
        missing = np.flatnonzero(ids < 0)  # (U,)
        unknown: list[int] = []
        for s in range(0, len(missing), _CHUNK):
            unknown += missing[s:s + _CHUNK].tolist()
        unk_id = self.unk_id
        if unknown and unk_id is None:
            bad = sorted({tokens[i] for i in unknown})
            shown = ", ".join(repr(t) for t in bad[:5]) + (" ..." if len(bad) > 5 else "")
            raise InputError(f"the text has {len(unknown)} tokens not in the vocab ({shown}) "
                             "and the vocab has no unknown token")
        if unknown:
            ids[missing] = unk_id
        return Encoded(tuple(tokens), ids, tuple(unknown))

    def _char_ids(self, text: str) -> np.ndarray:
        """(len(text),) int64 id of every character, -1 for those not in the vocab: looked up by code point."""
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # (n,)
        if self._char_lookup is None:
            object.__setattr__(self, "_char_lookup", self._make_char_lookup())
        table, points, ids = self._char_lookup
        if table is not None:  # its last entry answers every code point past the vocab's
            return table[np.minimum(codes, len(table) - 1)]
        if not len(points):
            return np.full(len(codes), -1, np.int64)
        at = np.minimum(np.searchsorted(points, codes), len(points) - 1)  # (n,)
        return np.where(points[at] == codes, ids[at], -1)

    def _make_char_lookup(self) -> tuple:
        """(table by code point or None when too large, sorted code points (V,), their ids (V,)) of the vocab's
        one-character tokens."""
        pairs = sorted((ord(t), i) for i, t in enumerate(self.tokens) if len(t) == 1)
        points = np.array([p for p, _ in pairs], dtype=np.int64)  # (V,)
        ids = np.array([i for _, i in pairs], dtype=np.int64)  # (V,)
        top = int(points[-1]) + 1 if len(points) else 0
        if not len(points) or top > 1 << 17:
            return None, points, ids
        table = np.full(top + 1, -1, np.int64)
        table[points] = ids
        return table, points, ids

    def decode(self, ids) -> list[str]:
        return [self.tokens[int(i)] for i in ids]


def _as_token(x):
    if isinstance(x, bytes):
        try:
            return x.decode("utf-8")
        except UnicodeDecodeError:
            return x.decode("latin-1")  # flair stores characters as UTF-8 bytes; never fails for any byte
    return x


def _is_id(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, int):
        return x >= 0
    return isinstance(x, str) and x.isdigit() and x.isascii()


def display_token(token: str) -> str:
    """A token as drawn on screen: whitespace made visible."""
    return token.replace(" ", "\u2423").replace("\n", "\u21b5").replace("\t", "\u21e5").replace("\r", "\u240d")
