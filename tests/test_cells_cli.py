"""The command line on other cell types: `lstm-viz units` searches a GRU's own quantities (its hidden state by
default, as it has no cell state) and names them in one line when asked for one it lacks."""
from __future__ import annotations

import json

import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.model import ModelConfig, RNNLanguageModel
from lstm_viz.core.vocab import Vocab

TEXT = 'say "hi" (twice)\nok "yes" and "no"'


@pytest.fixture(scope="module")
def gru(tmp_path_factory):
    torch.manual_seed(4)
    vocab = Vocab.from_text(TEXT)
    path = tmp_path_factory.mktemp("gru") / "gru.pt"
    save_checkpoint(path, RNNLanguageModel(ModelConfig(input_size=4, hidden_size=5, vocab_size=len(vocab),
                                                       cell="gru")), vocab)
    return path


@pytest.mark.parametrize("extra, quantity", [([], "hidden"), (["--quantity", "update"], "update_gate")])
def test_units_searches_a_grus_own_quantities(gru, capsys, extra, quantity):
    assert main(["units", str(gru), "--text", TEXT, "--regex", '"[^"]*"', "--top", "3", "--json", *extra]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and {r["quantity"] for r in rows} == {quantity}


def test_units_on_a_quantity_a_gru_lacks_is_one_line(gru, capsys):
    assert main(["units", str(gru), "--text", TEXT, "--regex", "a", "--quantity", "forget"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a GRU has no 'forget_gate'" in err and "reset_gate" in err
