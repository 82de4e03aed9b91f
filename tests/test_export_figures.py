"""Exported figures checked as a user would: size, pixels that follow the data, valid SVG and PDF, and the
`lstm-viz export` command's output and errors (in-process and as a real headless process)."""
import csv
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.errors import InputError
from lstm_viz.core.gates import QUANTITIES
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.trace import Trace, key, trace
from lstm_viz.core.vocab import Vocab

TEXT = 'say "hi" (twice)\nok'


def saturated_trace():
    """8 timesteps, 3 units. Forget gate: unit 0 is 1 everywhere, unit 1 is 0, unit 2 is 1 then 0."""
    T, U = 8, 3
    arrays = {key(q): np.full((T, U), 0.5, np.float32) for q in QUANTITIES}
    f = np.zeros((T, U), np.float32)
    f[:, 0] = 1.0
    f[:4, 2] = 1.0
    arrays[key("forget_gate")] = f
    return Trace(tokens=tuple("ab c\ndef"), token_ids=None, arrays=arrays, num_layers=1, model_name="hand")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    vocab = Vocab.from_text(TEXT)
    model = LSTMLanguageModel(ModelConfig(input_size=4, hidden_size=6, vocab_size=len(vocab)))
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_checkpoint(path, model, vocab)
    return path


def image_array(path):
    from PySide6.QtGui import QImage

    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return a[:, :img.width() * 3].reshape(img.height(), img.width(), 3).astype(int), img


