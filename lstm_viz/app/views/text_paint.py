"""Painting a few laid-out lines of coloured text into an image, at the cost of a few calls per line.

The coloured text keeps one image per block of lines and only blits them while the view scrolls; this module
makes such an image. Token backgrounds are filled with numpy (a row of pixels per line, copied down the line's
height); the text is drawn in runs, one ``drawText`` per stretch of neighbouring tokens that share a pen (in a
fixed-pitch font a run lands where its tokens would one by one).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui

PAPER = (251, 251, 248)  # the background where no token is coloured
UNKNOWN = (235, 235, 230)  # a token whose value is still being recomputed
INK, INK_ON_DARK, INK_WHITESPACE = (20, 20, 20), (255, 255, 255), (110, 110, 110)


def ink_kinds(rgb: np.ndarray | None, visible_space: np.ndarray) -> np.ndarray:
    """(n,) pen of each token: 0 dark ink, 1 white ink on a dark background, 2 grey (whitespace drawn)."""
    kind = np.zeros(len(visible_space), dtype=np.int8)
    if rgb is not None:
        lum = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]  # (n,)
        kind[lum < 140] = 1
    kind[visible_space] = 2
    return kind


def render_lines(width: float, n_lines: int, line_h: float, dpr: float, font: QtGui.QFont, ascent: float,
                 x: np.ndarray, w: np.ndarray, line: np.ndarray, shown: list[str], visible_space: np.ndarray,
                 rgb: np.ndarray | None, gap: float, joiner: str) -> QtGui.QImage:
    """An image of ``n_lines`` lines (line 0 at its top) holding tokens with left edges ``x``, widths ``w`` and
    lines ``line`` (each (n,), line in 0..n_lines - 1), drawn as ``shown``; ``rgb`` (n, 3) bytes their
    backgrounds (None: none); ``visible_space`` (n,) whitespace drawn as a symbol; tokens ``gap`` apart are
    joined with ``joiner`` into one run."""
    W, H = max(int(math.ceil(width * dpr)), 1), max(int(math.ceil(n_lines * line_h * dpr)), 1)
    paper = 0xFF000000 | PAPER[0] << 16 | PAPER[1] << 8 | PAPER[2]
    image = QtGui.QImage(W, H, QtGui.QImage.Format.Format_ARGB32_Premultiplied)  # opaque: as 0xAARRGGBB
    image.setDevicePixelRatio(dpr)
    pixels = np.frombuffer(image.bits(), dtype=np.uint32).reshape(H, image.bytesPerLine() // 4)[:, :W]
    pixels[:] = paper
    if rgb is not None and len(x):
        rgb = rgb.astype(np.uint32)
        argb = 0xFF000000 | rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]  # (n,)
        left = np.clip(np.round(x * dpr).astype(np.int64), 0, W)
        right = np.clip(np.round((x + np.maximum(w, 2)) * dpr).astype(np.int64), 0, W)
        right = np.maximum(right, left)
        bounds = np.flatnonzero(np.diff(line)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(line)]):
            L = int(line[lo])
            y0, y1 = int(round(L * line_h * dpr)), int(round((L * line_h + line_h - 1) * dpr))
            row = np.full(W, paper, dtype=np.uint32)
            lens = right[lo:hi] - left[lo:hi]
            idx = np.repeat(np.arange(lo, hi), lens)  # token of each coloured pixel
            cols = np.arange(len(idx)) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(left[lo:hi], lens)
            row[cols] = argb[idx]
            pixels[y0:y1] = row
    if not len(x):
        return image
    kind = ink_kinds(rgb, visible_space)
    brk = np.ones(len(x), dtype=bool)
    brk[1:] = ((line[1:] != line[:-1]) | (kind[1:] != kind[:-1])
               | (np.abs(x[1:] - (x[:-1] + w[:-1] + gap)) > 0.01))
    starts = np.flatnonzero(brk)
    ends = np.r_[starts[1:], len(x)]
    pens = [QtGui.QColor(*INK), QtGui.QColor(*INK_ON_DARK), QtGui.QColor(*INK_WHITESPACE)]
    p = QtGui.QPainter(image)
    p.setFont(font)
    pen = -1
    for s, e in zip(starts.tolist(), ends.tolist()):
        if kind[s] != pen:
            pen = int(kind[s])
            p.setPen(pens[pen])
        text = shown[s] if e == s + 1 else joiner.join(shown[s:e])
        p.drawText(QtCore.QPointF(float(x[s]), float(line[s]) * line_h + ascent + 1), text)
    p.end()
    return image
