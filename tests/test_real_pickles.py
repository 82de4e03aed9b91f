"""Whole pickles written exactly as the projects write them, opened by load_model without their code.

Each file is saved while the project's classes are importable under their real module names (``model``,
``flair.data`` ...); those modules are gone before loading, so nothing in the file can be imported or run.
The numbers are then checked as in test_real_layouts.
"""
import importlib
import json

import numpy as np
import pytest
import torch

from layout_models import (AwdRNNModel, CharRNN, DecoderWithAttention, Dictionary, Encoder, LanguageModel,
                           LockedDropout, SplitCrossEntropyLoss, WORDS, WeightDrop, WordRNNModel, check_probs,
                           check_stack, fake_modules, flair_model, ids_of)
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace

pytest.importorskip("lstm_viz.core.safe_pickle", reason="needs the code-free checkpoint reader")


def saved(path, obj, *classes, **kwargs):
    with fake_modules(*classes):
        torch.save(obj, path, **kwargs)
    for cls in classes:  # the project's code is not importable when lstm_viz reads the file
        with pytest.raises(ImportError):
            importlib.import_module(cls.__module__)
    return path


def test_word_language_model_torch_save_model(tmp_path):
    torch.manual_seed(0)
    model = WordRNNModel("LSTM", len(WORDS), 6, 6, 2, dropout=0.2, tie_weights=True).eval()
    path = saved(tmp_path / "model.pt", model, WordRNNModel)
    m = load_model(path, vocab=list(WORDS))
    assert any("model.RNNModel" in n and "without running its code" in n for n in (m.layout, *m.notes))
    tr = trace(m, "the cat sat on a mat")
    ids = ids_of(tr.tokens, WORDS)
    with torch.no_grad():
        logits, _ = model(ids[:, None])
        check_stack(tr, [model.rnn], model.encoder(ids))
    check_probs(tr, logits)


def test_awd_lstm_model_criterion_optimizer_list(tmp_path):
    torch.manual_seed(1)
    model = AwdRNNModel("LSTM", len(WORDS), 5, 5, 3, wdrop=0.5, tie_weights=True)
    model.train()
    model(torch.tensor([[2], [3]]))
    model.eval()
    criterion = SplitCrossEntropyLoss(5, splits=[])
    optimizer = torch.optim.SGD(model.parameters(), lr=30)
    path = saved(tmp_path / "awd.pt", [model, criterion, optimizer], AwdRNNModel, WeightDrop, LockedDropout,
                 SplitCrossEntropyLoss)
    m = load_model(path, vocab=list(WORDS))
    assert m.config.num_layers == 3 and "item 0 of a list of 3" in m.layout
    tr = trace(m, "the dog ran far")
    ids = ids_of(tr.tokens, WORDS)
    with torch.no_grad():
        logits, _ = model(ids[:, None])
        check_stack(tr, list(model.rnns), model.encoder(ids))
    check_probs(tr, logits)
    torch.manual_seed(1)
    uneven = AwdRNNModel("LSTM", len(WORDS), 4, 6, 3, wdrop=0.5, tie_weights=True).eval()
    path = saved(tmp_path / "awd2.pt", [uneven, criterion, optimizer], AwdRNNModel, WeightDrop, LockedDropout,
                 SplitCrossEntropyLoss)
    m = load_model(path, vocab=list(WORDS))  # 4 -> 6 -> 6 -> 4: one stack, each layer its own size
    assert m.config.sizes == (6, 6, 4) and "item 0 of a list of 3" in m.layout
    tr = trace(m, "the dog ran far")
    with torch.no_grad():
        logits, _ = uneven(ids[:, None])
        check_stack(tr, list(uneven.rnns), uneven.encoder(ids))
    check_probs(tr, logits)
    assert load_model(path, module="rnns.1").config.input_mode == "vectors"


