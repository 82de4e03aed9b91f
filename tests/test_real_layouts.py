"""Checkpoints saved exactly as public projects save them, loaded by lstm_viz and checked number by number.

The models (tests/layout_models.py) have the projects' own class shapes. Every traced quantity is compared
with the model's own forward (outputs, final states, next-token probabilities) and with a float64 loop of the
LSTM equations (gates). Whole pickles are given to the importer as the code-free reader's placeholder trees.
"""
import json

import numpy as np
import pytest
import torch
from torch import nn

from layout_models import (ATOL, AwdRNNModel, CharRNN, DecoderWithAttention, Encoder, LanguageModel,
                           SplitCrossEntropyLoss, WORDS, WordRNNModel, check_probs, check_stack, flair_model,
                           ids_of, reference, to_pickled, weights_of)
from lstm_viz.core.importer import import_checkpoint
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

# -- pytorch/examples word_language_model --------------------------------------------------------------------------
def word_model(rnn_type="LSTM", tie=True):
    torch.manual_seed(0)
    return WordRNNModel(rnn_type, len(WORDS), 6, 6, 2, dropout=0.2, tie_weights=tie).eval()


@pytest.mark.parametrize("saved", ["state_dict", "whole"])
def test_word_language_model(tmp_path, saved):
    model = word_model()
    (tmp_path / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    if saved == "state_dict":
        torch.save(model.state_dict(), tmp_path / "model.pt")
        m = load_model(tmp_path / "model.pt", vocab=tmp_path / "vocab.txt")
    else:  # main.py: torch.save(model, f)
        m = import_checkpoint(to_pickled(model), path="model.pt", vocab=Vocab.load(tmp_path / "vocab.txt"))
        assert "whole pickled model model.RNNModel, read without running its code" in m.layout
        assert m.metadata["rnn_type"] == "LSTM" and m.metadata["nhid"] == 6
    assert m.layout.startswith("nn.LSTM under 'rnn.' (word_language_model)")
    tr = trace(m, "the cat sat on a mat\n")
    ids = ids_of(tr.tokens, WORDS)
    with torch.no_grad():
        logits, _ = model(ids[:, None])
        check_stack(tr, [model.rnn], model.encoder(ids))
    check_probs(tr, logits)


def check_recurrent(tr, rnn: nn.Module, x: torch.Tensor) -> None:
    """A GRU or plain RNN: every layer's hidden state equals the module's own forward (1e-5)."""
    with torch.no_grad():
        layer_in = x[:, None]  # (T, 1, in)
        for k in range(rnn.num_layers):
            one = type(rnn)(layer_in.shape[-1], rnn.hidden_size, **({"nonlinearity": rnn.nonlinearity}
                                                                    if isinstance(rnn, nn.RNN) else {}))
            one.load_state_dict({f"{n}_l0": getattr(rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh",
                                                                                   "bias_ih", "bias_hh")})
            layer_in, _ = one.eval()(layer_in)  # (T, 1, H)
            np.testing.assert_allclose(tr.get("hidden", k), layer_in[:, 0].numpy(), atol=ATOL)


@pytest.mark.parametrize("rnn_type, nonlinearity", [("RNN_RELU", "relu"), ("RNN_TANH", "tanh"), ("GRU", None)])
def test_word_language_model_gru_and_rnn_traced_with_their_cell(rnn_type, nonlinearity):
    model = word_model(rnn_type)
    m = import_checkpoint(to_pickled(model), path="m.pt")  # a whole model says its nonlinearity itself
    assert m.config.cell == ("gru" if rnn_type == "GRU" else "rnn")
    if nonlinearity:
        assert m.config.nonlinearity == nonlinearity
    ids = torch.tensor([1, 4, 2, 0, 3, 3])
    tr = trace(m, ids.numpy())
    with torch.no_grad():
        logits, _ = model.eval()(ids[:, None])
        check_recurrent(tr, model.rnn, model.encoder(ids))
    check_probs(tr, logits)
    # a state_dict does not store the nonlinearity: tanh unless told
    assert import_checkpoint(word_model("RNN_RELU").state_dict(), path="m.pt").config.nonlinearity == "tanh"
    told = import_checkpoint(word_model("RNN_RELU").state_dict(), path="m.pt", nonlinearity="relu")
    assert told.config.nonlinearity == "relu"


# -- salesforce/awd-lstm-lm ----------------------------------------------------------------------------------------
def awd_model(ninp, nhid, wdrop=0.5, train_step=True):
    torch.manual_seed(1)
    model = AwdRNNModel("LSTM", len(WORDS), ninp, nhid, 3, wdrop=wdrop, tie_weights=True)
    if train_step:  # a training forward leaves a weight-dropped copy of weight_hh_l0 next to the raw one
        model.train()
        model(torch.tensor([[2], [3]]))
    return model.eval()


def awd_checkpoint(model, saved):
    criterion = SplitCrossEntropyLoss(model.ninp, splits=[])
    optimizer = torch.optim.SGD(model.parameters(), lr=30, weight_decay=1.2e-6)
    if saved == "state_dict":
        return model.state_dict()
    return to_pickled([model, criterion, optimizer])  # main.py: torch.save([model, criterion, optimizer], f)


@pytest.mark.parametrize("saved", ["state_dict", "whole"])
def test_awd_lstm_equal_sizes_is_one_stack_with_raw_weights(saved):
    model = awd_model(5, 5)
    assert not torch.equal(model.rnns[0].module.weight_hh_l0_raw, model.rnns[0].module._parameters["weight_hh_l0"])
    m = import_checkpoint(awd_checkpoint(model, saved), path="awd.pt", vocab=Vocab.from_tokens(WORDS))
    c = m.config
    assert (c.num_layers, c.hidden_size, c.input_mode, c.decoder) == (3, 5, "embedding", True)
    assert m.layout.startswith("3 nn.LSTM modules 'rnns.0', 'rnns.1', 'rnns.2' as one stack")
    assert "embedding 'encoder.weight'" in m.layout and "decoder 'decoder.weight'" in m.layout
    if saved == "whole":
        assert "item 0 of a list of 3 (RNNModel, SplitCrossEntropyLoss, SGD)" in m.layout
    tr = trace(m, "the dog ran far")
    ids = ids_of(tr.tokens, WORDS)
    with torch.no_grad():
        logits, _ = model(ids[:, None])
        check_stack(tr, list(model.rnns), model.encoder(ids))  # the raw weights, not the dropped copy
    check_probs(tr, logits)


@pytest.mark.parametrize("saved", ["state_dict", "whole"])
def test_awd_lstm_different_sizes_is_one_stack_each_layer_its_own_size(saved):
    model = awd_model(6, 10)  # 6 -> 10 -> 10 -> 6, like awd-lstm-lm's 400 -> 1150 -> 1150 -> 400
    ckpt = awd_checkpoint(model, saved)
    m = import_checkpoint(ckpt, path="awd.pt", vocab=Vocab.from_tokens(WORDS))
    c = m.config
    assert (c.num_layers, c.sizes, c.input_mode, c.decoder) == (3, (10, 10, 6), "embedding", True)
    assert m.layout.startswith("3 nn.LSTM modules 'rnns.0', 'rnns.1', 'rnns.2' as one stack")
    assert "embedding 'encoder.weight'" in m.layout and "decoder 'decoder.weight'" in m.layout
    if saved == "whole":
        assert "item 0 of a list of 3 (RNNModel, SplitCrossEntropyLoss, SGD)" in m.layout
    assert any("read as one 3-layer stack" in n for n in m.notes)
    tr = trace(m, "the dog ran far on a mat")
    assert [tr.units(k) for k in range(3)] == [10, 10, 6]
    ids = ids_of(tr.tokens, WORDS)
    with torch.no_grad():
        logits, _ = model(ids[:, None])
        check_stack(tr, list(model.rnns), model.encoder(ids))  # every quantity of every layer, raw weights
    check_probs(tr, logits)


@pytest.mark.parametrize("saved", ["state_dict", "whole"])
def test_awd_lstm_module_still_picks_one_layer_never_an_embedding(saved):
    model = awd_model(4, 6)  # 4 -> 6 -> 6 -> 4
    ckpt = awd_checkpoint(model, saved)
    first = import_checkpoint(ckpt, path="awd.pt", module="rnns.0", vocab=Vocab.from_tokens(WORDS))
    assert first.config.input_mode == "embedding" and not first.config.decoder
    assert any("'rnns.0' is layer 1 of the stack 'rnns.0', 'rnns.1', 'rnns.2'" in n for n in first.notes)
    middle = import_checkpoint(ckpt, path="awd.pt", module="rnns.1")
    assert middle.config.input_mode == "vectors" and not middle.config.embedding  # weight_hh_l0_raw is no embedding
    assert any("give input vectors (T, 6)" in n for n in middle.notes)
    with pytest.raises(Exception, match="input vectors"):  # token ids would be meaningless: refused
        trace(middle, np.array([1, 2, 3]))
    last = import_checkpoint(ckpt, path="awd.pt", module="rnns.2")
    assert last.config.decoder and last.config.vocab_size == len(WORDS)
    assert import_checkpoint(ckpt, path="awd.pt", module="rnns").config.sizes == (6, 6, 4)  # the stack by name
    ids = torch.tensor([2, 8, 9, 10])
    with torch.no_grad():
        x = model.encoder(ids)
        check_stack(trace(first, "the dog ran far"), [model.rnns[0]], x)
        h0 = model.rnns[0](x[:, None])[0][:, 0]
        check_stack(trace(middle, h0.numpy()), [model.rnns[1]], h0)


# -- spro/char-rnn.pytorch -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_char_rnn_whole_model(kind):
    torch.manual_seed(2)
    decoder = CharRNN(100, 8, 100, model=kind, n_layers=2).eval()  # train.py: torch.save(decoder, filename)
    m = import_checkpoint(to_pickled(decoder), path="shakespeare.pt")
    assert m.config.cell == kind
    assert m.vocab is None and any("string.printable" in n for n in m.notes)
    ids = torch.tensor([17, 4, 11, 11, 14])
    tr = trace(m, ids.numpy())
    hidden, logits = None, []
    with torch.no_grad():
        for t in range(len(ids)):  # generate.py feeds one character at a time
            out, hidden = decoder(ids[t:t + 1], hidden)
            logits.append(out)
        (check_recurrent(tr, decoder.rnn, decoder.encoder(ids)) if kind == "gru"
         else check_stack(tr, [decoder.rnn], decoder.encoder(ids)))
    check_probs(tr, torch.cat(logits))


# -- flairNLP/flair --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nout", [None, 4])
def test_flair_language_model_save(tmp_path, nout):
    lm = flair_model(nout=nout)
    ckpt = {"state_dict": lm.state_dict(), "dictionary": lm.dictionary, "is_forward_lm": True, "hidden_size": 7,
            "nlayers": 1, "embedding_size": 5, "nout": nout, "document_delimiter": "\n", "dropout": 0.1}
    m = import_checkpoint(to_pickled(ckpt), path="best-lm.pt")
    assert m.vocab.tokens == tuple(b.decode() for b in lm.dictionary.idx2item) and m.vocab.level == "char"
    assert not m.config.reads_backward
    if nout:
        assert any("projection 'proj' (7 -> 4)" in n and "folded" in n for n in m.notes)
    text = "bad café\nhag"
    tr = trace(m, text)
    ids = torch.tensor([lm.dictionary.item2idx[ch.encode()] for ch in text])
    with torch.no_grad():
        logits, _, _ = lm(ids[:, None])
        check_stack(tr, [lm.rnn], lm.encoder(ids))
    check_probs(tr, logits)


def test_flair_backward_language_model_reads_right_to_left():
    lm = flair_model(is_forward_lm=False)
    ckpt = {"state_dict": lm.state_dict(), "dictionary": lm.dictionary, "is_forward_lm": False, "hidden_size": 7,
            "nlayers": 1, "embedding_size": 5, "nout": None, "document_delimiter": "\n", "dropout": 0.1}
    for obj in (to_pickled(ckpt), to_pickled(lm)):  # LanguageModel.save(), and the model inside a pickle
        m = import_checkpoint(obj, path="news-backward.pt")
        assert m.config.reads_backward and any("right to left" in n for n in m.notes)
        assert "(flair LanguageModel)" in m.layout and m.metadata["document_delimiter"] == "\\n"


# -- PyTorch Lightning ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ["itos", "stoi", "vocab", "char2idx", "word2idx", "idx2word"])
def test_lightning_checkpoint_with_vocab_in_hyper_parameters(entry):
    model = word_model(tie=False)
    vocab = {"stoi": {w: i for i, w in enumerate(WORDS)}, "char2idx": {w: i for i, w in enumerate(WORDS)},
             "word2idx": {w: i for i, w in enumerate(WORDS)}}.get(entry, list(WORDS))
    if entry == "idx2word":
        vocab = {i: w for i, w in enumerate(WORDS)}
    opt = torch.optim.Adam(model.parameters())
    ckpt = {"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.4.0",
            "state_dict": {"model." + k: v for k, v in model.state_dict().items()},
            "loops": {"fit_loop": {"epoch_progress": {"current": {"completed": 3}}}},
            "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": torch.tensor(4.2)}},
            "optimizer_states": [opt.state_dict()], "lr_schedulers": [], "hparams_name": "kwargs",
            "hyper_parameters": {"lr": 1e-3, "hidden": 6, entry: vocab}}
    m = import_checkpoint(to_pickled(ckpt), path="epoch=3.ckpt")
    assert m.vocab is not None and m.vocab.tokens == tuple(WORDS)
    assert "PyTorch Lightning checkpoint 2.4.0" in m.layout and m.metadata["epoch"] == 3
    assert m.layout.startswith("nn.LSTM under 'model.rnn.'")
    tr = trace(m, "a dog sat")
    ids = ids_of(tr.tokens, WORDS)
    with torch.no_grad():
        logits, _ = model(ids[:, None])
        check_stack(tr, [model.rnn], model.encoder(ids))
    check_probs(tr, logits)


