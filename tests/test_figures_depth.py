"""The "depth" figure: one heatmap per (layer, direction) of one quantity, each the trace's own numbers in the
order asked for, and `lstm-viz export --view depth` in PNG, SVG and PDF."""
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.errors import InputError
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

TEXT = 'say "hi" (twice)\nok'


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(2)
    vocab = Vocab.from_text(TEXT)
    model = LSTMLanguageModel(ModelConfig(input_size=4, hidden_size=6, num_layers=2, bidirectional=True,
                                          vocab_size=len(vocab)))
    path = tmp_path_factory.mktemp("model") / "bi2.pt"
    save_checkpoint(path, model, vocab)
    return path


@pytest.fixture(scope="module")
def tr(checkpoint):
    return trace(load_model(checkpoint), TEXT)


def _images(fig):
    items = [i for i in fig.scene.items() if isinstance(i, pg.ImageItem)]
    return sorted(items, key=lambda i: i.sceneBoundingRect().top())


def _cells(img, T, U):
    """The (U, T) values an upsampled figure image holds (one per cell)."""
    a = img.image
    return a[:: a.shape[0] // U, :: a.shape[1] // T]


def test_one_row_per_layer_and_direction_with_the_trace_s_numbers(qapp, tr):
    from lstm_viz.figures import FigureSpec, build_figure

    orders = ((5, 4, 3, 2, 1, 0), (0, 1, 2, 3, 4, 5), (1, 0, 2, 3, 4, 5), (2, 3, 0, 1, 4, 5))
    spec = FigureSpec("depth", quantity="forget", time_range=(2, 12), orders=orders)
    fig = build_figure(tr, spec)
    try:
        images = _images(fig)
        assert len(images) == 4
        rows = [(0, False), (0, True), (1, False), (1, True)]
        for img, (layer, reverse), order in zip(images, rows, orders):
            expected = tr.get("forget_gate", layer, reverse)[2:12, list(order)].T  # (U, T')
            np.testing.assert_array_equal(_cells(img, 10, 6), expected)
        assert "every layer and direction" in fig.title
    finally:
        fig.close()


def test_units_must_exist_in_every_row_and_orders_must_match_the_rows(qapp, tr):
    from lstm_viz.figures import FigureSpec, build_figure

    with pytest.raises(InputError, match="unit 9 does not exist"):
        build_figure(tr, FigureSpec("depth", units=(9,)))
    with pytest.raises(InputError, match="2 row orders for 4"):
        build_figure(tr, FigureSpec("depth", orders=((0,), (0,))))


def test_cli_exports_depth_in_three_formats(qapp, checkpoint, tmp_path, capsys):
    for ext in ("png", "svg", "pdf"):
        out = tmp_path / f"depth.{ext}"
        assert main(["export", str(checkpoint), "--text", TEXT, "--view", "depth", "--quantity", "cell",
                     "--dpi", "96", "-o", str(out)]) == 0
        assert f"wrote {out}" in capsys.readouterr().err
    from PySide6.QtGui import QImage

    img = QImage(str(tmp_path / "depth.png"))
    assert img.width() > 500 and img.height() > 4 * 90
    root = ET.parse(tmp_path / "depth.svg").getroot()
    texts = ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("layer 1, backward" in t for t in texts) and any("cell state c" in t for t in texts)
    assert (tmp_path / "depth.pdf").read_bytes()[:5] == b"%PDF-"
