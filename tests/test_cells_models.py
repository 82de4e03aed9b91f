"""Every cell type as a model: built from ModelConfig.cell, saved and loaded with its cell type, trained by the
trainer and the CLI, and traced with the model's own numbers; old checkpoints and the demo model stay LSTMs."""
import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.cli import main
from lstm_viz.core.cells import CELLS
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.errors import CheckpointError, InputError
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import LoadedModel, LSTMLanguageModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import Trace, trace
from lstm_viz.core.train import TrainConfig, run_to_end, train
from lstm_viz.core.corpora import load_corpus
from lstm_viz.core.vocab import Vocab
from lstm_viz.resources import DEMO_MODEL

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def model_of(cell, layers=2, bidirectional=True, **kw):
    torch.manual_seed(1)
    vocab = Vocab.from_text("the cat sat on the mat")
    cfg = ModelConfig(input_size=5, hidden_size=4, num_layers=layers, bidirectional=bidirectional,
                      vocab_size=len(vocab), cell=cell, **kw)
    return RNNLanguageModel(cfg).eval(), vocab


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_config_builds_its_cell_and_the_checkpoint_keeps_it(cell, tmp_path):
    model, vocab = model_of(cell, nonlinearity="relu" if cell == "rnn" else "tanh")
    if cell in MODULES:
        assert type(model.rnn) is MODULES[cell]
    save_checkpoint(tmp_path / "m.pt", model, vocab)
    loaded = load_model(tmp_path / "m.pt")
    assert loaded.config.cell == cell and type(loaded.model.rnn) is type(model.rnn)
    if cell == "rnn":
        assert loaded.model.rnn.nonlinearity == "relu"
    tr = trace(loaded, "the cat")
    assert tr.cell is CELLS[cell] and tr.quantities == CELLS[cell].quantities
    assert set(tr.keys()) >= {f"{q}_l1_reverse" for q in CELLS[cell].quantities}
    ids = torch.from_numpy(tr.token_ids.copy())
    with torch.no_grad():
        y, _ = model.rnn(model.encoder(ids))  # (T, 2H)
    np.testing.assert_allclose(np.hstack([tr["hidden_l1"], tr["hidden_l1_reverse"]]), y.numpy(), atol=1e-5)
    tr.save_npz(tmp_path / "t.npz")
    back = Trace.load_npz(tmp_path / "t.npz")
    assert back.cell is CELLS[cell] and set(back.keys()) == set(tr.keys())


def test_an_old_checkpoint_without_a_cell_is_an_lstm(tmp_path):
    model, vocab = model_of("lstm", layers=1, bidirectional=False)
    save_checkpoint(tmp_path / "m.pt", model, vocab)
    obj = torch.load(tmp_path / "m.pt", weights_only=True)
    for k in ("cell", "nonlinearity", "reads_backward"):
        del obj["config"][k]
    torch.save(obj, tmp_path / "old.pt")
    loaded = load_model(tmp_path / "old.pt")
    assert loaded.config.cell == "lstm" and type(loaded.model.rnn) is nn.LSTM
    assert LSTMLanguageModel is RNNLanguageModel


def test_an_unknown_cell_is_one_line(tmp_path):
    model, vocab = model_of("lstm", layers=1, bidirectional=False)
    save_checkpoint(tmp_path / "m.pt", model, vocab)
    obj = torch.load(tmp_path / "m.pt", weights_only=True)
    obj["config"]["cell"] = "mlstm"
    torch.save(obj, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match=r"new\.pt: unknown cell type 'mlstm'; one of lstm, gru"):
        load_model(tmp_path / "new.pt")
    with pytest.raises(InputError, match="proj_size exists only for the plain LSTM"):
        ModelConfig(input_size=3, hidden_size=4, proj_size=2, vocab_size=5, cell="gru")


def test_the_demo_model_is_an_lstm_and_traces_as_nn_lstm():
    m = load_model(DEMO_MODEL)
    assert m.config.cell == "lstm" and type(m.model.rnn) is nn.LSTM
    tr = trace(m, "def f(x):\n    return [x]\n")
    with torch.no_grad():
        y, (h_n, c_n) = m.model.rnn(m.model.encoder(torch.from_numpy(tr.token_ids.copy())))
    np.testing.assert_allclose(tr["hidden_l0"], y.numpy(), atol=1e-5)
    np.testing.assert_allclose(tr["cell_l0"][-1], c_n[0].numpy(), atol=1e-5)


@pytest.mark.parametrize("cell", list(CELLS))
def test_each_cell_trains_and_its_checkpoint_says_so(cell, tmp_path):
    corpus = load_corpus("quotes", seed=0, size=4000)
    config = TrainConfig(hidden_size=8, embed_size=4, seq_len=16, batch_size=4, steps=6, eval_every=3,
                         checkpoint_every=0, cell=cell)
    result = run_to_end(train(corpus, config, tmp_path / "m.pt"))
    assert result.steps == 6 and np.isfinite(result.val_loss)
    loaded = load_model(tmp_path / "m.pt")
    assert loaded.config.cell == cell and loaded.metadata["settings"]["cell"] == cell
    assert RNNLanguageModel(loaded.config).state_dict().keys() == loaded.model.state_dict().keys()


def test_the_cli_trains_a_gru(tmp_path, capsys):
    out = tmp_path / "g.pt"
    assert main(["train", "--corpus", "quotes", "--corpus-size", "4000", "--cell", "gru", "--hidden", "8",
                 "--embed", "4", "--steps", "3", "--seq-len", "16", "--batch-size", "4", "-o", str(out)]) == 0
    assert load_model(out).config.cell == "gru"
    with pytest.raises(SystemExit):  # argparse names the choices
        main(["train", "--corpus", "quotes", "--cell", "lstm2", "-o", str(out)])
    assert "invalid choice: 'lstm2'" in capsys.readouterr().err


def test_a_gru_trace_exports_as_csv_and_as_a_cut_npz(tmp_path):
    from lstm_viz.core import export_data as ed

    model, vocab = model_of("gru")
    tr = trace(LoadedModel(model=model, vocab=vocab, name="g"), "the cat sat")
    ed.write_csv(tr, tmp_path / "r.csv", "reset_gate", layer=1, reverse=True, units="0,2")
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0] == "t,token,unit_0,unit_2" and float(rows[1].split(",")[2]) == pytest.approx(
        float(tr["reset_gate_l1_reverse"][0, 0]), abs=1e-8)
    ed.write_npz(tr, tmp_path / "cut.npz", units="1,3", time_range="2:6")
    back = Trace.load_npz(tmp_path / "cut.npz")
    assert back.cell.name == "gru" and back["update_gate_l0"].shape == (4, 2)
    np.testing.assert_array_equal(back["new_gate_l1_reverse"], tr["new_gate_l1_reverse"][2:6][:, [1, 3]])
