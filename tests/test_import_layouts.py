"""Foreign checkpoints, each built from a real torch model and saved the way its kind of project saves it.

Every loaded model is traced and compared with the source model's own nn.LSTM (or nn.LSTMCell) output.
"""
import json
import os
import pickle
import re

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.core.errors import CheckpointError, InputError, ModuleChoiceError, VocabSizeError
from lstm_viz.core.importer import import_checkpoint
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace

ATOL = 1e-5


class RNNModel(nn.Module):
    """pytorch/examples word_language_model's RNNModel (LSTM branch), parameter names as there."""

    def __init__(self, ntoken, ninp, nhid, nlayers, tie_weights=False, rnn="LSTM"):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn)(ninp, nhid, nlayers, dropout=0.2 if nlayers > 1 else 0.0)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight

    def forward(self, ids):
        out, state = self.rnn(self.encoder(ids))
        return self.decoder(out), state


class StackedCells(nn.Module):
    """Hand-rolled stacks of nn.LSTMCell, as many tutorials write them."""

    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(6, 10)
        self.lstm2 = nn.LSTMCell(10, 8)
        self.fc = nn.Linear(8, 3)


def assert_matches(tr, lstm: nn.LSTM, x: torch.Tensor):
    """The trace holds nn.LSTM's own output (last layer) and final states, for every layer and direction."""
    with torch.no_grad():
        y, (h_n, c_n) = lstm(x)  # (T, D*Hout), (L*D, Hout), (L*D, H)
    D = 2 if lstm.bidirectional else 1
    last = np.concatenate([tr.get("hidden", lstm.num_layers - 1, bool(d)) for d in range(D)], axis=1)
    np.testing.assert_allclose(last, y.numpy(), atol=ATOL)
    for layer in range(lstm.num_layers):
        for d in range(D):
            t = 0 if d else -1  # the backward direction ends at the first token
            np.testing.assert_allclose(tr.get("hidden", layer, bool(d))[t], h_n[layer * D + d].numpy(), atol=ATOL)
            np.testing.assert_allclose(tr.get("cell", layer, bool(d))[t], c_n[layer * D + d].numpy(), atol=ATOL)


def word_model(tie=True):
    torch.manual_seed(0)
    words = ["<unk>", "<eos>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran"]
    return RNNModel(len(words), 12, 12, 2, tie_weights=tie).eval(), words


def test_bare_nn_lstm_state_dict_bidirectional_with_projection(tmp_path):
    torch.manual_seed(1)
    lstm = nn.LSTM(5, 9, num_layers=2, bidirectional=True, proj_size=4).eval()
    torch.save(lstm.state_dict(), tmp_path / "lstm.pt")
    m = load_model(tmp_path / "lstm.pt")
    assert m.layout.startswith("nn.LSTM at the top level")
    c = m.config
    assert (c.input_size, c.hidden_size, c.num_layers, c.bidirectional, c.proj_size) == (5, 9, 2, True, 4)
    assert c.input_mode == "vectors" and m.vocab is None
    x = torch.randn(23, 5)
    tr = trace(m, x.numpy(), chunk=7)
    assert tr.get("cell", 1, True).shape == (23, 9) and tr.get("hidden", 1, True).shape == (23, 4)
    assert_matches(tr, lstm, x)


def test_word_language_model_with_tied_weights_and_word_vocab(tmp_path):
    model, words = word_model(tie=True)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n")
    m = load_model(tmp_path / "model.pt", vocab=tmp_path / "vocab.txt")
    assert m.layout.startswith("nn.LSTM under 'rnn.' (word_language_model)")
    assert any("tied" in n for n in m.notes)
    assert m.vocab.level == "word" and m.config.input_mode == "embedding"
    text = "the cat sat on a mat\na dog ran zebra\n"
    tr = trace(m, text)
    expected = "the cat sat on a mat <eos> a dog ran zebra <eos>".split()
    assert list(tr.tokens) == expected and tr.unknown == (expected.index("zebra"),)
    ids = torch.tensor([words.index(w) if w in words else 0 for w in expected])
    assert_matches(tr, model.rnn, model.encoder(ids))
    with torch.no_grad():
        logits, _ = model(ids)
    np.testing.assert_allclose(tr["probs"], torch.softmax(logits, -1).numpy(), atol=ATOL)


