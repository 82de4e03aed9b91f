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
from array import array
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
    if text[i] != "'" or i == 0 or not _is_word(text[i - 1]):
        return True
    j = i - 1
    while j > 0 and i - j < 3 and _is_word(text[j - 1]):
        j -= 1
    # a word of 3 or more characters is no prefix: lower() never shortens a text
    return i - j < 3 and text[j:i].lower() in _PREFIXES


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# What ends a string's body: its quote mark (a triple one for a triple-quoted string), a newline for a one-quote
# string; a backslash takes the next character whatever it is (a newline too). Possessive: no backtracking.
_BODY = {q: re.compile(rf"[^\\{q[0]}{nl}]*+(?:(?:\\.{more})[^\\{q[0]}{nl}]*+)*+", re.DOTALL)
         for q, nl, more in [("'", "\n", ""), ('"', "\n", ""), ("'" * 3, "", "|'(?!'')"), ('"' * 3, "", '|"(?!"")')]}
_CODE_EVENT = re.compile("[#'\"]")  # what can change the state outside strings and comments
_QUOTES_AND_BACKSLASHES = re.compile(r"[\\'\"]*")
_WINDOW = 1 << 16  # characters one regex call reads at most: a long call would hold up the other threads
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_SPACES = re.compile(r"\s*")  # \s is exactly str.isspace
_SPACE, _WORD, _UPPER, _DIGIT, _OPEN, _CLOSE, _NEWLINE, _BLANK = 1, 2, 4, 8, 16, 32, 64, 128  # character classes


def _char_classes(text: str, codes: np.ndarray) -> np.ndarray:
    """(n,) uint8 bit flags (_SPACE | _WORD | ...) of every character, by Python's own str methods: looked up
    per distinct character, not per character."""
    def flags(ch: str) -> int:
        return (_SPACE * ch.isspace() | _WORD * _is_word(ch) | _UPPER * ch.isupper() | _DIGIT * ch.isdigit()
                | _OPEN * (ch in "([{") | _CLOSE * (ch in ")]}") | _NEWLINE * (ch == "\n") | _BLANK * (ch == " "))

    table = [flags(chr(c)) for c in range(128)]
    if text.isascii():
        return np.array(table, np.uint8)[codes]
    wide = codes >= 128  # (n,)
    points, where = np.unique(codes[wide], return_inverse=True)
    table += [flags(chr(c)) for c in points.tolist()]
    index = codes.astype(np.intp)
    index[wide] = 128 + where.reshape(-1)
    return np.array(table, np.uint8)[index]


def _last_at_or_before(mask: np.ndarray) -> np.ndarray:
    """(n,) index of the last True at or before each position, -1 where none."""
    index = np.arange(len(mask), dtype=np.int32 if len(mask) < 2**31 else np.int64)
    return np.maximum.accumulate(np.where(mask, index, -1)) if len(mask) else index


def _scan(text: str, last_nonspace: np.ndarray):
    """Strings and comments, event by event (quote marks, #, the ends of strings and comments) rather than
    character by character. ``last_nonspace``: (n,) the last non-space character at or before each position.

    Returns (string spans, comment spans (docstrings too), escaped newlines) as int64 arrays; a span [s, e)
    covers the characters labelled 1 (an opening quote mark is inside, a closing one outside)."""
    n = len(text)
    strings, comments, escaped = array("q"), array("q"), array("q")
    string, comment = strings.append, comments.append
    pos = 0
    while pos < n:
        if (m := _CODE_EVENT.search(text, pos, pos + _WINDOW)) is None:
            pos += _WINDOW
            continue
        p = m.start()
        c = text[p]
        if c == "#":
            e = text.find("\n", p)
            e = n if e < 0 else e
            comment(p)
            comment(e)
            pos = e + 1
            continue
        if not _opens_string(text, p):
            pos = p + 1
            continue
        quote = c * 3 if text.startswith(c * 3, p) else c
        e = _body_end(text, quote, p + len(quote))
        if text.find("\\\n", p, e) >= 0:  # a backslash-newline inside: is it an escape (not an escaped backslash)?
            escaped.extend(x.start() + 1 for x in _ESCAPE.finditer(text, p + len(quote), e) if x.group() == "\\\n")
        # the body stops at its end: the end of the text, a lone last backslash (it takes the missing next
        # character), or the closing quote mark / newline (labelled outside)
        end = n if e == n or text[e] == "\\" else e
        string(p)
        string(end)
        # a docstring: only whitespace between the line's start and the quote mark (an escaped newline is no
        # line start, but after one comes its string's closing quote mark, no space)
        if len(quote) == 3 and (p == 0 or last_nonspace[p - 1] < 0 or text.find("\n", last_nonspace[p - 1], p) >= 0):
            comment(p)
            comment(end)
        if end == n:
            break
        pos = end + len(quote)  # past the closing quote mark, or the newline that ends a one-quote string
    return _spans(strings), _spans(comments), np.frombuffer(escaped, np.int64) if escaped else np.zeros(0, np.int64)


def _body_end(text: str, quote: str, s: int) -> int:
    """Where the body of a string that starts at ``s`` stops (_BODY), read a window at a time. A window never
    ends on a quote mark or a backslash, whose meaning depends on what follows."""
    n = len(text)
    while True:
        stop = min(n, s + _WINDOW)
        if stop < n:
            stop = min(n, _QUOTES_AND_BACKSLASHES.match(text, stop - 1).end() + 1)
        e = _BODY[quote].match(text, s, stop).end()
        if e < stop or stop == n:
            return e
        s = e