def test_char_rnn_torch_save_decoder(tmp_path):
    torch.manual_seed(2)
    decoder = CharRNN(100, 8, 100, model="lstm", n_layers=2).eval()
    m = load_model(saved(tmp_path / "shakespeare.pt", decoder, CharRNN))
    ids = torch.tensor([17, 4, 11, 11, 14])
    tr = trace(m, ids.numpy())
    with torch.no_grad():
        check_stack(tr, [decoder.rnn], decoder.encoder(ids))


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("how", ["save", "torch.save"])
def test_flair_language_model(tmp_path, forward, how):
    lm = flair_model(is_forward_lm=forward, nout=4)
    with fake_modules(Dictionary, LanguageModel):
        if how == "save":
            lm.save(tmp_path / "best-lm.pt")  # a dict with the pickled Dictionary, protocol 4
        else:  # the model inside a pickle: flair's __getstate__ stores the same dict
            torch.save(lm, tmp_path / "best-lm.pt", pickle_protocol=4)
    m = load_model(tmp_path / "best-lm.pt")
    assert m.vocab.tokens == tuple(b.decode() for b in lm.dictionary.idx2item)
    assert m.config.reads_backward == (not forward)
    if forward:
        text = "bad café\nhag"
        tr = trace(m, text)
        ids = torch.tensor([lm.dictionary.item2idx[ch.encode()] for ch in text])
        with torch.no_grad():
            logits, _, _ = lm(ids[:, None])
            check_stack(tr, [lm.rnn], lm.encoder(ids))
        check_probs(tr, logits)


def test_captioning_checkpoint(tmp_path):
    torch.manual_seed(4)
    words = ["<pad>", "a", "man", "rides", "horse", "dog", "<unk>", "<start>", "<end>"]
    decoder = DecoderWithAttention(attention_dim=len(words), embed_dim=4, decoder_dim=7, vocab_size=len(words)).eval()
    state = {"epoch": 12, "epochs_since_improvement": 2, "bleu-4": 0.21, "encoder": Encoder(), "decoder": decoder,
             "encoder_optimizer": None, "decoder_optimizer": torch.optim.Adam(decoder.parameters())}
    path = saved(tmp_path / "BEST_checkpoint.pth.tar", state, Encoder, DecoderWithAttention,
                 type(decoder.attention))
    (tmp_path / "WORDMAP.json").write_text(json.dumps({w: i for i, w in enumerate(words)}))
    m = load_model(path, vocab=tmp_path / "WORDMAP.json")
    assert "decoder 'decoder.fc.weight'" in m.layout and m.vocab.tokens == tuple(words)
    x = torch.randn(5, 10)
    tr = trace(m, x.numpy())
    h = c = torch.zeros(1, 7)
    with torch.no_grad():
        for t in range(len(x)):
            h, c = decoder.decode_step(x[t:t + 1], (h, c))
            np.testing.assert_allclose(tr["hidden_l0"][t], h[0].numpy(), atol=1e-5)
            np.testing.assert_allclose(tr["cell_l0"][t], c[0].numpy(), atol=1e-5)


def test_plain_state_dict_with_pickle_protocol_4(tmp_path):
    torch.manual_seed(5)
    lstm = torch.nn.LSTM(3, 4).eval()
    torch.save(lstm.state_dict(), tmp_path / "p4.pt", pickle_protocol=4)
    m = load_model(tmp_path / "p4.pt")
    x = torch.randn(6, 3)
    with torch.no_grad():
        check_stack(trace(m, x.numpy()), [lstm], x)


def test_the_readers_trees_keep_what_only_a_whole_model_knows(tmp_path):
    """read_checkpoint + import_checkpoint, as load_model does once it hands over the tree unconverted."""
    from lstm_viz.core.importer import import_checkpoint
    from lstm_viz.core.loading import read_checkpoint

    model = WordRNNModel("RNN_RELU", len(WORDS), 6, 6, 1, dropout=0.0).eval()
    path = saved(tmp_path / "relu.pt", model, WordRNNModel)
    rnn = import_checkpoint(read_checkpoint(path).obj, path=path)
    assert rnn.config.cell == "rnn" and rnn.config.nonlinearity == "relu"  # only the whole model says relu
    decoder = CharRNN(100, 8, 100, model="lstm").eval()
    m = import_checkpoint(read_checkpoint(saved(tmp_path / "c.pt", decoder, CharRNN)).obj, path="c.pt")
    assert "whole pickled model model.CharRNN" in m.layout and "word_language_model" not in m.layout
    assert any("string.printable" in n for n in m.notes) and m.metadata["model"] == "lstm"