def test_dataparallel_prefix_untied(tmp_path):
    model, words = word_model(tie=False)
    torch.save(nn.DataParallel(model).state_dict(), tmp_path / "dp.pt")  # keys start with 'module.'
    m = load_model(tmp_path / "dp.pt", vocab=words)
    assert "DataParallel 'module.' prefix" in m.layout
    assert not any("tied" in n for n in m.notes)
    tr = trace(m, "the dog sat")
    assert_matches(tr, model.rnn, model.encoder(torch.tensor([2, 8, 4])))


@pytest.mark.parametrize("key", ["state_dict", "model", "model_state_dict", "MODEL_STATE"])
def test_training_dict_with_optimizer_state(tmp_path, key):
    model, words = word_model()
    opt = torch.optim.Adam(model.parameters())
    model(torch.tensor([[2], [3]]))[0].sum().backward()
    opt.step()  # the optimizer state now holds tensors too, shaped like the weights
    model.eval()
    torch.save({"epoch": 7, key: model.state_dict(), "optimizer": opt.state_dict(), "best_val_loss": 4.25,
                "vocab": words}, tmp_path / "ckpt.pt")
    m = load_model(tmp_path / "ckpt.pt")
    assert f"in {key!r}" in m.layout
    assert m.metadata["epoch"] == 7 and m.metadata["best_val_loss"] == 4.25
    assert m.vocab.tokens == tuple(words)  # the vocab stored in the file
    tr = trace(m, "a cat ran")
    assert_matches(tr, model.rnn, model.encoder(torch.tensor([7, 3, 9])))


def test_stacked_lstm_cells_are_listed_and_picked(tmp_path):
    torch.manual_seed(2)
    net = StackedCells().eval()
    torch.save(net.state_dict(), tmp_path / "cells.pt")
    x = torch.randn(11, 6)
    both = load_model(tmp_path / "cells.pt")  # lstm1 (6 -> 10) feeds lstm2 (10 -> 8): one stack of two sizes
    assert both.config.sizes == (10, 8) and both.config.decoder  # fc reads lstm2
    tr = trace(both, x.numpy(), chunk=4)
    h, c = [torch.zeros(1, 10), torch.zeros(1, 8)], [torch.zeros(1, 10), torch.zeros(1, 8)]
    with torch.no_grad():
        for t in range(len(x)):  # the hand-rolled loop such a model runs
            h[0], c[0] = net.lstm1(x[t:t + 1], (h[0], c[0]))
            h[1], c[1] = net.lstm2(h[0], (h[1], c[1]))
            for layer in range(2):
                np.testing.assert_allclose(tr.get("hidden", layer)[t], h[layer][0].numpy(), atol=ATOL)
                np.testing.assert_allclose(tr.get("cell", layer)[t], c[layer][0].numpy(), atol=ATOL)
    with pytest.raises(CheckpointError, match="no LSTM named 'lstm3'"):
        load_model(tmp_path / "cells.pt", module="lstm3")
    for name, cell, inputs in (("lstm1", net.lstm1, x), ("lstm2", net.lstm2, torch.randn(11, 10))):
        m = load_model(tmp_path / "cells.pt", module=name)
        assert m.layout.startswith(f"nn.LSTMCell under '{name}.'") and m.config.num_layers == 1
        tr = trace(m, inputs.numpy(), chunk=4)
        h = c = torch.zeros(1, cell.hidden_size)
        with torch.no_grad():
            for t in range(len(inputs)):  # the cell's own step-by-step output
                h, c = cell(inputs[t:t + 1], (h, c))
                np.testing.assert_allclose(tr["hidden_l0"][t], h[0].numpy(), atol=ATOL)
                np.testing.assert_allclose(tr["cell_l0"][t], c[0].numpy(), atol=ATOL)


def test_float64_without_biases_one_hot_with_char_to_index_vocab(tmp_path):
    torch.manual_seed(3)
    chars = sorted(set("hello world"))
    lstm = nn.LSTM(len(chars), 6, num_layers=2, bias=False).double().eval()
    torch.save({"rnn": lstm.state_dict(), "char2idx": {ch: i for i, ch in enumerate(chars)}}, tmp_path / "c.pt")
    m = load_model(tmp_path / "c.pt")
    assert m.dtype == torch.float64 and not m.config.bias and m.config.input_mode == "one_hot"
    tr = trace(m, "hello world")
    x = nn.functional.one_hot(torch.tensor([chars.index(ch) for ch in "hello world"]), len(chars)).double()
    assert_matches(tr, lstm, x)


