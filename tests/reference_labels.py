"""The labelling code as it was before it was vectorised, kept verbatim as the reference the fast code must equal
(tests/test_labels_equal.py) and be timed against (scripts/bench_labels.py).

Only the names changed (``*_reference``; ``self`` is the Vocab passed in). Do not edit the bodies.
"""
from __future__ import annotations

import numpy as np

from lstm_viz.core.errors import InputError
from lstm_viz.core.vocab import EOS, Encoded

_PREFIXES = {"r", "u", "b", "f", "br", "rb", "fr", "rf"}  # Python string prefixes, lower-cased


def _opens_string_reference(text: str, i: int) -> bool:
    """Whether the quote mark at ``i`` opens a string: a ' right after a word is an apostrophe (don't), unless
    that word is a string prefix (f'...', rb'...')."""
    if text[i] != "'" or i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"):
        return True
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    return text[j:i].lower() in _PREFIXES


def text_labels_reference(text: str) -> dict[str, np.ndarray]:
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
        elif c in "'\"" and _opens_string_reference(text, i):
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


def token_spans_reference(text: str, tokens) -> np.ndarray:
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


def tokenize_reference(self, text: str) -> list[str]:
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

def encode_reference(self, text: str) -> Encoded:
    tokens = tokenize_reference(self, text)
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
