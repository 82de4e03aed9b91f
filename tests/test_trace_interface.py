"""The trace interface: windows, summaries and statistics equal their definitions, for the in-memory trace and
for any implementation that only provides ``window`` (what a lazy trace will be)."""
import numpy as np
import pytest
import torch

from lstm_viz.core.cells import CELLS
from lstm_viz.core.errors import InputError
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.stats import RunningStats, block_summary
from lstm_viz.core.trace import Trace, TraceBase, trace
from lstm_viz.core.vocab import Vocab

TEXT = "a (b) [c d] 'e' f g h i j k l m n o p q r s t u v w x y z " * 3


def traced(cell="lstm"):
    torch.manual_seed(0)
    vocab = Vocab.from_text(TEXT)
    model = RNNLanguageModel(ModelConfig(input_size=6, hidden_size=5, num_layers=2, bidirectional=True,
                                         vocab_size=len(vocab), cell=cell)).eval()
    return trace(LoadedModel(model=model, vocab=vocab, name=cell), TEXT, chunk=7)


class WindowOnly(TraceBase):
    """The smallest implementation: everything but ``window`` and ``units`` comes from TraceBase."""

    def __init__(self, inner: Trace):
        self.inner = inner
        for name in ("tokens", "token_ids", "num_layers", "bidirectional", "probs", "loss", "vocab_tokens",
                     "unknown", "model_name", "metadata", "cell", "reads_backward"):
            setattr(self, name, getattr(inner, name))
        self.windows = 0

    SUMMARY_CHUNK = 16  # read in small windows, as a lazy trace would

    def window(self, quantity, layer=0, reverse=False, t0=0, t1=None, units=None):
        self.windows += 1
        return self.inner.window(quantity, layer, reverse, t0, t1, units)

    def units(self, layer=0, quantity=None):
        return self.inner.units(layer, quantity)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_window_summary_and_stats_equal_their_definitions(cell):
    tr = traced(cell)
    T = len(tr)
    assert tr.quantities == CELLS[cell].quantities and tr.cell.name == cell
    for q in tr.quantities:
        full = tr[f"{q}_l1_reverse"]
        assert full.shape == (T, tr.units(1, q)) and full is tr.get(q, 1, True)
        np.testing.assert_array_equal(tr.window(q, 1, True, 10, 30), full[10:30])
        np.testing.assert_array_equal(tr.window(q, 1, True, 10, 30, units=[3, 0]), full[10:30][:, [3, 0]])
        assert tr.window(q, 0, False, 5, 5).shape == (0, full.shape[1])
        for level in (0, 1, 3, 5, 12):
            s = tr.summary(q, 1, True, level)
            B = 2 ** level
            blocks = [full[b:b + B] for b in range(0, T, B)]
            np.testing.assert_allclose(s.mean, [b.mean(axis=0) for b in blocks], rtol=1e-6, atol=1e-7)
            np.testing.assert_array_equal(s.min, [b.min(axis=0) for b in blocks])
            np.testing.assert_array_equal(s.max, [b.max(axis=0) for b in blocks])
        st = tr.stats(q, 1, True)
        f64 = full.astype(np.float64)
        np.testing.assert_allclose(st.mean, f64.mean(axis=0), atol=1e-9)
        np.testing.assert_allclose(st.var, f64.var(axis=0), atol=1e-9)
        np.testing.assert_array_equal(st.min, full.min(axis=0))
        np.testing.assert_array_equal(st.max, full.max(axis=0))
        assert (st.count == T).all()


def test_an_implementation_with_only_window_answers_everything_the_same():
    tr = traced("lstm")
    lazy = WindowOnly(tr)
    assert len(lazy) == len(tr) and lazy.keys() == tr.keys() and lazy.quantities == tr.quantities
    np.testing.assert_array_equal(lazy["forget_gate_l1_reverse"], tr["forget_gate_l1_reverse"])
    for level in (0, 2, 4, 6):
        a, b = lazy.summary("cell", 0, False, level), tr.summary("cell", 0, False, level)
        for k in ("mean", "min", "max"):
            np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=1e-6)
    st, ref = lazy.stats("hidden", 1, True), tr.stats("hidden", 1, True)
    np.testing.assert_allclose(st.var, ref.var, rtol=1e-6, atol=1e-12)  # other chunks: float32 rounding
    assert lazy.windows > len(tr) // 16  # it really did read window by window


