"""Chunked HDF5 trace files: written while streaming, they hold what the in-memory trace holds; read lazily, by
window; `lstm-viz trace -o out.h5` writes them, and NPZ is stored uncompressed unless --compress."""
import zipfile

import h5py
import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.errors import InputError
from lstm_viz.core.h5trace import H5Trace, iter_write_h5, open_trace, write_h5
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.stats import block_summary
from lstm_viz.core.trace import Trace, trace
from lstm_viz.core.vocab import Vocab

TEXT = "naïve café — «quoted» x = [1, 2] € " * 9  # non-ASCII tokens survive the file


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


def loaded(cell="lstm", bidirectional=True, reads_backward=False):
    torch.manual_seed(2)
    vocab = Vocab.from_text(TEXT)
    model = RNNLanguageModel(ModelConfig(input_size=4, hidden_size=6, num_layers=2, bidirectional=bidirectional,
                                         vocab_size=len(vocab), cell=cell, reads_backward=reads_backward)).eval()
    return LoadedModel(model=model, vocab=vocab, name=f"tiny-{cell}")


@pytest.mark.parametrize("cell,bidirectional,reads_backward", [("lstm", True, False), ("gru", False, True),
                                                               ("cifg", True, True)])
def test_the_file_holds_what_the_in_memory_trace_holds(tmp_path, cell, bidirectional, reads_backward):
    m = loaded(cell, bidirectional, reads_backward)
    full = trace(m, TEXT)
    path = tmp_path / "t.h5"
    with write_h5(m, TEXT, path, keyframe_every=32) as tr:
        assert isinstance(tr, H5Trace) and len(tr) == len(full) == len(TEXT)
        assert tr.tokens == full.tokens and tr.vocab_tokens == full.vocab_tokens and tr.keys() == full.keys()
        assert (tr.cell, tr.num_layers, tr.bidirectional, tr.reads_backward) == (
            full.cell, full.num_layers, full.bidirectional, full.reads_backward)
        np.testing.assert_array_equal(tr.token_ids, full.token_ids)
        np.testing.assert_allclose(tr.loss, full.loss, atol=1e-5)
        np.testing.assert_allclose(tr.probs[5], full.probs[5], atol=1e-6)
        np.testing.assert_allclose(tr.probs[[40, 3, 40]], full.probs[[40, 3, 40]], atol=1e-6)
        for layer in range(2):
            for rev in full.directions:
                for q in full.quantities:
                    np.testing.assert_allclose(tr.get(q, layer, rev), full.get(q, layer, rev), atol=1e-6)
                    np.testing.assert_allclose(tr.window(q, layer, rev, 33, 90, [5, 0]),
                                               full.window(q, layer, rev, 33, 90, [5, 0]), atol=1e-6)
                    a = tr.get(q, layer, rev)
                    for level in range(2, 10):  # below min_summary_level: from windows
                        s, want = tr.summary(q, layer, rev, level), block_summary(a, level)
                        np.testing.assert_allclose(s.mean, want.mean, rtol=1e-6, atol=1e-7)
                        np.testing.assert_array_equal(s.max, want.max)
                    st, want = tr.stats(q, layer, rev), full.stats(q, layer, rev)
                    np.testing.assert_allclose(st.var, want.var, atol=1e-9)
                    np.testing.assert_array_equal(st.count, want.count)
    with h5py.File(path, "r") as f:
        assert f["arrays/hidden_l1"].chunks == (32, 6)  # read by time chunk, not whole
    assert [p.name for p in tmp_path.iterdir()] == ["t.h5"]


def test_a_cancelled_write_leaves_no_file(tmp_path):
    gen = iter_write_h5(loaded(), TEXT, tmp_path / "t.h5", keyframe_every=16)
    next(gen)
    gen.close()
    assert list(tmp_path.iterdir()) == []


def test_a_written_file_gets_the_umask_s_mode_not_owner_only(tmp_path):
    """As every file lstm_viz writes (checkpoint.atomic_path): the HDF5 writer once kept mkstemp's 0600."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        write_h5(loaded(), TEXT, tmp_path / "t.h5", keyframe_every=16)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "t.h5").st_mode) == 0o644


def test_open_trace_reads_both_formats_and_says_what_is_wrong(tmp_path):
    m = loaded("gru", False)
    kf = keyframe_trace(m, TEXT, keyframe_every=16)
    kf.save_npz(tmp_path / "k.npz")  # a keyframe trace saves like any trace (probs recomputed)
    small = open_trace(tmp_path / "k.npz")
    assert isinstance(small, Trace)
    np.testing.assert_array_equal(small["hidden_l1"], kf["hidden_l1"])
    np.testing.assert_allclose(small.probs, trace(m, TEXT).probs, atol=1e-6)
    (tmp_path / "bad.h5").write_bytes(b"no hdf5 here")
    with pytest.raises(InputError, match="bad.h5.*not a readable HDF5"):
        open_trace(tmp_path / "bad.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(InputError, match="other.h5: not an lstm_viz trace"):
        open_trace(tmp_path / "other.h5")


def test_cli_writes_h5_and_uncompressed_npz_unless_asked(tmp_path, capsys):
    m = loaded()
    save_checkpoint(tmp_path / "m.pt", m.model, m.vocab, {})
    text = "x = [1, 2] € naïve"
    for name in ("a.h5", "a.npz"):
        assert main(["trace", str(tmp_path / "m.pt"), "--text", text, "-o", str(tmp_path / name)]) == 0
    assert "wrote" in capsys.readouterr().err
    h5, npz = open_trace(tmp_path / "a.h5"), open_trace(tmp_path / "a.npz")
    np.testing.assert_allclose(h5["forget_gate_l1_reverse"], npz["forget_gate_l1_reverse"], atol=1e-6)
    assert h5.tokens == npz.tokens
    h5.close()
    with zipfile.ZipFile(tmp_path / "a.npz") as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
    assert main(["trace", str(tmp_path / "m.pt"), "--text", text, "-o", str(tmp_path / "c.npz"), "--compress"]) == 0
    with zipfile.ZipFile(tmp_path / "c.npz") as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
