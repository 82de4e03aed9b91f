"""Every file format a checkpoint arrives in: what loads, what it reads as, and the one line for the rest."""
from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.cli import main
from lstm_viz.core.errors import CheckpointError
from lstm_viz.core.loading import load_model, read_checkpoint
from lstm_viz.core.trace import trace

VOCAB = list("abcdefg")


class RNNModel(nn.Module):  # pytorch/examples word_language_model's names, scriptable
    def __init__(self, tie=False):
        super().__init__()
        self.encoder = nn.Embedding(7, 6)
        self.rnn = nn.LSTM(6, 6, 2)
        self.decoder = nn.Linear(6, 7)
        if tie:
            self.decoder.weight = self.encoder.weight
        self.nhid = 6

    def forward(self, ids):
        out, _ = self.rnn(self.encoder(ids))
        return self.decoder(out)


def same_numbers(loaded, model: RNNModel, text="abcagfed"):
    """The loaded model's trace equals the source model's own LSTM output, and its decoder the model's."""
    tr = trace(loaded, text)
    ids = torch.tensor([VOCAB.index(c) for c in text])
    with torch.no_grad():
        y, _ = model.rnn(model.encoder(ids))
        logits = model.decoder(y)
    np.testing.assert_allclose(tr.get("hidden", 1, False), y.numpy(), atol=1e-5)
    np.testing.assert_allclose(tr["probs"], torch.softmax(logits, -1).numpy(), atol=1e-5)


def test_state_dict_with_pickle_protocol_4_loads(tmp_path):
    model = RNNModel()
    torch.save(model.state_dict(), tmp_path / "p4.pt", pickle_protocol=4)
    same_numbers(load_model(tmp_path / "p4.pt", vocab=VOCAB), model)


def test_info_names_a_whole_pickled_model_read_without_its_code(tmp_path, capsys):
    model = RNNModel()
    torch.save(model, tmp_path / "whole.pt")
    (tmp_path / "v.json").write_text(json.dumps(VOCAB))
    assert main(["info", str(tmp_path / "whole.pt"), "--vocab", str(tmp_path / "v.json")]) == 0
    out = capsys.readouterr().out
    assert "whole pickled model" in out and "RNNModel, read without running its code" in out
    same_numbers(load_model(tmp_path / "whole.pt", vocab=VOCAB), model)


def test_trust_means_a_real_torch_load(tmp_path, monkeypatch):
    model = RNNModel()
    torch.save(model, tmp_path / "whole.pt")
    calls = []
    real = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **kw: calls.append(kw.get("weights_only")) or real(*a, **kw))
    loaded = load_model(tmp_path / "whole.pt", vocab=VOCAB, trust=True)
    assert calls == [False] and "(trusted)" in loaded.layout
    calls.clear()
    load_model(tmp_path / "whole.pt", vocab=VOCAB)
    assert calls == []  # without trust, torch.load is never called


# -- safetensors -------------------------------------------------------------------------------------------------
def test_safetensors_state_dict_and_metadata(tmp_path):
    from safetensors.torch import save_file

    model = RNNModel()
    save_file(model.state_dict(), tmp_path / "m.safetensors", metadata={"epoch": "3", "format": "pt"})
    read = read_checkpoint(tmp_path / "m.safetensors")
    assert read.format == "safetensors" and read.obj["__metadata__"] == {"epoch": "3", "format": "pt"}
    for k, v in model.state_dict().items():
        assert torch.equal(read.obj[k], v)
    same_numbers(load_model(tmp_path / "m.safetensors", vocab=VOCAB), model)


def test_tied_model_saved_with_save_model_gets_its_embedding_back(tmp_path):
    from safetensors.torch import save_model

    model = RNNModel(tie=True)
    save_model(model, str(tmp_path / "tied.safetensors"))
    raw = (tmp_path / "tied.safetensors").read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert "encoder.weight" not in header and header["__metadata__"] == {"encoder.weight": "decoder.weight"}
    loaded = load_model(tmp_path / "tied.safetensors", vocab=VOCAB)
    assert any("'encoder.weight' is the tied 'decoder.weight'" in n for n in loaded.notes)
    assert torch.equal(loaded.model.encoder.weight, model.encoder.weight)
    same_numbers(loaded, model)


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_damaged_safetensors_is_one_line(tmp_path, damage):
    from safetensors.torch import save_file

    save_file(RNNModel().state_dict(), tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    bad = raw[:len(raw) // 2] if damage == "truncate" else raw[:8] + b"{" + b"\0" * 20 + raw[29:]
    (tmp_path / "bad.safetensors").write_bytes(bad)
    with pytest.raises(CheckpointError) as err:
        load_model(tmp_path / "bad.safetensors")
    assert "\n" not in str(err.value) and "safetensors" in str(err.value)


# -- TorchScript and torch.export ----------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")  # how such files are made, not how they are read
def test_torchscript_archive_reads_its_weights_without_its_code(tmp_path, monkeypatch):
    model = RNNModel()
    torch.jit.save(torch.jit.script(model), tmp_path / "scripted.pt")
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: pytest.fail("torch.jit.load must not run"))
    read = read_checkpoint(tmp_path / "scripted.pt")
    root = read.obj
    assert read.format == "torchscript" and read.note.startswith("TorchScript archive of test_loading_formats.RNNModel")
    assert root.is_module and root.get("nhid") == 6
    rnn = root.get("rnn")  # constants come from the code's `Final` declarations, parsed, never run
    assert rnn.name == "torch.nn.modules.rnn.LSTM" and rnn.get("hidden_size") == 6 and rnn.get("num_layers") == 2
    ref = model.state_dict()
    sd = root.state_dict()
    assert list(sd) == list(ref) and all(torch.equal(sd[k], ref[k]) for k in ref)
    same_numbers(load_model(tmp_path / "scripted.pt", vocab=VOCAB), model)
    same_numbers(load_model(tmp_path / "scripted.pt", vocab=VOCAB, trust=True), model)  # same reader


def test_torch_export_program_is_named_in_one_line(tmp_path):
    ep = torch.export.export(nn.Sequential(nn.Linear(3, 4)), (torch.randn(2, 3),))
    torch.export.save(ep, tmp_path / "m.pt2")
    for trust in (False, True):
        with pytest.raises(CheckpointError) as err:
            load_model(tmp_path / "m.pt2", trust=trust)
        msg = str(err.value)
        assert "\n" not in msg and "torch.export program (.pt2)" in msg and "state_dict()" in msg


def test_oldest_tar_format_is_named_in_one_line(tmp_path):
    path = tmp_path / "old.pt"
    with tarfile.open(path, "w") as tar:
        for name in ("sys_info", "pickle", "storages", "tensors"):
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"\x00"))
    with pytest.raises(CheckpointError, match="oldest checkpoint format") as err:
        load_model(path)
    assert "\n" not in str(err.value)
    with pytest.raises(CheckpointError, match="could not unpickle the trusted file"):  # torch.load tried it
        load_model(path, trust=True)


@pytest.mark.parametrize("data", [b"PK\x03\x04 not a zip", b"\x80\x02K\x01.", b"hello", b"\x80\x04\x95"])
def test_other_files_are_one_line(tmp_path, data):
    (tmp_path / "x.pt").write_bytes(data)
    with pytest.raises(CheckpointError) as err:
        load_model(tmp_path / "x.pt")
    assert "\n" not in str(err.value) and str(tmp_path / "x.pt") in str(err.value)
