"""Paint a figure into a file: PNG (raster at a chosen dpi or scale), SVG or PDF (vector, text as text).

pyqtgraph 0.14.0's SVGExporter fails on our plots (pyqtgraph issue #3495), so every format goes the same way:
the figure's QGraphicsScene is rendered with a QPainter onto a QImage, a QSvgGenerator or a QPdfWriter.
Files are written through a temporary file and renamed into place: a failure leaves nothing half-written
and any existing file untouched.
"""
from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtGui
from PySide6.QtSvg import QSvgGenerator

from lstm_viz.core.checkpoint import atomic_write
from lstm_viz.core.errors import InputError

from .compose import Figure, FigureSpec, build_figure
from .qt import ensure_app

FORMATS = (".png", ".svg", ".pdf")
LOGICAL_DPI = 96.0  # figures are laid out in pixels of 1/96 inch (a scale of 1)
MAX_PIXELS = 200_000_000


def _picture_dpi() -> int:
    """The dpi QPictures record at (the screen's; 96 offscreen).

    pyqtgraph caches its axes as QPictures, which replay scaled by the target's dpi over this one. Every
    target is therefore painted at this dpi (the PNG's real dpi is recorded after painting), and only the
    painter's transform scales the figure."""
    return QtGui.QPicture().logicalDpiX()


def figure_format(path: str | Path) -> str:
    """The format named by the file's extension; InputError for any other."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise InputError(f"{path}: unknown figure format {ext or '(no extension)'!r}; use .png, .svg or .pdf")
    return ext


def resolution(dpi: float = 300, scale: float | None = None) -> float:
    """The PNG dpi asked for by ``dpi`` or ``scale`` (1 = 96 dpi); InputError when out of range."""
    if scale is not None:
        if not 0.1 <= scale <= 20:
            raise InputError(f"scale {scale:g} is out of range; use 0.1 to 20")
        return scale * LOGICAL_DPI
    if not 20 <= dpi <= 2400:
        raise InputError(f"dpi {dpi:g} is out of range; use 20 to 2400")
    return float(dpi)


def _painter(device) -> QtGui.QPainter:
    p = QtGui.QPainter()
    if not p.begin(device):
        raise OSError("cannot paint into the file")
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    return p


def _render(fig: Figure, painter: QtGui.QPainter, target: QtCore.QRectF) -> None:
    fig.scene.prepareForPaint()
    painter.fillRect(target, QtGui.QColor("white"))
    fig.scene.render(painter, target, QtCore.QRectF(0, 0, fig.width, fig.height),
                     QtCore.Qt.AspectRatioMode.IgnoreAspectRatio)
    painter.end()


def _png(fig: Figure, tmp: str, dpi: float, scale: float) -> None:
    w, h = max(1, round(fig.width * scale)), max(1, round(fig.height * scale))
    img = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32)
    img.fill(QtGui.QColor("white"))
    screen_dpm = round(_picture_dpi() / 0.0254)
    img.setDotsPerMeterX(screen_dpm)
    img.setDotsPerMeterY(screen_dpm)
    _render(fig, _painter(img), QtCore.QRectF(0, 0, w, h))
    dpm = round(dpi / 0.0254)  # recorded after painting, as the dpi would rescale pyqtgraph's cached axes
    img.setDotsPerMeterX(dpm)
    img.setDotsPerMeterY(dpm)
    if not img.save(tmp, "PNG"):
        raise OSError("cannot write the PNG image")


def _svg(fig: Figure, tmp: str, title: str) -> None:
    gen = QSvgGenerator()
    gen.setFileName(tmp)
    dpi = _picture_dpi()
    gen.setSize(QtCore.QSize(math.ceil(fig.width * dpi / LOGICAL_DPI), math.ceil(fig.height * dpi / LOGICAL_DPI)))
    gen.setViewBox(QtCore.QRectF(0, 0, fig.width, fig.height))
    gen.setResolution(dpi)
    gen.setTitle(title)
    gen.setDescription("made with lstm_viz")
    _render(fig, _painter(gen), QtCore.QRectF(0, 0, fig.width, fig.height))


def _pdf(fig: Figure, tmp: str, title: str) -> None:
    writer = QtGui.QPdfWriter(tmp)
    writer.setResolution(_picture_dpi())
    size = QtCore.QSizeF(fig.width * 72 / LOGICAL_DPI, fig.height * 72 / LOGICAL_DPI)  # points
    writer.setPageSize(QtGui.QPageSize(size, QtGui.QPageSize.Unit.Point, "figure",
                                       QtGui.QPageSize.SizeMatchPolicy.ExactMatch))
    writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0))
    writer.setTitle(title)
    writer.setCreator("lstm_viz")
    painter = _painter(writer)
    _render(fig, painter, QtCore.QRectF(0, 0, writer.width(), writer.height()))


def export_figure(trace, spec: FigureSpec, path: str | Path, *, dpi: float = 300, scale: float | None = None
                  ) -> None:
    """Write the figure ``spec`` of ``trace`` to ``path``; the format comes from the extension.

    PNG: ``scale`` times the figure's logical size (1 = 96 dpi) when given, else ``dpi``; the file records
    its dpi. SVG and PDF: vector, one page, the size of the figure. Needs the GUI thread; creates an
    (offscreen when headless) QApplication if none exists. LstmVizError for bad input, nothing written."""
    fmt = figure_format(path)
    dpi = resolution(dpi, scale)
    scale = dpi / LOGICAL_DPI
    ensure_app()
    ink = {".png": scale, ".svg": 1.0, ".pdf": _picture_dpi() / LOGICAL_DPI}[fmt]
    fig = build_figure(trace, spec, ink)
    try:
        if fmt == ".png" and fig.width * fig.height * scale * scale > MAX_PIXELS:
            raise InputError(f"{path}: a {round(fig.width * scale)} x {round(fig.height * scale)} pixel image "
                             "is too large; lower the dpi or the scale")
        title = spec.title or fig.title
        write = {".png": lambda tmp: _png(fig, tmp, dpi, scale), ".svg": lambda tmp: _svg(fig, tmp, title),
                 ".pdf": lambda tmp: _pdf(fig, tmp, title)}[fmt]
        atomic_write(path, write)
    finally:
        fig.close()


def write_figure(build, path: str | Path, *, dpi: float = 300, scale: float | None = None) -> None:
    """Like export_figure for any figure: ``build(ink)`` lays out a Figure (ink: device pixels per logical pixel
    of the target), which is painted into ``path`` as PNG, SVG or PDF."""
    fmt = figure_format(path)
    dpi = resolution(dpi, scale)
    scale = dpi / LOGICAL_DPI
    ensure_app()
    ink = {".png": scale, ".svg": 1.0, ".pdf": _picture_dpi() / LOGICAL_DPI}[fmt]
    fig = build(ink)
    try:
        write = {".png": lambda tmp: _png(fig, tmp, dpi, scale), ".svg": lambda tmp: _svg(fig, tmp, fig.title),
                 ".pdf": lambda tmp: _pdf(fig, tmp, fig.title)}[fmt]
        atomic_write(path, write)
    finally:
        fig.close()
