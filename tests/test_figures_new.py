"""The saturation and cell-diagram figures: size, not blank, the data drawn (chosen dot, values as text), all
three formats, and `lstm-viz export --view saturation|cell-diagram`."""
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.diagram import cell_step
from lstm_viz.core.errors import InputError
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

TEXT = 'say "hi" (twice)\nok'


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(1)
    vocab = Vocab.from_text(TEXT)
    model = LSTMLanguageModel(ModelConfig(input_size=4, hidden_size=6, num_layers=2, bidirectional=True,
                                          vocab_size=len(vocab)))
    path = tmp_path_factory.mktemp("model") / "tiny2.pt"
    save_checkpoint(path, model, vocab)
    return path


@pytest.fixture(scope="module")
def loaded_trace(checkpoint):
    loaded = load_model(checkpoint)
    return loaded, trace(loaded, TEXT)


def image(path):
    from PySide6.QtGui import QImage

    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return a[:, :img.width() * 3].reshape(img.height(), img.width(), 3).astype(int)


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]


def red_pixels(a):
    from lstm_viz.figures.saturation import CHOSEN

    rgb = np.array([int(CHOSEN[k:k + 2], 16) for k in (1, 3, 5)])
    return int((np.abs(a - rgb).max(axis=2) <= 12).sum())


def test_saturation_png_size_not_blank_and_chosen_unit(qapp, loaded_trace, tmp_path):
    from lstm_viz.figures import FigureSpec, build_figure, export_figure

    _, tr = loaded_trace
    fig = build_figure(tr, FigureSpec("saturation"))
    w, h = fig.width, fig.height
    fig.close()
    assert w > 600 and h > 4 * 230  # 3 gates side by side, 2 layers x 2 directions
    for scale in (0.5, 1):
        export_figure(tr, FigureSpec("saturation"), tmp_path / f"s{scale}.png", scale=scale)
        a = image(tmp_path / f"s{scale}.png")
        assert a.shape[:2] == (round(h * scale), round(w * scale))
        assert (a < 250).any(axis=2).mean() > 0.03, "the image is nearly blank"
    assert red_pixels(image(tmp_path / "s1.png")) == 0
    export_figure(tr, FigureSpec("saturation", units=(2,), layer=1, reverse=True), tmp_path / "c.png", scale=1)
    assert red_pixels(image(tmp_path / "c.png")) > 30  # unit 2 drawn in red, in its three panels


def test_saturation_svg_and_pdf(qapp, loaded_trace, tmp_path):
    from lstm_viz.figures import FigureSpec, export_figure

    _, tr = loaded_trace
    export_figure(tr, FigureSpec("saturation", time_range=(2, 12)), tmp_path / "s.svg")
    texts = svg_texts(tmp_path / "s.svg")
    assert any("gate saturation over 10 timesteps" in t for t in texts)
    assert any("forget gate f, layer 1, backward" in t for t in texts)
    export_figure(tr, FigureSpec("saturation"), tmp_path / "s.pdf")
    data = (tmp_path / "s.pdf").read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 1


def test_cell_diagram_draws_the_steps_numbers(qapp, loaded_trace, tmp_path):
    from lstm_viz.figures import FigureSpec, build_figure, export_figure

    loaded, tr = loaded_trace
    step = cell_step(loaded, tr, 5, 3, layer=1, reverse=True)
    spec = FigureSpec("cell-diagram", diagram=step)
    fig = build_figure(tr, spec)
    w, h = fig.width, fig.height
    fig.close()
    export_figure(tr, spec, tmp_path / "c.png", scale=1.5)
    a = image(tmp_path / "c.png")
    assert a.shape[:2] == (round(h * 1.5), round(w * 1.5))
    assert (a < 250).any(axis=2).mean() > 0.03
    export_figure(tr, spec, tmp_path / "c.svg")
    texts = " | ".join(svg_texts(tmp_path / "c.svg"))
    f, i = step.gate("forget_gate").value, step.gate("input_gate").value
    for shown in (f"f = {f:.4g}", f"i = {i:.4g}", f"c\u209c = {step.c:+.4g}", f"h\u209c = {step.h:+.4g}",
                  f"c\u209c\u208b\u2081 = {step.c_prev:+.4g}", "layer 1, backward, unit 3, t = 5"):
        assert shown in texts, shown
    export_figure(tr, spec, tmp_path / "c.pdf")
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(InputError, match="needs the model"):
        export_figure(tr, FigureSpec("cell-diagram"), tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_cli_exports_the_new_views(qapp, checkpoint, tmp_path, capsys):
    assert main(["export", str(checkpoint), "--text", TEXT, "--view", "saturation", "--dpi", "96",
                 "-o", str(tmp_path / "s.png")]) == 0
    assert main(["export", str(checkpoint), "--text", TEXT, "--view", "cell-diagram", "--units", "2",
                 "--step", "3", "--layer", "1", "-o", str(tmp_path / "c.svg")]) == 0
    assert any("layer 1, unit 2, t = 3" in t for t in svg_texts(tmp_path / "c.svg"))
    capsys.readouterr()
    assert main(["export", str(checkpoint), "--text", TEXT, "--view", "cell-diagram", "--step", "99",
                 "-o", str(tmp_path / "bad.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "timestep 99 does not exist" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "bad.png").exists()
