"""Vocabularies: char and word level, unknown tokens reported (never dropped), vocab files in every form."""
import json

import pytest

from lstm_viz.core.errors import InputError
from lstm_viz.core.vocab import Vocab, display_token


def test_char_vocab_reports_unknown_positions():
    v = Vocab.from_text("hello")
    enc = v.encode("hole!")
    assert enc.tokens == tuple("hole!") and enc.unknown == (4,)
    assert enc.ids[4] == v.unk_id and list(enc.ids[:4]) == [v.tokens.index(c) for c in "hole"]


def test_word_vocab_adds_eos_at_line_ends_like_word_language_model():
    v = Vocab.from_tokens(["<unk>", "<eos>", "the", "cat", "sat"])
    assert v.level == "word"
    enc = v.encode("the cat\nsat dog\n")
    assert enc.tokens == ("the", "cat", "<eos>", "sat", "dog", "<eos>") and enc.unknown == (4,)


def test_vocab_without_unknown_token_refuses_unknown_text():
    v = Vocab.from_tokens(list("abc"))
    with pytest.raises(InputError, match="1 tokens not in the vocab"):
        v.encode("abz")


@pytest.mark.parametrize("content, tokens", [
    (json.dumps(["a", "b", "\n"]), ("a", "b", "\n")),
    (json.dumps({"tokens": ["the", "cat"], "level": "word"}), ("the", "cat")),
    ("x\ny\n\\n\n", ("x", "y", "\n")),
])
def test_vocab_files(tmp_path, content, tokens):
    (tmp_path / "v").write_text(content)
    assert Vocab.load(tmp_path / "v").tokens == tokens


@pytest.mark.parametrize("content, tokens", [
    (json.dumps({"<pad>": 0, "a": 2, "man": 1, "<unk>": 3}), ("<pad>", "man", "a", "<unk>")),  # WORDMAP.json
    (json.dumps({"the": 1, "cat": 0}), ("cat", "the")),  # word_to_ix
    (json.dumps({"1": "b", "0": "a", "2": "\n"}), ("a", "b", "\n")),  # itos saved as JSON
])
def test_vocab_files_token_to_id_and_id_to_token(tmp_path, content, tokens):
    (tmp_path / "v.json").write_text(content)
    assert Vocab.load(tmp_path / "v.json").tokens == tokens


def test_vocab_mapping_with_bytes_keys_as_flair_stores_it():
    v = Vocab.from_mapping({b"<unk>": 0, "é".encode(): 1, b"a": 2})
    assert v.tokens == ("<unk>", "é", "a") and v.level == "char" and v.unk == "<unk>"


@pytest.mark.parametrize("raw, problem", [(b"", "empty"), (b"\xff\xfe", "not UTF-8"), (b"[1, 2", "not valid JSON"),
                                          (b"a\na\n", "duplicate"), (b'{"a": 0, "b": 2}', "id 1 is missing"),
                                          (b'{"a": 0, "b": 0}', "repeated"), (b'{"a": "b"}', "neither"),
                                          (b"[1, 2]", "list of tokens")])
def test_bad_vocab_files(tmp_path, raw, problem):
    (tmp_path / "v").write_bytes(raw)
    with pytest.raises(InputError, match=problem):
        Vocab.load(tmp_path / "v")
    with pytest.raises(InputError, match="v: "):
        Vocab.load(tmp_path / "v")


def test_display_token_makes_whitespace_visible():
    assert display_token(" \n\t") == "\u2423\u21b5\u21e5"