def runs(mask):
    """(start, length) of each run of True in a 1-D mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))


def test_png_pixels_follow_the_data(qapp, tmp_path):
    from lstm_viz.app import style
    from lstm_viz.figures import FigureSpec, export_figure

    out = tmp_path / "forget.png"
    export_figure(saturated_trace(), FigureSpec("forget"), out, scale=1)
    a, _ = image_array(out)
    cmap = style.colormap("forget_gate")
    top = np.array(cmap.map(1.0, mode="byte")[:3])
    bottom = np.array(cmap.map(0.0, mode="byte")[:3])
    is_top = np.abs(a - top).max(axis=2) <= 3
    is_bottom = np.abs(a - bottom).max(axis=2) <= 3
    x = int(a.shape[1] * 0.25)  # inside the heatmap, in the first half of the text, away from the colour bar
    (t0, n0), = [r for r in runs(is_top[:, x]) if r[1] > 10][:1] or [(None, 0)]
    assert n0 > 30, "unit 0 (saturated at 1) is not drawn in the colormap's top colour"
    below = [r for r in runs(is_bottom[:, x]) if r[1] > 10]
    assert below and below[0][0] >= t0 + n0 - 1, "unit 1 (0 everywhere) is not drawn under unit 0"
    unit2 = [r for r in runs(is_top[:, x]) if r[1] > 10 and r[0] > below[0][0]]
    assert unit2, "unit 2 is 1 in the first half of the text"
    y = unit2[0][0] + unit2[0][1] // 2  # the middle of unit 2's row: top colour, then bottom colour
    row_top, row_bottom = runs(is_top[y]), runs(is_bottom[y])
    wide_top = max(row_top, key=lambda r: r[1])
    wide_bottom = max(row_bottom, key=lambda r: r[1])
    assert wide_top[1] > 100 and wide_bottom[1] > 100
    assert wide_top[0] < wide_bottom[0] and abs(wide_top[1] - wide_bottom[1]) < 0.1 * wide_top[1]


def test_png_size_follows_dpi_and_scale_and_is_not_blank(qapp, tmp_path):
    from lstm_viz.figures import FigureSpec, export_figure

    tr = saturated_trace()
    sizes = {}
    for name, kw in (("s1", {"scale": 1}), ("d192", {"dpi": 192}), ("s2", {"scale": 2})):
        export_figure(tr, FigureSpec("traces", quantity="forget"), tmp_path / f"{name}.png", **kw)
        a, img = image_array(tmp_path / f"{name}.png")
        sizes[name] = (img.width(), img.height())
        assert (a < 250).any(axis=2).mean() > 0.03, f"{name}: the image is nearly blank"
        packed = (a[..., 0] << 16) | (a[..., 1] << 8) | a[..., 2]
        assert len(np.unique(packed)) > 20
    w, h = sizes["s1"]
    assert w > 300 and h > 200
    assert sizes["d192"] == sizes["s2"]
    assert abs(sizes["d192"][0] - 2 * w) <= 1 and abs(sizes["d192"][1] - 2 * h) <= 1
    _, img = image_array(tmp_path / "d192.png")
    assert abs(img.dotsPerMeterX() * 0.0254 - 192) < 1  # the PNG records its dpi


def test_svg_is_xml_with_the_plot_as_text(qapp, tmp_path):
    from lstm_viz.figures import FigureSpec, export_figure

    out = tmp_path / "text.svg"
    export_figure(saturated_trace(), FigureSpec("text", quantity="forget_gate", units=(2,), title="Unit two"), out)
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Unit two" in texts
    assert {"a", "b", "c", "d", "e", "f", "\u21b5"} <= set(texts)  # the characters stay text
    assert "unit 2" in texts


def test_pdf_has_one_page_and_the_heatmap(qapp, tmp_path):
    from lstm_viz.figures import FigureSpec, export_figure

    out = tmp_path / "dash.pdf"
    export_figure(saturated_trace(), FigureSpec("dashboard", quantity="forget_gate"), out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    assert b"/Subtype /Image" in data or b"/Subtype/Image" in data  # the heatmaps


def test_spec_and_format_errors(qapp, tmp_path):
    from lstm_viz.figures import FigureSpec, export_figure

    with pytest.raises(InputError, match="unknown view"):
        FigureSpec("sideways")
    with pytest.raises(InputError, match="unknown figure format"):
        export_figure(saturated_trace(), FigureSpec("cell"), tmp_path / "x.bmp")
    with pytest.raises(InputError, match="unit 5 does not exist"):
        export_figure(saturated_trace(), FigureSpec("cell", units=(5,)), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_cli_csv_equals_the_trace(checkpoint, tmp_path, capsys):
    out = tmp_path / "f.csv"
    assert main(["export", str(checkpoint), "--text", TEXT, "--view", "forget", "--units", "0,5",
                 "--range", "3:12", "-o", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["t", "token", "unit_0", "unit_5"] and len(rows) == 1 + 9
    expected = trace(load_model(checkpoint), TEXT).get("forget_gate")
    got = np.array([[float(v) for v in r[2:]] for r in rows[1:]], np.float32)
    np.testing.assert_array_equal(got, expected[3:12][:, [0, 5]])
    assert [r[1] for r in rows[1:]] == list(TEXT[3:12])


def test_cli_figures_in_process(qapp, checkpoint, tmp_path, capsys):
    for name in ("cell.svg", "traces.png"):
        view = name.split(".")[0]
        assert main(["export", str(checkpoint), "--text", TEXT, "--view", view, "--units", "1,2",
                     "--dpi", "96", "-o", str(tmp_path / name)]) == 0
    assert ET.parse(tmp_path / "cell.svg").getroot().tag.endswith("svg")


@pytest.mark.parametrize("extra, out, message", [
    ([], "fig.jpg", "unknown format '.jpg'"),
    (["--range", "0:999"], "fig.png", "outside the text"),
    (["--units", "0,6"], "fig.pdf", "unit 6 does not exist"),
    ([], "missing/fig.png", "does not exist"),
    ([], "folder.png", "Is a directory"),
])
def test_cli_bad_input_one_line_exit_2_nothing_written(checkpoint, tmp_path, capsys, qapp, extra, out, message):
    (tmp_path / "folder.png").mkdir()
    target = tmp_path / out
    if target.parent.exists() and not target.exists():
        target.write_bytes(b"the user's old figure")
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["export", str(checkpoint), "--text", TEXT, "--view", "cell", *extra, "-o", str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("lstm-viz export: error:") and err.count("\n") == 1 and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left behind
    if target.is_file():
        assert target.read_bytes() == b"the user's old figure"


def _headless_env():
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    return env


def test_subprocess_png_pdf_headless_clean_exit(checkpoint, tmp_path):
    png, pdf = tmp_path / "dash.png", tmp_path / "gates.pdf"
    cmd = [sys.executable, "-m", "lstm_viz", "export", str(checkpoint), "--text", TEXT]
    r = subprocess.run(cmd + ["--view", "dashboard", "--scale", "1", "-o", str(png)], capture_output=True,
                       text=True, env=_headless_env(), timeout=120)
    assert r.returncode == 0, r.stderr  # a crash at exit would show as a negative status
    assert png.read_bytes().startswith(b"\x89PNG")
    r = subprocess.run(cmd + ["--view", "forget", "--range", "2:", "-o", str(pdf)], capture_output=True,
                       text=True, env=_headless_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_subprocess_csv_and_bad_input_need_no_qt(checkpoint, tmp_path):
    out = tmp_path / "h.csv"
    code = f"""