def test_bad_requests_are_one_line_errors():
    tr = traced("gru")
    with pytest.raises(InputError, match="a GRU has no 'cell' \\(it has no separate cell state\\)"):
        tr.get("cell")
    with pytest.raises(InputError, match="outside the trace"):
        tr.window("hidden", 0, False, 5, len(tr) + 1)
    with pytest.raises(InputError, match="do not all exist"):
        tr.window("hidden", 0, False, 0, 3, units=[5])
    with pytest.raises(InputError, match="layer 2 does not exist"):
        tr.window("hidden", 2)
    with pytest.raises(KeyError):
        tr["forget_gate_l0"]


def test_running_stats_merge_chunks_exactly_and_skip_nan():
    rng = np.random.default_rng(0)
    a = rng.normal(5, 3, (1000, 4))
    a[::7, 1] = np.nan
    rs = RunningStats(4)
    for lo, hi in ((0, 3), (3, 250), (250, 251), (251, 999), (999, 1000)):
        rs.add(a[lo:hi])
    r = rs.result()
    np.testing.assert_allclose(r.mean, np.nanmean(a, axis=0), rtol=1e-12)
    np.testing.assert_allclose(r.var, np.nanvar(a, axis=0), rtol=1e-12)
    assert r.count[1] == np.isfinite(a[:, 1]).sum()
    s = block_summary(a[:, [0]].astype(np.float32), 3)
    assert s.mean.shape == (125, 1) and s.block == 8


def test_streaming_stats_from_the_extraction_pass_equal_the_whole_arrays():
    from lstm_viz.core.gates import iter_states
    from lstm_viz.core.stats import stats_of

    torch.manual_seed(0)
    rnn = CELLS["lstm"].build(3, 6, num_layers=2, bidirectional=True).eval()
    with torch.no_grad():
        for p in rnn.parameters():
            p.mul_(3.0)  # cells grow well beyond 1
    gen = iter_states(rnn, torch.randn(300, 3), chunk=64, stats=True)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            states = stop.value
            break
    for per_dir in states:
        for s in per_dir:
            assert set(s.stats) == set(s.arrays)
            for q, a in s.arrays.items():
                ref = stats_of(a.astype(np.float64), chunk=len(a))
                np.testing.assert_allclose(s.stats[q].mean, ref.mean, rtol=1e-6, atol=1e-7)
                np.testing.assert_allclose(s.stats[q].var, ref.var, rtol=1e-5, atol=1e-9)
                np.testing.assert_array_equal(s.stats[q].min, ref.min)
                np.testing.assert_array_equal(s.stats[q].max, ref.max)


def test_the_running_module_imports_first_without_a_cycle():
    import subprocess
    import sys

    code = "import lstm_viz.core.tracing as t, lstm_viz.core.trace as tr; assert t.trace and tr.trace"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_the_npz_names_its_cell_type_apart_from_the_cell_state(tmp_path):
    tr = traced("gru")
    tr.save_npz(tmp_path / "g.npz")
    with np.load(tmp_path / "g.npz") as z:
        assert str(z["cell_type"]) == "gru" and "cell" not in z.files and not bool(z["reads_backward"])
    old = {k: v for k, v in np.load(tmp_path / "g.npz").items() if k != "cell_type"}
    np.savez(tmp_path / "old.npz", **old)  # no cell type recorded: told by the arrays it holds
    assert Trace.load_npz(tmp_path / "old.npz").cell.name == "gru"
    del old["update_gate_l0"]
    np.savez(tmp_path / "broken.npz", **{**old, "cell_type": np.array("gru")})
    with pytest.raises(InputError, match="broken.npz: a GRU trace without update_gate"):
        Trace.load_npz(tmp_path / "broken.npz")
