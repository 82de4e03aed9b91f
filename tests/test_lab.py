"""The long-range lab on a tiny setting: it runs end to end, the same seed gives the same numbers, close()
cancels at the next yield, its connectivity is the core's, and the CLI writes its files or answers in one line."""
import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.errors import InputError
from lstm_viz.core.gradients import connectivity
from lstm_viz.core.lab import LabConfig, copy_lines, lab_vocab, long_range, run_to_end
from lstm_viz.core.model import LoadedModel

TINY = dict(gaps=(2, 6), cells=("rnn", "gru", "lstm"), hidden_size=6, embed_size=4, steps=8, batch_size=4,
            eval_lines=16, grad_lines=4)


def test_runs_end_to_end_and_is_reproducible():
    outside = torch.get_rng_state()
    a = run_to_end(long_range(LabConfig(**TINY, seed=3)))
    assert torch.equal(torch.get_rng_state(), outside)  # the run keeps its own random state
    b = run_to_end(long_range(LabConfig(**TINY, seed=3)))
    c = run_to_end(long_range(LabConfig(**TINY, seed=4)))
    assert a.cells == ("rnn", "gru", "lstm") and not a.cancelled
    assert list(a.distance) == list(range(9))  # 0 (the "=") .. gap + 2 (the key) for the longest gap
    for cell in a.cells:
        assert a.recall[cell].shape == (2,) and np.all((0 <= a.recall[cell]) & (a.recall[cell] <= 1))
        assert a.grad_norm[cell].shape == (9,) and np.all(a.grad_norm[cell] > 0)
        np.testing.assert_array_equal(a.recall[cell], b.recall[cell])
        np.testing.assert_array_equal(a.grad_norm[cell], b.grad_norm[cell])
        assert a.final_loss[cell] == b.final_loss[cell]
    assert any(not np.array_equal(a.grad_norm[k], c.grad_norm[k]) for k in a.cells)  # the seed matters


def test_lines_are_long_copy_lines():
    ids, keys = copy_lines(7, 5, [0, 1])
    vocab = lab_vocab()
    assert ids.shape == (11, 5)
    for b in range(5):
        line = "".join(vocab.decode(ids[:, b]))
        assert line[1] == ":" and line[-2] == "=" and line[0] == line[-1] and len(line) == 7 + 4
        assert vocab.decode([keys[b]])[0] == line[0]


def test_connectivity_is_the_cores():
    """The lab's curve, for one line, is lstm_viz.core.gradients.connectivity at the "=" step, reversed."""
    cfg = LabConfig(**{**TINY, "cells": ("gru",), "grad_lines": 1})
    result = run_to_end(long_range(cfg))
    ids, _ = copy_lines(6, 1, [cfg.seed, 2, 6])
    text = "".join(lab_vocab().decode(ids[:, 0]))
    want = connectivity(LoadedModel(result.models["gru"], lab_vocab(), "gru"), text, 6 + 2).grad_norm[::-1]
    np.testing.assert_allclose(result.grad_norm["gru"], want, rtol=1e-6)


def test_close_cancels_at_the_next_yield():
    gen = long_range(LabConfig(**{**TINY, "steps": 1000}))
    seen = [next(gen) for _ in range(3)]
    assert [p.step for p in seen] == [1, 2, 3] and seen[0].cell == "rnn"
    gen.close()
    with pytest.raises(StopIteration):
        next(gen)


def test_cancel_mid_way_returns_what_is_finished():
    gen = long_range(LabConfig(**TINY))
    for p in gen:
        if p.cell == "gru":
            break
    with pytest.raises(StopIteration) as stop:
        gen.throw(GeneratorExit)
    result = stop.value.value
    assert result.cancelled and result.cells == ("rnn",)


@pytest.mark.parametrize("bad", [dict(gaps=()), dict(gaps=(0, 5)), dict(cells=("lstm", "lstm")),
                                 dict(cells=("transformer",)), dict(steps=0), dict(seed=-1), dict(lr=float("nan"))])
def test_bad_config_is_one_input_error(bad):
    with pytest.raises(InputError):
        LabConfig(**bad)


def test_cli_writes_csv_figure_and_models(tmp_path, capsys):
    out = tmp_path / "lab"
    assert main(["lab", "long-range", "--gaps", "2,4", "--cells", "rnn,lstm", "--hidden", "4", "--steps", "3",
                 "--threads", "1", "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["gradients.csv", "long-range.pdf", "long-range.png", "long-range.svg", "lstm.pt",
                     "recall.csv", "rnn.pt"]
    rows = (out / "recall.csv").read_text().splitlines()
    assert rows[0] == "cell,gap,recall,lines" and [r.split(",")[:2] for r in rows[1:]] == [
        ["rnn", "2"], ["rnn", "4"], ["lstm", "2"], ["lstm", "4"]]
    assert len((out / "gradients.csv").read_text().splitlines()) == 1 + 2 * 7
    from PySide6 import QtGui

    img = QtGui.QImage(str(out / "long-range.png"))
    assert img.width() > 500 and img.height() > 200
    from lstm_viz.core.loading import load_model

    assert load_model(out / "lstm.pt").config.cell == "lstm"


@pytest.mark.parametrize("argv", [["--gaps", "5,x"], ["--cells", "rnn,foo"], ["--hidden", "0"], ["--seed", "-2"]])
def test_cli_bad_input_one_line(tmp_path, capsys, argv):
    assert main(["lab", "long-range", *argv, "--steps", "2", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lstm-viz lab: error: "), err
    assert not (tmp_path / "o").exists()


def test_cli_output_is_a_file(tmp_path, capsys):
    f = tmp_path / "f.txt"
    f.write_text("keep")
    assert main(["lab", "long-range", "--steps", "2", "-o", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err and f.read_text() == "keep"


def test_forget_bias_moves_only_the_forget_rows():
    from lstm_viz.core.lab import _build

    for cell, rows in (("lstm", slice(6, 12)), ("cifg", slice(0, 6))):
        cfg = LabConfig(**{**TINY, "cells": (cell,)})
        torch.manual_seed(0)
        plain = _build(lab_vocab(), cell, LabConfig(**{**TINY, "cells": (cell,), "forget_bias": 0.0}))
        torch.manual_seed(0)
        shifted = _build(lab_vocab(), cell, cfg)
        diff = (shifted.rnn.bias_ih_l0 - plain.rnn.bias_ih_l0).detach()
        want = torch.zeros_like(diff)
        want[rows] = 1.0
        torch.testing.assert_close(diff, want)