# -- image captioning --------------------------------------------------------------------------------------------------
def test_captioning_checkpoint_takes_fc_not_the_attention_projection(tmp_path):
    torch.manual_seed(4)
    words = ["<pad>", "a", "man", "rides", "horse", "dog", "<unk>", "<start>", "<end>"]
    decoder = DecoderWithAttention(attention_dim=len(words), embed_dim=4, decoder_dim=7, vocab_size=len(words)).eval()
    opt = torch.optim.Adam(decoder.parameters())
    state = {"epoch": 12, "epochs_since_improvement": 2, "bleu-4": 0.21, "encoder": Encoder(), "decoder": decoder,
             "encoder_optimizer": None, "decoder_optimizer": opt}  # utils.save_checkpoint
    (tmp_path / "WORDMAP.json").write_text(json.dumps({w: i for i, w in enumerate(words)}))
    m = import_checkpoint(to_pickled(state), path="BEST_checkpoint.pth.tar",
                          vocab=Vocab.load(tmp_path / "WORDMAP.json"))
    assert m.layout.startswith("nn.LSTMCell under 'decoder.decode_step.'")
    assert "decoder 'decoder.fc.weight'" in m.layout and "attention" not in m.layout
    assert "modules 'encoder', 'decoder' of a dict" in m.layout
    assert any("'decoder.embedding.weight' (9, 4) is only part of" in n for n in m.notes)
    assert m.config.input_mode == "vectors" and m.config.input_size == 10 and m.vocab.tokens == tuple(words)
    x = torch.randn(6, 10)
    tr = trace(m, x.numpy())
    h = c = torch.zeros(1, 7)
    with torch.no_grad():
        ref = reference(weights_of(decoder.decode_step, cell=True), x)
        for t in range(len(x)):
            h, c = decoder.decode_step(x[t:t + 1], (h, c))
            np.testing.assert_allclose(tr["hidden_l0"][t], h[0].numpy(), atol=ATOL)
            np.testing.assert_allclose(tr["cell_l0"][t], c[0].numpy(), atol=ATOL)
    for q, v in ref.items():
        np.testing.assert_allclose(tr.get(q, 0), v, atol=ATOL)
