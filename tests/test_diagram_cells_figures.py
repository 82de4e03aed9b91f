"""The cell diagram figure of every cell type: the step's own numbers as text, no label over another label or a
box, nothing outside the picture, PNG/SVG/PDF, and `lstm-viz export --view cell-diagram` for a GRU and an RNN."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.diagram import cell_step
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab
from lstm_viz.figures.diagram_base import fmt

TEXT = 'say "hi" (twice)\nok'
CELLS = ("lstm", "gru", "rnn", "peephole", "cifg")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for cell in (*CELLS, "relu"):
        torch.manual_seed(5)
        vocab = Vocab.from_text(TEXT)
        model = RNNLanguageModel(ModelConfig(input_size=4, hidden_size=6, num_layers=2, bidirectional=True,
                                             vocab_size=len(vocab), cell="rnn" if cell == "relu" else cell,
                                             nonlinearity="relu" if cell == "relu" else "tanh"))
        with torch.no_grad():
            for p in model.rnn.parameters():
                p.mul_(3.0)  # gates near 0 and 1 and large states: long numbers to lay out
        out[cell] = folder / f"{cell}.pt"
        save_checkpoint(out[cell], model, vocab)
    return out


def test_numbers_that_round_to_one_keep_their_digits():
    assert [fmt(0.5), fmt(0.99999), fmt(-0.99999994, True), fmt(1.0), fmt(1.00004, True), fmt(0.123456)] == [
        "0.5", "0.99999", "-0.99999994", "1", "+1.00004", "0.1235"]


def svg_texts(path):
    root = ET.parse(path).getroot()
    return " | ".join("".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text"))


def expected_texts(s):
    """What the picture of step ``s`` must say, by cell type."""
    if s.cell == "gru":
        r, z, n = (s.gate(q).value for q in ("reset_gate", "update_gate", "new_gate"))
        return [f"z = {fmt(z)}", f"r = {fmt(r)}", f"n = {fmt(n, True)}", f"1 \u2212 z = {fmt(1 - z)}",
                f"h\u209c = {fmt(s.h, True)}", f"z\u00b7h\u209c\u208b\u2081 = {fmt(s.kept, True)}",
                f"(1 \u2212 z)\u00b7n = {fmt(s.written, True)}", "no separate cell state"]
    if s.cell == "rnn":
        g = s.gates[0]
        return [f"h\u209c = {fmt(s.h, True)}", f"pre = {fmt(g.pre, True)}", f"W x\u209c = {fmt(g.from_input, True)}",
                f"U h\u209c\u208b\u2081 = {fmt(g.from_hidden, True)}", f"+ b = {fmt(g.bias, True)}", s.nonlinearity]
    texts = [f"f = {fmt(s.gate('forget_gate').value)}", f"i = {fmt(s.gate('input_gate').value)}",
             f"c\u209c = {fmt(s.c, True)}", f"h\u209c = {fmt(s.h, True)}",
             f"c\u209c\u208b\u2081 = {fmt(s.c_prev, True)}"]
    if s.cell == "peephole":
        texts += [f"{s.gate(q).peephole:+.3g}" for q in ("input_gate", "forget_gate", "output_gate")]
    if s.cell == "cifg":
        texts += ["1 \u2212 f", "i = 1 \u2212 f, no weights of its own"]
    return texts


@pytest.mark.parametrize("cell", (*CELLS, "relu"))
def test_the_figure_says_the_steps_numbers_in_every_format(qapp, checkpoints, tmp_path, cell):
    from lstm_viz.figures import FigureSpec, export_figure
    from PySide6.QtGui import QImage

    loaded = load_model(checkpoints[cell])
    tr = trace(loaded, TEXT)
    s = cell_step(loaded, tr, 5, 3, layer=1, reverse=True)
    spec = FigureSpec("cell-diagram", diagram=s)
    export_figure(tr, spec, tmp_path / "c.svg")
    texts = svg_texts(tmp_path / "c.svg")
    for shown in expected_texts(s) + ["layer 1, backward, unit 3, t = 5"]:
        assert shown in texts, shown
    assert ("cell state" in texts) == (cell == "gru") and ("1 \u2212 f" in texts) == (cell == "cifg")
    export_figure(tr, spec, tmp_path / "c.png", scale=1.0)
    img = QImage(str(tmp_path / "c.png")).convertToFormat(QImage.Format.Format_Grayscale8)
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width()]
    assert (a < 200).mean() > 0.02  # drawn, not blank
    export_figure(tr, spec, tmp_path / "c.pdf")
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("cell", (*CELLS, "relu"))
def test_no_label_overlaps_another_or_leaves_the_picture(qapp, checkpoints, cell):
    """Every step and unit of every layer and direction of a model with saturated gates and long numbers."""
    from lstm_viz.figures.cell_diagram import diagram_item
    from PySide6 import QtGui

    loaded = load_model(checkpoints[cell])
    tr = trace(loaded, TEXT)
    for layer in (0, 1):
        for reverse in (False, True):
            for t in range(0, len(TEXT), 2):
                for unit in (0, 2, 5):
                    item = diagram_item(cell_step(loaded, tr, t, unit, layer, reverse))
                    img = QtGui.QImage(item.width, item.height + item.table_h, QtGui.QImage.Format.Format_RGB32)
                    p = QtGui.QPainter(img)
                    item.paint(p)
                    p.end()
                    assert len(item.placed) >= 6 and item.overlaps() == [] and item.outside() == []


def test_cli_exports_a_gru_and_an_rnn(qapp, checkpoints, tmp_path, capsys):
    for cell, title in (("gru", "GRU cell"), ("rnn", "plain RNN cell")):
        out = tmp_path / f"{cell}.svg"
        assert main(["export", str(checkpoints[cell]), "--text", TEXT, "--view", "cell-diagram", "--units", "2",
                     "--step", "3", "--layer", "1", "-o", str(out)]) == 0
        assert f"{title}, layer 1, unit 2, t = 3" in svg_texts(out)
    assert main(["export", str(checkpoints["gru"]), "--text", TEXT, "--view", "cell-diagram", "--units", "2",
                 "--step", "3", "--dpi", "96", "-o", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").stat().st_size > 10_000
