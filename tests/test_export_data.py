"""CSV and NPZ export and the unit / range selection: headless, no Qt."""
import csv

import numpy as np
import pytest

from lstm_viz.core.errors import InputError
from lstm_viz.core.export_data import parse_range, parse_units, validate_selection, write_csv, write_npz
from lstm_viz.core.gates import QUANTITIES
from lstm_viz.core.trace import Trace, key


def hand_trace(T=8, units=3, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {key(q): rng.uniform(-1, 1, (T, units)).astype(np.float32) for q in QUANTITIES}
    return Trace(tokens=tuple("ab \ncdefghijkl"[:T]), token_ids=None, arrays=arrays, num_layers=1,
                 model_name="hand")


def test_parse_units_and_range():
    assert parse_units("0,5,7") == (0, 5, 7)
    assert parse_units("2-4, 3,9") == (2, 3, 4, 9)
    assert parse_range("3:10") == (3, 10)
    assert parse_range(":10") == (None, 10) and parse_range("4:") == (4, None)
    for bad in ("x", "1,,2", "-1", "5-2"):
        with pytest.raises(InputError):
            parse_units(bad)
    for bad in ("3", "a:b", "5:5", "9:2"):
        with pytest.raises(InputError):
            parse_range(bad)


def test_validate_selection_names_the_problem():
    tr = hand_trace(T=8, units=3)
    sel = validate_selection(tr, "cell", units="2,0", time_range="2:")
    assert (sel.units, sel.start, sel.end) == ((2, 0), 2, 8)
    with pytest.raises(InputError, match="unit 3 does not exist.*3 units"):
        validate_selection(tr, "cell", units=(0, 3))
    with pytest.raises(InputError, match="outside the text.*8 timesteps"):
        validate_selection(tr, "cell", time_range=(0, 9))
    with pytest.raises(InputError, match="layer 1 does not exist"):
        validate_selection(tr, "cell", layer=1)


def test_csv_rows_units_and_values_equal_the_trace(tmp_path):
    tr = hand_trace(T=8, units=3)
    out = tmp_path / "cell.csv"
    write_csv(tr, out, "cell", units=(2, 0), time_range=(1, 6))
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["t", "token", "unit_2", "unit_0"]
    assert len(rows) == 1 + 5
    data = tr.get("cell")
    for row, t in zip(rows[1:], range(1, 6)):
        assert int(row[0]) == t and row[1] == tr.tokens[t]  # whitespace tokens come back exactly
        assert np.float32(float(row[2])) == data[t, 2] and np.float32(float(row[3])) == data[t, 0]


def test_npz_subset_reads_back_as_a_trace(tmp_path):
    tr = hand_trace(T=8, units=3)
    out = tmp_path / "sub.npz"
    write_npz(tr, out, units=(1,), time_range=(2, 5))
    back = Trace.load_npz(out)
    assert back.tokens == tr.tokens[2:5]
    for q in QUANTITIES:
        np.testing.assert_array_equal(back.get(q), tr.get(q)[2:5, [1]])
    with np.load(out) as z:
        assert z["units"].tolist() == [1] and z["time_range"].tolist() == [2, 5]


def test_bad_selection_leaves_existing_file_untouched(tmp_path):
    tr = hand_trace()
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    with pytest.raises(InputError):
        write_csv(tr, out, "cell", units=(7,))
    assert out.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_a_lazy_trace_exports_a_range_reading_only_that_range(tmp_path):
    """CSV export and figure data of a keyframe trace read the selected steps, never the whole text (a
    1,000,000-token trace would be recomputed whole on the GUI thread)."""
    import torch

    from lstm_viz.core.keyframes import keyframe_trace
    from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
    from lstm_viz.core.trace import trace as full_trace
    from lstm_viz.core.vocab import Vocab
    from lstm_viz.figures.compose import FigureSpec, _selection, _values

    text = "abc 'de' (fa)\nhij. " * 40
    torch.manual_seed(0)
    vocab = Vocab.from_text(text)
    loaded = LoadedModel(model=RNNLanguageModel(ModelConfig(input_size=4, hidden_size=5, vocab_size=len(vocab)))
                         .eval(), vocab=vocab, name="tiny")
    lazy = keyframe_trace(loaded, text, keyframe_every=64)
    spans = []
    read = lazy.window

    def window(q, layer=0, reverse=False, t0=0, t1=None, units=None):
        spans.append((t0, len(lazy) if t1 is None else t1))
        return read(q, layer, reverse, t0, t1, units)

    lazy.window = window
    lazy.get = lambda *a, **k: pytest.fail("a whole array was read")
    full = full_trace(loaded, text)
    out = tmp_path / "part.csv"
    write_csv(lazy, out, "cell", units=(1, 2), time_range=(300, 340))
    rows = list(csv.reader(out.open()))
    assert len(rows) == 41 and rows[1][0] == "300"
    np.testing.assert_allclose(np.array(rows[1:], dtype=object)[:, 2:].astype(np.float32),
                               full.get("cell")[300:340, [1, 2]], atol=1e-6)
    spec = FigureSpec("cell", time_range=(100, 130))
    sel = _selection(lazy, spec, "cell", 2)
    np.testing.assert_allclose(_values(lazy, spec, "cell", sel), full.get("cell")[100:130][:, list(sel.units)],
                               atol=1e-6)
    assert spans and all(t1 - t0 <= 40 for t0, t1 in spans)
