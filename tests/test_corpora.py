"""Built-in corpora: deterministic from a seed, labels that say what they claim, files read strictly."""
import numpy as np
import pytest

from lstm_viz.core.corpora import CORPORA, LONG_COPY_KEYS, load_corpus
from lstm_viz.core.errors import InputError


@pytest.mark.parametrize("name", ["quotes", "brackets", "long-copy"])
def test_synthetic_corpora_are_seeded_and_labelled(name):
    a, b, c = (load_corpus(name, seed=s, size=5000) for s in (1, 1, 2))
    assert a.text == b.text and np.array_equal(a.labels, b.labels)
    assert a.text != c.text
    assert len(a.text) == len(a.labels) == 5000 and a.labels.dtype == np.int64
    assert a.name == name and a.description and name in CORPORA


def test_quote_label_is_one_while_a_quote_is_open():
    c = load_corpus("quotes", seed=0, size=20_000)
    open_after = np.cumsum([ch == '"' for ch in c.text]) % 2  # odd number of quote marks read so far
    assert np.array_equal(c.labels, open_after)
    assert 0.1 < c.labels.mean() < 0.6


def test_bracket_label_is_the_depth():
    c = load_corpus("brackets", seed=0, size=20_000)
    step = np.array([1 if ch in "([{" else -1 if ch in ")]}" else 0 for ch in c.text])
    assert np.array_equal(c.labels, np.cumsum(step))
    assert c.labels.min() == 0 and c.labels.max() >= 4


def test_long_copy_label_is_the_key_that_comes_back():
    c = load_corpus("long-copy", seed=0, size=20_000)
    lines = c.text.split("\n")[:-1]
    pos = 0
    for line in lines:
        key, gap, repeat = line[0], line[2:-2], line[-1]
        assert key == repeat and line[1] == ":" and line[-2] == "=" and len(gap) >= 20
        assert set(c.labels[pos: pos + len(line)]) == {LONG_COPY_KEYS.index(key)}
        assert c.labels[pos + len(line)] == -1  # the newline
        pos += len(line) + 1


def test_python_stdlib_is_capped_and_records_its_files():
    c = load_corpus("python-stdlib", size=200_000)
    assert len(c.text) == 200_000 and c.labels is None
    assert c.files and all(f.endswith(".py") and "site-packages" not in f for f in c.files)
    assert list(c.files) == sorted(c.files)
    assert "def " in c.text and f"{len(c.files)} files" in c.description
    assert load_corpus("python-stdlib", size=200_000).text == c.text


def test_text_files(tmp_path):
    (tmp_path / "a.txt").write_text("héllo ", encoding="utf-8")
    (tmp_path / "b.txt").write_text("world", encoding="utf-8")
    c = load_corpus([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert c.text == "héllo world" and c.labels is None and len(c.files) == 2
    assert load_corpus(str(tmp_path / "a.txt")).name == "a.txt"


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"ok \xff\xfe bad", "not UTF-8 text")])
def test_bad_files_get_one_line_naming_the_file(tmp_path, content, words):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(InputError, match=words) as err:
        load_corpus(f)
    assert str(f) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="no such file"):
        load_corpus(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="positive"):
        load_corpus("quotes", size=0)