def _spans(a: array) -> np.ndarray:
    return np.frombuffer(a, np.int64).reshape(-1, 2) if a else np.zeros((0, 2), np.int64)


def text_labels(text: str) -> dict[str, np.ndarray]:
    """Per-character features of a (Python-like) text, each (len(text),) int64, describing the state after
    the character:

    ``in_string`` 1 inside a '...' / "..." / triple-quoted string (quote marks opening: 1, closing: 0);
    ``in_comment`` 1 from # to the end of the line (outside strings) and inside a docstring (a triple-quoted
    string that opens a line); ``bracket_depth`` open (, [, { outside strings and comments; ``indent`` leading
    spaces of the current line; ``line_pos`` characters since the last newline; ``word_start`` 1 on the first
    character of a word (letters, digits, _); ``after_newline`` 1 right after a newline; ``upper``, ``digit``
    the character's class.

    A backslash inside a string escapes the next character, a newline too: that newline ends no line (line_pos
    and indent go on). Vectorised: only quote marks and # are visited one by one (in _scan)."""
    n = len(text)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if n else np.zeros(0, np.uint32)  # (n,)
    classes = _char_classes(text, codes)  # (n,)
    newline = (classes & _NEWLINE) != 0
    last_nonspace = _last_at_or_before((classes & _SPACE) == 0)
    strings, comments, escaped = _scan(text, last_nonspace)
    # Per-character values are drawn from the few places where they change (np.repeat), not accumulated over
    # every character: no single long numpy call.
    in_string = _runs(np.arange(len(strings) * 2 + 1) % 2, strings.reshape(-1), n)
    in_comment = _runs(np.arange(len(comments) * 2 + 1) % 2, comments.reshape(-1), n)
    lines = np.flatnonzero(newline)  # (L,) the newlines that end lines: not those escaped inside a string
    lines = lines[~np.isin(lines, escaped)] if len(escaped) else lines
    line_start = _runs(np.r_[-1, lines], lines, n)  # (n,) the newline that starts each character's line, or -1
    # indent: spaces before the line's first non-space character, counted up to the character
    leading = np.flatnonzero(((classes & _BLANK) != 0) & (last_nonspace <= line_start))  # (S,)
    spaces = _runs(np.arange(len(leading) + 1), leading, n)  # (n,) leading spaces so far in the text
    # brackets outside strings and comments; the depth never goes below 0: a walk reflected at 0
    brackets = np.flatnonzero(classes & (_OPEN | _CLOSE))  # (B,)
    brackets = brackets[(in_string[brackets] == 0) & (in_comment[brackets] == 0)]
    walk = np.cumsum(np.where(classes[brackets] & _OPEN, 1, -1))  # (B,)
    depth = walk - np.minimum(np.minimum.accumulate(walk), 0) if len(walk) else walk
    word = (classes & _WORD) != 0
    return {"in_string": in_string, "in_comment": in_comment, "bracket_depth": _runs(np.r_[0, depth], brackets, n),
            "indent": spaces - _runs(np.r_[0, spaces[lines]], lines, n),
            "line_pos": np.arange(n, dtype=np.int64) - line_start,
            "word_start": (word & ~np.r_[False, word[:-1]]).astype(np.int64),
            "after_newline": np.r_[False, newline[:-1]][:n].astype(np.int64),
            "upper": ((classes & _UPPER) != 0).astype(np.int64), "digit": ((classes & _DIGIT) != 0).astype(np.int64)}


def _runs(values, changes: np.ndarray, n: int) -> np.ndarray:
    """(n,) int64: ``values[0]`` before ``changes[0]``, ``values[k]`` from ``changes[k - 1]`` on (sorted)."""
    return np.repeat(np.asarray(values, dtype=np.int64), np.diff(np.r_[0, changes, n]))


def token_spans(text: str, tokens) -> np.ndarray:
    """(T, 2) int64 character offsets [start, end) of each token in ``text``.

    Characters map one to one; words are found in order, skipping whitespace; ``<eos>`` is the newline that
    ends its line. InputError when the tokens were not read from this text."""
    tokens = list(tokens)
    if _are_characters(tokens, text):
        spans = np.empty((len(text), 2), np.int64)
        spans[:, 0] = np.arange(len(text))
        spans[:, 1] = spans[:, 0] + 1
        return spans
    out = array("q")  # start, end, start, end, ...
    add = out.append
    pos = 0
    for k, tok in enumerate(tokens):
        if tok == EOS and not text.startswith(EOS, pos):
            j = text.find("\n", pos)
            if j < 0 or text[pos:j].strip():
                raise InputError(f"token {k} ({EOS}) does not stand at a line end of the text")
            add(j)
            add(j + 1)
            pos = j + 1
            continue
        if not text.startswith(tok, pos):
            j = _SPACES.match(text, pos).end()
            if not tok or not text.startswith(tok, j):
                raise InputError(f"token {k} ({tok!r}) is not at character {pos} of the text: the tokens were "
                                 "not read from this text")
            pos = j
        add(pos)
        pos += len(tok)
        add(pos)
    return np.array(out, np.int64).reshape(-1, 2)


def _are_characters(tokens: list[str], text: str) -> bool:
    """Whether ``tokens`` are the characters of ``text`` one by one. Compared in C piece by piece: one call
    over a long text would hold up the other threads."""
    step = 1 << 16
    return len(tokens) == len(text) and all(tokens[s:s + step] == list(text[s:s + step])
                                            for s in range(0, len(text), step))


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
