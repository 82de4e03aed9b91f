"""The CLI on other projects' layouts: choosing a module, --nonlinearity, vocab files as token -> id maps."""
import json

import numpy as np
import pytest
import torch

from layout_models import AwdRNNModel, WordRNNModel
from lstm_viz.cli import main

WORDS = ["<unk>", "<eos>", "the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("layouts")
    torch.manual_seed(0)
    torch.save(AwdRNNModel("LSTM", len(WORDS), 4, 6, 3, wdrop=0.3, tie_weights=True).state_dict(), d / "awd.pt")
    torch.save(WordRNNModel("RNN_RELU", len(WORDS), 5, 5, 1, dropout=0.0).state_dict(), d / "rnn.pt")
    torch.save(WordRNNModel("LSTM", len(WORDS), 5, 5, 1, dropout=0.0).eval().state_dict(), d / "lstm.pt")
    (d / "wordmap.json").write_text(json.dumps({w: i for i, w in enumerate(WORDS)}))
    return d


def test_info_shows_a_stack_of_different_sizes_and_module_picks_one_layer(files, capsys):
    assert main(["info", str(files / "awd.pt")]) == 0
    out = capsys.readouterr().out
    assert "layers: 3" in out and "hidden sizes: 6, 6, 4 units in layers 0 to 2" in out
    assert "3 nn.LSTM modules 'rnns.0', 'rnns.1', 'rnns.2' as one stack" in out and "decoder: yes" in out
    assert main(["info", str(files / "awd.pt"), "--module", "rnns.2"]) == 0
    out = capsys.readouterr().out
    assert "layers: 1" in out and "input: vectors (6 per step)" in out and "decoder: yes" in out


def test_info_lists_the_layers_of_a_stack_it_cannot_join(tmp_path, capsys):
    torch.manual_seed(0)
    a, b = torch.nn.LSTM(4, 6), torch.nn.LSTM(6, 5, bias=False)  # sizes connect, biases differ
    sd = {f"lstm1.{k}": v for k, v in a.state_dict().items()} | {f"lstm2.{k}": v for k, v in b.state_dict().items()}
    torch.save(sd, tmp_path / "two.pt")
    assert main(["info", str(tmp_path / "two.pt")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "holds 2 LSTMs (one stack that cannot be traced as one model); pick one with --module NAME:" in err[0]
    assert [ln.split()[0] for ln in err[1:]] == ["lstm1", "lstm2"]


@pytest.mark.parametrize("flag, nonlinearity", [([], "tanh"), (["--nonlinearity", "relu"], "relu")])
def test_plain_rnn_opens_with_its_nonlinearity(files, capsys, flag, nonlinearity):
    assert main(["info", str(files / "rnn.pt"), *flag]) == 0
    out = capsys.readouterr().out
    assert "RNN" in out and nonlinearity in out


def test_nonlinearity_on_an_lstm_is_an_error(files, capsys):
    assert main(["info", str(files / "lstm.pt"), "--nonlinearity", "relu"]) == 2
    assert "--nonlinearity applies to plain RNNs" in capsys.readouterr().err


def test_trace_with_a_token_to_id_vocab_file(files, tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert main(["trace", str(files / "lstm.pt"), "--vocab", str(files / "wordmap.json"), "--text", "the cat sat",
                 "-o", str(out)]) == 0
    with np.load(out) as z:
        assert list(z["tokens"]) == ["the", "cat", "sat"] and list(z["token_ids"]) == [2, 3, 4]