def test_several_lstms_need_module(tmp_path):
    torch.manual_seed(4)
    enc, dec = nn.LSTM(4, 6), nn.LSTM(6, 5, bidirectional=True)
    torch.save({"encoder_lstm." + k: v for k, v in enc.state_dict().items()}
               | {"decoder_lstm." + k: v for k, v in dec.state_dict().items()}, tmp_path / "two.pt")
    with pytest.raises(CheckpointError, match=r"holds 2 LSTMs: 'encoder_lstm'.*'decoder_lstm'.*--module"):
        load_model(tmp_path / "two.pt")
    m = load_model(tmp_path / "two.pt", module="decoder_lstm")
    x = torch.randn(9, 6)
    assert_matches(trace(m, x.numpy()), dec.eval(), x)


@pytest.mark.parametrize("make, cell", [
    (lambda: nn.GRU(4, 5), "gru"),
    (lambda: nn.GRUCell(4, 5), "gru"),
    (lambda: nn.RNN(4, 5, 2), "rnn"),
])
def test_gru_and_rnn_open_as_themselves_never_as_an_lstm(tmp_path, make, cell):
    torch.manual_seed(0)
    module = make().eval()
    torch.save(module.state_dict(), tmp_path / "rnn.pt")
    m = load_model(tmp_path / "rnn.pt")
    assert m.config.cell == cell
    x = torch.randn(7, 4)
    tr = trace(m, x.numpy())
    with torch.no_grad():
        if isinstance(module, nn.GRUCell):
            h, out = torch.zeros(5), []
            for t in range(len(x)):
                h = module(x[t], h)
                out.append(h)
            want = torch.stack(out)  # (T, 5)
        else:
            want = module(x)[0]  # (T, 5): the last layer's output
    np.testing.assert_allclose(tr.get("hidden", m.config.num_layers - 1), want.numpy(), atol=1e-5)


