"""The vectorised text_labels, token_spans and Vocab.encode equal the per-character code they replaced
(tests/reference_labels.py, kept verbatim): same keys, dtypes, values and errors, on generated Python-like texts,
on the standard library's own source and on edge cases."""
import inspect
import json
import string
import textwrap
import tokenize
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_labels import encode_reference, text_labels_reference, token_spans_reference

from lstm_viz.core import features
from lstm_viz.core.features import text_labels, token_spans
from lstm_viz.core.vocab import EOS, UNK, Vocab

# Pieces that exercise every rule of the scanner: quotes and triple quotes, string prefixes and apostrophes,
# escapes (of a quote, of a newline, of a backslash), comments, brackets, indentation, non-ASCII classes.
PIECES = ["'", '"', "'''", '"""', "\\", "\\\n", "\\\\", "#", "\n", "\n    ", "\t", " ", "  ", "(", ")", "[", "]",
          "{", "}", "a", "b", "_", "x1", "r", "rb", "f", "Br", "don", "É", "٣", "ǅ", "ß", "\u00a0", "\u2028",
          "\r", "\x0c", "\x85", "\u3000", "İ", "²", "中"]
python_like = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
any_text = st.text(alphabet=st.sampled_from(list("ab_'\"#()[]{}\\\n \t\rÉ٣ǅ1")) | st.characters(), max_size=60)

EDGE_CASES = ["", "a", "'", '"', "'''", '"""', "\\", "'\\", '"\\', "'''\\", "'''ab", '"""ab\n', "'ab", "'ab\ncd'",
              "#", "# x", "# x\n", ")))", "((", "  \t  x", "   ", "\n\n", "x = 'a\\\nb'\n  y", "'''\\\n  x'''\n  y",
              '"""doc"""', '  """doc"""\nx', "x = '''not doc'''", "'\\\\\n a'", "''''", '""""""""', "don't", "f'x'",
              "rb'x'", "abc'x'", "ab'x'", "_'x'", "É'x'", "r'\\'", "'''a''''", "x(  '''a\n) ''' )", "\\\n"]


def assert_same_labels(text):
    want, got = text_labels_reference(text), text_labels(text)
    assert list(got) == list(want)
    for name in want:
        assert got[name].dtype == want[name].dtype == np.int64, name
        np.testing.assert_array_equal(got[name], want[name], err_msg=f"{name} of {text[:200]!r}")


@settings(max_examples=400, deadline=None)
@given(python_like)
def test_labels_equal_the_reference_on_python_like_texts(text):
    assert_same_labels(text)


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_labels_equal_the_reference_on_any_characters(text):
    try:
        want = text_labels_reference(text)
    except UnicodeEncodeError as e:  # a lone surrogate: both refuse it alike
        with pytest.raises(UnicodeEncodeError) as got:
            text_labels(text)
        assert str(got.value) == str(e)
        return
    got = text_labels(text)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


@settings(max_examples=300, deadline=None)
@given(python_like, st.integers(1, 6))
def test_labels_read_a_few_characters_at_a_time_equal_the_reference(text, window):
    """Long texts are read a window at a time (no long call holding up other threads): windows of a few
    characters put their edges at every place: inside escapes, between the quote marks of a triple quote."""
    with mock.patch.object(features, "_WINDOW", window):
        assert_same_labels(text)


@pytest.mark.parametrize("text", EDGE_CASES)
def test_labels_equal_the_reference_on_edge_cases(text):
    assert_same_labels(text)


@pytest.mark.parametrize("module", [inspect, json.decoder, string, textwrap, tokenize])
def test_labels_equal_the_reference_on_the_standard_library(module):
    assert_same_labels(inspect.getsource(module))


def test_labels_refuse_a_lone_surrogate_as_before():
    with pytest.raises(UnicodeEncodeError) as want:
        text_labels_reference("ab\ud800")
    with pytest.raises(UnicodeEncodeError) as got:
        text_labels("ab\ud800")
    assert str(got.value) == str(want.value)


def outcome(f, *args):
    """A result, or the error's type and message, in a form that compares."""
    try:
        r = f(*args)
    except Exception as e:  # noqa: BLE001  (the errors must be the same too)
        return type(e).__name__, str(e)
    if isinstance(r, np.ndarray):
        return r.dtype, r.shape, r.tolist()
    return r.tokens, r.ids.dtype, r.ids.tolist(), r.unknown, {type(i) for i in r.unknown}


WORD_VOCAB = Vocab.from_tokens([UNK, EOS, "the", "cat", "a"], level="word")


@settings(max_examples=300, deadline=None)
@given(python_like, st.data())
def test_spans_equal_the_reference(text, data):
    candidates = [list(text), WORD_VOCAB.tokenize(text), Vocab.from_tokens(["the", "cat"], "word").tokenize(text)]
    if text:
        k = data.draw(st.integers(0, len(text) - 1))
        changed = list(text)
        changed[k] = data.draw(st.sampled_from(["", "ab", EOS, "(", "\n"]))  # no longer one character each
        candidates.append(changed)
        candidates.append(list(text[:k]) + [text[k:k + 2], ""] + list(text[k + 2:]))  # as many, joined alike
    candidates.append(data.draw(st.lists(st.sampled_from(PIECES + [EOS, ""]), max_size=8)))
    for tokens in candidates:
        assert outcome(token_spans, text, tokens) == outcome(token_spans_reference, text, tokens), tokens


VOCABS = [Vocab.from_text("def f(x):\n    return 'É'\n"), Vocab.from_tokens(list("abc \n(")), WORD_VOCAB,
          Vocab.from_tokens(["the", "cat", "a", "(", "b"], level="word"),
          Vocab.from_tokens([UNK, "é", "\U0001F600", "a", "\ud800", "<eos>"], level="char"),
          Vocab.from_tokens(["<unk>", "ab", EOS, "\n"], level="char"), Vocab.from_tokens(["ab", "cd"], level="char")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ["the", " cat", "\U0001F600", "\ud800", "é", EOS]), max_size=30).map("".join))
def test_encode_equals_the_reference(text):
    for vocab in VOCABS:
        assert outcome(vocab.encode, text) == outcome(encode_reference, vocab, text), vocab.tokens


def test_encode_equals_the_reference_on_a_long_text_with_unknown_characters():
    text = inspect.getsource(inspect) * 2  # more than one piece of 65,536 characters
    vocab = Vocab.from_text(text[:3000])
    got, want = vocab.encode(text), encode_reference(vocab, text)
    assert got.tokens == want.tokens and got.unknown == want.unknown and len(got.unknown) > 100
    np.testing.assert_array_equal(got.ids, want.ids)
    assert outcome(Vocab(vocab.tokens[1:], unk=None).encode, text) == outcome(
        encode_reference, Vocab(vocab.tokens[1:], unk=None), text)
