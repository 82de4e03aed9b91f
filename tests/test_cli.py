"""The headless commands as a user meets them: `lstm-viz info`, `lstm-viz trace`, and every kind of bad input
(one stderr line naming the file and the problem, exit status 2, no traceback)."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.cli import main
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.vocab import Vocab


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    torch.manual_seed(0)
    vocab = Vocab.from_text("abc hello")
    model = LSTMLanguageModel(ModelConfig(input_size=5, hidden_size=6, num_layers=2, bidirectional=True,
                                          vocab_size=len(vocab))).eval()
    save_checkpoint(d / "ours.pt", model, vocab, {"corpus": "tiny", "steps": 3})
    lstm = nn.LSTM(4, 3)
    torch.save(lstm.state_dict(), d / "bare.pt")
    raw = (d / "bare.pt").read_bytes()
    (d / "truncated.pt").write_bytes(raw[: len(raw) // 2])
    (d / "corrupt.pt").write_bytes(b"\x00garbage" * 50)
    (d / "empty.pt").write_bytes(b"")
    torch.save({"fc.weight": torch.zeros(3, 4), "fc.bias": torch.zeros(3)}, d / "nolstm.pt")
    sd = nn.LSTM(4, 3, num_layers=2).state_dict()
    sd["weight_hh_l1"] = torch.zeros(12, 5)
    torch.save(sd, d / "inconsistent.pt")
    unreadable = d / "unreadable.pt"
    unreadable.write_bytes(raw)
    unreadable.chmod(0)
    (d / "vocab3.txt").write_text("a\nb\nc\n")
    (d / "latin1.txt").write_bytes("café".encode("latin-1"))
    (d / "empty.txt").write_text("")
    np.save(d / "wide.npy", np.zeros((5, 7), np.float32))
    (d / "notnpy.npy").write_bytes(b"not numpy")
    return d, model, vocab, lstm


def one_error(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_info_describes_our_checkpoint(files, capsys):
    d, *_ = files
    assert main(["info", str(d / "ours.pt")]) == 0
    out = capsys.readouterr().out
    for line in ("layout: lstm_viz checkpoint v1", "layers: 2", "hidden size: 6", "direction: bidirectional",
                 "projection: none", "input: embedding (5 per step)", "corpus: tiny", "steps: 3",
                 f"vocab: {len(files[2])} char tokens"):
        assert line in out, out


def test_info_describes_a_foreign_state_dict(files, capsys):
    d, *_ = files
    assert main(["info", str(d / "bare.pt")]) == 0
    out = capsys.readouterr().out
    assert "layout: nn.LSTM at the top level" in out and "input: vectors (4 per step)" in out


def test_trace_writes_the_readme_keys_with_nn_lstm_values(files, tmp_path, capsys):
    d, model, vocab, _ = files
    out = tmp_path / "t.npz"
    assert main(["trace", str(d / "ours.pt"), "--text", "hello abcz", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 tokens not in the vocab" in err and "'z'" in err
    z = np.load(out)
    per_layer = ["input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"]
    expected = {"tokens", "token_ids", "probs", "loss", "vocab", "unknown", "npz_version", "cell_type",
                "reads_backward"}
    expected |= {f"{q}_l{layer}{r}" for q in per_layer for layer in (0, 1) for r in ("", "_reverse")}
    assert set(z.files) == expected
    assert list(z["tokens"]) == list("hello abcz") and list(z["unknown"]) == [9]
    ids = torch.from_numpy(z["token_ids"])
    assert ids[9] == vocab.unk_id
    with torch.no_grad():
        y, (h_n, c_n) = model.rnn(model.encoder(ids))  # (T, 2*6)
        probs = torch.softmax(model.decoder(y), -1)
    np.testing.assert_allclose(np.concatenate([z["hidden_l1"], z["hidden_l1_reverse"]], 1), y, atol=1e-5)
    np.testing.assert_allclose(z["cell_l0"][-1], c_n[0], atol=1e-5)
    np.testing.assert_allclose(z["cell_l0_reverse"][0], c_n[1], atol=1e-5)
    np.testing.assert_allclose(z["probs"], probs, atol=1e-5)
    assert z["forget_gate_l0"].dtype == np.float32 and z["forget_gate_l0"].shape == (10, 6)
    p = probs.numpy()
    assert np.isnan(z["loss"][0]) and np.isnan(z["loss"][9])
    np.testing.assert_allclose(z["loss"][3], -np.log(p[2, ids[3]]), rtol=1e-5)


def test_trace_input_vectors(files, tmp_path, capsys):
    d, _, _, lstm = files
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert main(["trace", str(d / "bare.pt"), "--inputs", str(tmp_path / "x.npy"), "-o",
                 str(tmp_path / "t.npz")]) == 0
    with torch.no_grad():
        y, _ = lstm(torch.from_numpy(x))
    np.testing.assert_allclose(np.load(tmp_path / "t.npz")["hidden_l0"], y, atol=1e-5)


@pytest.mark.parametrize("args, needles", [
    (["info", "{d}/missing.pt"], ["missing.pt", "no such file"]),
    (["info", "{d}/unreadable.pt"], ["unreadable.pt", "cannot read"]),
    (["info", "{d}/empty.pt"], ["empty.pt", "file is empty"]),
    (["info", "{d}/truncated.pt"], ["truncated.pt", "truncated or corrupt"]),
    (["info", "{d}/corrupt.pt"], ["corrupt.pt", "truncated or corrupt"]),
    (["info", "{d}/nolstm.pt"], ["nolstm.pt", "no LSTM weights found", "'fc.weight'"]),
    (["info", "{d}/inconsistent.pt"], ["inconsistent.pt", "'weight_hh_l1' has shape (12, 5), expected (12, 3)"]),
    (["info", "{d}", "--vocab", "{d}/vocab3.txt"], ["is a folder"]),
    (["trace", "{d}/ours.pt", "--vocab", "{d}/vocab3.txt", "--text", "a", "-o", "{d}/o.npz"],
     ["ours.pt", "own vocab"]),
    (["trace", "{d}/ours.pt", "--text", "", "-o", "{d}/o.npz"], ["--text", "empty"]),
    (["trace", "{d}/ours.pt", "--text-file", "{d}/empty.txt", "-o", "{d}/o.npz"], ["empty.txt", "empty"]),
    (["trace", "{d}/ours.pt", "--text-file", "{d}/latin1.txt", "-o", "{d}/o.npz"], ["latin1.txt", "not UTF-8"]),
    (["trace", "{d}/ours.pt", "--text-file", "{d}/nothere.txt", "-o", "{d}/o.npz"], ["nothere.txt", "no such file"]),
    (["trace", "{d}/bare.pt", "--inputs", "{d}/wide.npy", "-o", "{d}/o.npz"], ["wide.npy", "7 features", "reads 4"]),
    (["trace", "{d}/bare.pt", "--inputs", "{d}/notnpy.npy", "-o", "{d}/o.npz"], ["notnpy.npy", "not a .npy"]),
    (["trace", "{d}/bare.pt", "--inputs", "{d}/none.npy", "-o", "{d}/o.npz"], ["none.npy", "no such file"]),
    (["trace", "{d}/bare.pt", "--text", "hi", "-o", "{d}/o.npz"], ["bare.pt", "reads input vectors"]),
    (["trace", "{d}/ours.pt", "--text", "hi", "-o", "{d}/nofolder/o.npz"], ["o.npz", "does not exist"]),
])
def test_bad_input_is_one_line_and_status_2(files, capsys, args, needles):
    d = files[0]
    if "unreadable" in args[1] and _root():
        pytest.skip("root can read any file")
    one_error(capsys, [a.format(d=d) for a in args], *needles)
    assert not (d / "o.npz").exists()


def _root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def test_vocab_not_fitting_the_embedding(tmp_path, capsys):
    torch.manual_seed(0)
    emb, lstm, dec = nn.Embedding(10, 4), nn.LSTM(4, 5), nn.Linear(5, 10)
    sd = {"embedding.weight": emb.weight} | {f"lstm.{k}": v for k, v in lstm.state_dict().items()}
    torch.save(sd | {"fc.weight": dec.weight, "fc.bias": dec.bias}, tmp_path / "m.pt")
    (tmp_path / "v.txt").write_text("a\nb\nc\n")
    one_error(capsys, ["trace", str(tmp_path / "m.pt"), "--vocab", str(tmp_path / "v.txt"), "--text", "abc", "-o",
                       str(tmp_path / "o.npz")], "m.pt", "v.txt has 3 tokens", "'embedding.weight' has 10 rows")


def test_subprocess_python_m_errors_and_info(files):
    d, *_ = files
    r = subprocess.run([sys.executable, "-m", "lstm_viz", "info", str(d / "corrupt.pt")], capture_output=True,
                       text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "corrupt.pt" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "lstm_viz", "info", str(d / "ours.pt")], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "layers: 2" in r.stdout, r.stderr


def test_trace_without_checkpoint_uses_the_demo_model_or_says_it_is_missing(tmp_path, capsys):
    from lstm_viz.resources import DEMO_MODEL

    out = tmp_path / "demo.npz"
    status = main(["trace", "--text", "hello", "-o", str(out)])
    err = capsys.readouterr().err
    if DEMO_MODEL.exists():
        assert status == 0 and "hidden_l0" in np.load(out).files, err
    else:
        assert status == 2 and "demo model" in err and err.count("\n") == 1 and not out.exists()
