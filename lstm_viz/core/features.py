"""Per-token features of a text, to search for the units that follow them (lstm_viz.core.search).

Features are defined on the characters of the text (``text_labels``) and carried to the tokens through each
token's character offsets (``token_spans``), so character and word vocabularies share one definition:

- state after reading (``in_string``, ``in_comment``, ``bracket_depth``, ``indent``, ``line_pos``): the value at
  the token's last character;
- where a token starts (``word_start``, ``after_newline``): the value at its first character;
- character classes (``upper``, ``digit``) and regex matches: 1 when any character of the token has it.

The word tokenizer's ``<eos>`` token stands on the newline that ends its line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .vocab import EOS


@dataclass(frozen=True)
class FeatureInfo:
    label: str  # how a person says it, e.g. "bracket depth"
    take: str  # "last", "first" or "any" character of the token
    binary: bool  # yes/no (searched by AUC too) rather than a count


FEATURES: dict[str, FeatureInfo] = {
    "in_string": FeatureInfo("inside quotes", "last", True),
    "in_comment": FeatureInfo("inside a comment or docstring", "last", True),
    "bracket_depth": FeatureInfo("bracket depth", "last", False),
    "indent": FeatureInfo("indentation", "last", False),
    "line_pos": FeatureInfo("position in the line", "last", False),
    "word_start": FeatureInfo("start of a word", "first", True),
    "after_newline": FeatureInfo("after a newline", "first", True),
    "upper": FeatureInfo("upper case", "any", True),
    "digit": FeatureInfo("digit", "any", True),
}
LOOKAHEAD = 4  # characters past a token's end that can change its label (text_labels reads 2 ahead at most)
_PREFIXES = {"r", "u", "b", "f", "br", "rb", "fr", "rf"}  # Python string prefixes, lower-cased


def _opens_string(text: str, i: int) -> bool:
    """Whether the quote mark at ``i`` opens a string: a ' right after a word is an apostrophe (don't), unless
    that word is a string prefix (f'...', rb'...')."""
    if text[i] != "'" or i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"):
        return True
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    return text[j:i].lower() in _PREFIXES


def text_labels(text: str) -> dict[str, np.ndarray]:
    """Per-character features of a (Python-like) text, each (len(text),) int64, describing the state after
    the character:

    ``in_string`` 1 inside a '...' / "..." / triple-quoted string (quote marks opening: 1, closing: 0);
    ``in_comment`` 1 from # to the end of the line (outside strings) and inside a docstring (a triple-quoted
    string that opens a line); ``bracket_depth`` open (, [, { outside strings and comments; ``indent`` leading
    spaces of the current line; ``line_pos`` characters since the last newline; ``word_start`` 1 on the first
    character of a word (letters, digits, _); ``after_newline`` 1 right after a newline; ``upper``, ``digit``
    the character's class."""
    n = len(text)
    in_string: list[int] = []
    in_comment: list[int] = []
    depth: list[int] = []
    indent: list[int] = []
    line_pos: list[int] = []
    quote = None  # the open string's delimiter
    docstring = False  # the open string is a docstring
    comment = False
    d = 0
    pos = 0
    ind = 0
    leading = True
    i = 0
    while i < n:
        c = text[i]
        width = 1
        line_start = leading  # only whitespace before this character on its line
        if c == "\n":
            comment, pos, ind, leading = False, 0, 0, True
        else:
            pos += 1
            if leading and c == " ":
                ind += 1
            elif not c.isspace():
                leading = False
        if quote is not None:
            if c == "\\":
                width = 2
            elif text.startswith(quote, i):
                width = len(quote)
                quote, docstring = None, False
            elif c == "\n" and len(quote) == 1:
                quote = None
        elif comment:
            pass
        elif c == "#":
            comment = True
        elif c in "'\"" and _opens_string(text, i):
            quote = c * 3 if text.startswith(c * 3, i) else c
            docstring = len(quote) == 3 and line_start
            width = len(quote)
        elif c in "([{":
            d += 1
        elif c in ")]}":
            d = max(0, d - 1)
        end = min(i + width, n)
        in_string += [quote is not None] * (end - i)
        in_comment += [comment or docstring] * (end - i)
        depth += [d] * (end - i)
        indent += [ind] * (end - i)
        line_pos += range(pos, pos + end - i)
        pos += width - 1
        i += width
    # a closing delimiter consumed in one go is all "outside", an opening one all "inside"
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if n else np.zeros(0, np.uint32)
    word = np.fromiter((ch.isalnum() or ch == "_" for ch in text), bool, n)
    word_start = word & ~np.r_[False, word[:-1]]
    after_newline = np.r_[False, chars[:-1] == ord("\n")] if n else np.zeros(0, bool)
    as_array = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
    return {"in_string": as_array(in_string), "in_comment": as_array(in_comment),
            "bracket_depth": as_array(depth), "indent": as_array(indent), "line_pos": as_array(line_pos),
            "word_start": word_start.astype(np.int64),
            "after_newline": after_newline.astype(np.int64),
            "upper": np.fromiter((ch.isupper() for ch in text), bool, n).astype(np.int64),
            "digit": np.fromiter((ch.isdigit() for ch in text), bool, n).astype(np.int64)}


def token_spans(text: str, tokens) -> np.ndarray:
    """(T, 2) int64 character offsets [start, end) of each token in ``text``.

    Characters map one to one; words are found in order, skipping whitespace; ``<eos>`` is the newline that
    ends its line. InputError when the tokens were not read from this text."""
    tokens = list(tokens)
    if len(tokens) == len(text) and all(len(t) == 1 for t in tokens) and "".join(tokens) == text:
        starts = np.arange(len(text), dtype=np.int64)
        return np.stack([starts, starts + 1], axis=1)
    out = np.empty((len(tokens), 2), np.int64)
    pos = 0
    for k, tok in enumerate(tokens):
        if tok == EOS and not text.startswith(EOS, pos):
            j = text.find("\n", pos)
            if j < 0 or text[pos:j].strip():
                raise InputError(f"token {k} ({EOS}) does not stand at a line end of the text")
            out[k] = j, j + 1
            pos = j + 1
            continue
        if not text.startswith(tok, pos):
            j = pos
            while j < len(text) and text[j].isspace():
                j += 1
            if not tok or not text.startswith(tok, j):
                raise InputError(f"token {k} ({tok!r}) is not at character {pos} of the text: the tokens were "
                                 "not read from this text")
            pos = j
        out[k] = pos, pos + len(tok)
        pos += len(tok)
    return out


def _per_token(values: np.ndarray, spans: np.ndarray, take: str) -> np.ndarray:
    """Character values (n,) -> token values (T,)."""
    if take == "first":
        return values[spans[:, 0]]
    if take == "last":
        return values[spans[:, 1] - 1]
    counts = np.r_[0, np.cumsum(values != 0)]  # (n + 1,)
    return (counts[spans[:, 1]] > counts[spans[:, 0]]).astype(np.int64)


def token_features(text: str, tokens=None, names=None) -> dict[str, np.ndarray]:
    """Every built-in feature (or those in ``names``) per token, each (T,) int64. ``tokens``: as the trace read
    them (default: the characters of ``text``)."""
    names = list(FEATURES) if names is None else list(names)
    for name in names:
        if name not in FEATURES:
            raise InputError(f"unknown feature {name!r}; one of {', '.join(FEATURES)}")
    spans = token_spans(text, list(text) if tokens is None else tokens)
    end = int(spans[-1, 1]) if len(spans) else 0
    # Tokens that read only the start of the text (the app's first picture of a long one) need only the labels
    # of that start: a label looks back, and ahead at most two characters (a triple quote).
    labels = text_labels(text[:end + LOOKAHEAD])
    return {name: _per_token(labels[name], spans, FEATURES[name].take) for name in names}


def regex_feature(text: str, pattern: str, tokens=None) -> np.ndarray:
    """(T,) int64: 1 for the tokens that overlap a match of ``pattern`` in ``text`` (empty matches count for
    nothing). InputError for a pattern that does not compile."""
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise InputError(f"regex {pattern!r} does not compile: {e}") from None
    inside = np.zeros(len(text), np.int64)
    for m in rx.finditer(text):
        inside[m.start():m.end()] = 1
    spans = token_spans(text, list(text) if tokens is None else tokens)
    return _per_token(inside, spans, "any")