def test_whole_pickled_module_read_without_its_code_and_loaded_when_trusted(tmp_path):
    model, words = word_model()
    torch.save(model, tmp_path / "model.pt")  # as word_language_model's main.py does
    m = load_model(tmp_path / "model.pt", vocab=words)  # read without running code: no --trust needed
    assert any("whole pickled model" in n and "RNNModel" in n and "without running its code" in n
               for n in (m.layout, *m.notes))  # info prints both
    assert_matches(trace(m, "the cat"), model.rnn, model.encoder(torch.tensor([2, 3])))
    m = load_model(tmp_path / "model.pt", vocab=words, trust=True)
    assert "whole pickled RNNModel (trusted)" in m.layout
    assert_matches(trace(m, "the cat"), model.rnn, model.encoder(torch.tensor([2, 3])))


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):  # unpickling this creates a file
        return (open, (self.target, "w"))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_malicious_pickle_never_runs(tmp_path, writer):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    if writer == "torch":
        torch.save({"state_dict": _Evil(str(target))}, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(_Evil(str(target)), f)
    with pytest.raises(CheckpointError, match=r"io\.open.*without running"):  # an inert placeholder
        load_model(path)
    assert not target.exists()
    # The file really is dangerous: a plain unpickler would have created it.
    if writer == "pickle":
        with open(path, "rb") as f:
            pickle.load(f).close()
        assert target.exists()
        os.unlink(target)


def test_vocab_from_file_that_does_not_fit_the_embedding(tmp_path):
    model, words = word_model()
    torch.save({"model_state_dict": model.state_dict(), "vocab": words[:-2]}, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"the file's vocab has 8 tokens but the embedding 'encoder.weight' "
                                              r"has 10 rows"):
        load_model(tmp_path / "m.pt")
    (tmp_path / "v.json").write_text(json.dumps(words))
    assert load_model(tmp_path / "m.pt", vocab=tmp_path / "v.json").vocab.tokens == tuple(words)


def test_equal_size_lstm_cells_chain_into_one_stack(tmp_path):
    torch.manual_seed(5)
    cells = nn.ModuleDict({"lstm1": nn.LSTMCell(6, 8), "lstm2": nn.LSTMCell(8, 8), "fc": nn.Linear(8, 3)}).eval()
    torch.save(cells.state_dict(), tmp_path / "cells.pt")
    m = load_model(tmp_path / "cells.pt")
    assert m.config.num_layers == 2 and any("one 2-layer stack" in n for n in m.notes)
    one = load_model(tmp_path / "cells.pt", module="lstm2")  # --module still picks one layer
    assert one.config.num_layers == 1 and one.config.input_size == 8
    x = torch.randn(7, 6)
    tr = trace(m, x.numpy())
    h = [torch.zeros(1, 8)] * 2
    c = [torch.zeros(1, 8)] * 2
    with torch.no_grad():
        for t in range(len(x)):  # the hand-rolled loop such a model runs
            h[0], c[0] = cells["lstm1"](x[t:t + 1], (h[0], c[0]))
            h[1], c[1] = cells["lstm2"](h[0], (h[1], c[1]))
            for layer in range(2):
                np.testing.assert_allclose(tr.get("hidden", layer)[t], h[layer][0].numpy(), atol=ATOL)
                np.testing.assert_allclose(tr.get("cell", layer)[t], c[layer][0].numpy(), atol=ATOL)


def test_several_lstms_error_carries_the_choices(tmp_path):
    torch.manual_seed(4)
    enc, dec = nn.LSTM(4, 6), nn.LSTM(6, 5, bidirectional=True)
    sd = {"encoder_lstm." + k: v for k, v in enc.state_dict().items()}
    sd |= {"decoder_lstm." + k: v for k, v in dec.state_dict().items()}
    with pytest.raises(ModuleChoiceError) as err:
        import_checkpoint(sd, path="two.pt")
    assert err.value.choices == ("encoder_lstm", "decoder_lstm") and not err.value.chain
    assert err.value.descriptions[1] == "1-layer LSTM, 6 -> 5 units, bidirectional"
    # The app's parser of today's message still finds them (until it reads .choices).
    assert re.findall(r"'([^']+)' \(", str(err.value).split("LSTMs:", 1)[1].split("; pick one", 1)[0]) == \
        ["encoder_lstm", "decoder_lstm"]


def test_vocab_size_error_carries_both_sizes():
    model, words = word_model()
    with pytest.raises(VocabSizeError) as err:
        import_checkpoint({"model_state_dict": model.state_dict(), "vocab": words[:-2]}, path="m.pt")
    assert (err.value.vocab_size, err.value.expected) == (8, 10)


def test_ambiguous_embedding_is_said_not_guessed():
    torch.manual_seed(6)
    lstm = nn.LSTM(4, 5)
    sd = {"rnn." + k: v for k, v in lstm.state_dict().items()}
    sd["word_emb.weight"], sd["char_emb.weight"] = torch.randn(10, 4), torch.randn(12, 4)
    m = import_checkpoint(sd, path="m.pt")
    assert not m.config.embedding and m.config.input_mode == "vectors"
    assert any(n.startswith("ambiguous: ") and "the embedding" in n for n in m.notes)
    with pytest.raises(InputError, match="input vectors"):
        trace(m, np.array([1, 2, 3]))


def test_unnamed_matrix_of_the_right_shape_is_no_embedding_or_decoder():
    torch.manual_seed(7)
    lstm = nn.LSTM(4, 5)
    sd = {"rnn." + k: v for k, v in lstm.state_dict().items()}
    sd["attn.W"] = torch.randn(10, 4)  # right width for an embedding, wrong place
    sd["attention.weight"], sd["attention.bias"] = torch.randn(10, 5), torch.randn(10)  # reads h, but attention
    m = import_checkpoint(sd, path="m.pt")
    assert not m.config.embedding and not m.config.decoder and m.config.vocab_size == 0


def test_weight_drop_raw_and_plain_copy_must_agree():
    lstm = nn.LSTM(3, 4)
    sd = {"rnns.0.module." + k: v for k, v in lstm.state_dict().items()}
    sd["rnns.0.module.weight_hh_l0_raw"] = torch.randn(16, 4, dtype=torch.float64)
    with pytest.raises(CheckpointError, match="should be the same weight"):
        import_checkpoint(sd, path="m.pt")
    sd["rnns.0.module.weight_hh_l0_raw"] = torch.randn(16, 4)  # fastai: the raw one on the wrapper
    del sd["rnns.0.module.weight_hh_l0_raw"]
    sd["rnns.0.weight_hh_l0_raw"] = raw = torch.randn(16, 4)
    m = import_checkpoint(sd, path="m.pt")
    assert torch.equal(m.model.rnn.weight_hh_l0, raw) and m.layout.startswith("nn.LSTM under 'rnns.0.module.'")


def test_a_pickle_that_refers_to_itself_ends():
    from lstm_viz.core.pickled import Pickled

    lstm = nn.LSTM(3, 4)
    mods = {"rnn": None}
    root = Pickled("model.Net", state={"_parameters": {}, "_buffers": {}, "_modules": mods, "me": None})
    inner = Pickled("torch.nn.modules.rnn.LSTM", state={"_parameters": dict(lstm.named_parameters()),
                                                        "_buffers": {}, "_modules": {"loop": root, "again": root}})
    mods["rnn"] = inner
    root.state["me"] = {"back": root, "d": {"deeper": root}}
    m = import_checkpoint([root, {"epoch": 1}], path="loop.pt")
    assert m.config.hidden_size == 4 and m.layout.startswith("nn.LSTM under 'rnn.'")
    d = {"epoch": 1}
    d["self"] = d
    d["net"] = {"inner": d, "lstm": root}
    assert import_checkpoint(d, path="loop.pt").config.hidden_size == 4


def test_unnamed_vocab_found_only_when_its_size_is_the_embeddings():
    model, words = word_model()
    sd = model.state_dict()
    m = import_checkpoint({"state_dict": sd, "hyper_parameters": {"alphabet_list": list(words), "other": ["x", "y"]}},
                          path="m.ckpt")
    assert m.vocab.tokens == tuple(words) and any("'alphabet_list'" in n for n in m.notes)
    m = import_checkpoint({"state_dict": sd, "names": list(words[:-1])}, path="m.ckpt")  # 9 strings, 10 rows
    assert m.vocab is None


def test_chains_named_by_a_middle_index_and_a_stack_picked_by_its_name():
    torch.manual_seed(8)
    blocks = [nn.LSTM(4, 5), nn.LSTM(5, 5), nn.LSTM(5, 5)]
    sd = {f"layers.{k}.lstm.{n}": v for k, b in enumerate(blocks) for n, v in b.state_dict().items()}
    m = import_checkpoint(sd, path="m.pt")
    assert m.config.num_layers == 3 and m.layout.startswith("3 nn.LSTM modules 'layers.0.lstm'")
    assert import_checkpoint(sd, path="m.pt", module="layers.lstm").config.num_layers == 3
    assert import_checkpoint(sd, path="m.pt", module="layers.1.lstm").config.num_layers == 1
    x = torch.randn(5, 4)
    tr = trace(m, x.numpy())
    with torch.no_grad():
        y = x
        for k, b in enumerate(blocks):
            y = b(y)[0]
            np.testing.assert_allclose(tr.get("hidden", k), y.numpy(), atol=ATOL)


def test_a_stack_it_cannot_join_asked_for_by_name_lists_its_layers():
    model = __import__("layout_models").AwdRNNModel("LSTM", 11, 4, 6, 3, wdrop=0.3, tie_weights=True)
    assert import_checkpoint(model.state_dict(), path="awd.pt", module="rnns").config.sizes == (6, 6, 4)
    sd = dict(model.state_dict())
    sd["rnns.1.module.weight_hh_l0_raw"] = sd["rnns.1.module.weight_hh_l0_raw"].double()
    sd = {k: v.double() if k.startswith("rnns.1.") else v for k, v in sd.items()}  # one layer in float64
    with pytest.raises(ModuleChoiceError, match="'rnns' is a stack of LSTMs whose layers differ in biases, "
                                                "directions, projections or precision") as err:
        import_checkpoint(sd, path="awd.pt", module="rnns")
    assert err.value.choices == ("rnns.0", "rnns.1", "rnns.2") and err.value.chain
    with pytest.raises(ModuleChoiceError) as err:
        import_checkpoint(sd, path="awd.pt")
    assert err.value.chain