import sys
from lstm_viz.cli import main
assert main(["export", {str(checkpoint)!r}, "--text", {TEXT!r}, "--view", "hidden", "-o", {str(out)!r}]) == 0
assert main(["export", {str(checkpoint)!r}, "--text", "hi", "--units", "99", "-o", {str(out) + ".x.csv"!r}]) == 2
bad = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")]
assert not bad, bad
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_headless_env(),
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "lstm-viz export: error: unit 99 does not exist" in r.stderr
    with open(out, newline="", encoding="utf-8") as f:
        assert len(list(csv.reader(f))) == 1 + len(TEXT)
    assert not (tmp_path / "h.csv.x.csv").exists()


# -- other cell types ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gru_checkpoint(tmp_path_factory):
    torch.manual_seed(1)
    vocab = Vocab.from_text(TEXT)
    model = LSTMLanguageModel(ModelConfig(input_size=4, hidden_size=6, vocab_size=len(vocab), cell="gru"))
    path = tmp_path_factory.mktemp("gru") / "gru.pt"
    save_checkpoint(path, model, vocab)
    return path


def test_a_gru_dashboard_shows_its_own_gates_and_hidden_state(qapp, gru_checkpoint, tmp_path, capsys):
    svg, png = tmp_path / "gru.svg", tmp_path / "gru.png"
    for out in (svg, png):
        assert main(["export", str(gru_checkpoint), "--text", TEXT, "--view", "dashboard", "--dpi", "96",
                     "-o", str(out)]) == 0
    text = svg.read_text(encoding="utf-8")
    for label in ("reset gate r", "update gate z", "hidden state h"):
        assert label in text
    assert "forget" not in text and "cell state" not in text
    a, _ = image_array(png)
    assert (a < 250).any(axis=2).mean() > 0.05, "the dashboard is nearly blank"


def test_a_gru_heatmap_draws_its_own_values(qapp, gru_checkpoint, tmp_path):
    import pyqtgraph as pg

    from lstm_viz.figures import FigureSpec, build_figure

    tr = trace(load_model(gru_checkpoint), TEXT)
    for view, q in (("reset", "reset_gate"), ("new_gate", "new_gate")):
        fig = build_figure(tr, FigureSpec(view))
        try:
            (img,) = [i for i in fig.scene.items() if isinstance(i, pg.ImageItem)]
            data = tr.get(q, 0).T  # (units, T)
            ky, kx = img.image.shape[0] // data.shape[0], img.image.shape[1] // data.shape[1]
            np.testing.assert_array_equal(img.image[::ky, ::kx], data)
            assert img.levels is not None and tuple(np.ravel(img.levels)) == ((0.0, 1.0) if q == "reset_gate"
                                                                              else (-1.0, 1.0))
        finally:
            fig.close()
    assert main(["export", str(gru_checkpoint), "--text", TEXT, "--view", "update", "--dpi", "96",
                 "-o", str(tmp_path / "z.png")]) == 0
    a, _ = image_array(tmp_path / "z.png")
    assert (a < 250).any(axis=2).mean() > 0.05


@pytest.mark.parametrize("extra", [["--view", "forget"], ["--view", "cell"], ["--quantity", "cell"]])
def test_a_quantity_a_gru_lacks_is_one_line_exit_2(gru_checkpoint, tmp_path, capsys, extra):
    code = main(["export", str(gru_checkpoint), "--text", TEXT, *extra, "-o", str(tmp_path / "f.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "a GRU has no" in err and "reset_gate, update_gate, new_gate, hidden" in err
    assert not (tmp_path / "f.png").exists()


def test_a_gru_csv_defaults_to_its_hidden_state_and_an_rnn_dashboard_draws(qapp, tmp_path, capsys):
    from lstm_viz.figures import FigureSpec, build_figure

    torch.manual_seed(2)
    vocab = Vocab.from_text(TEXT)
    paths = {}
    for cell in ("gru", "rnn"):
        model = LSTMLanguageModel(ModelConfig(input_size=4, hidden_size=3, vocab_size=len(vocab), cell=cell))
        paths[cell] = save_checkpoint(tmp_path / f"{cell}.pt", model, vocab) or tmp_path / f"{cell}.pt"
    out = tmp_path / "h.csv"
    assert main(["export", str(paths["gru"]), "--text", TEXT, "--view", "dashboard", "-o", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    tr = trace(load_model(paths["gru"]), TEXT)
    values = np.array([[float(v) for v in r[-3:]] for r in rows[1:]], np.float32)
    np.testing.assert_allclose(values, tr.get("hidden", 0), rtol=1e-6, atol=1e-7)
    rnn = trace(load_model(paths["rnn"]), TEXT)
    fig = build_figure(rnn, FigureSpec("dashboard"))
    try:
        assert fig.height > 300
    finally:
        fig.close()
