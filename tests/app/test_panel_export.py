"""Export… in the panels writes what each shows: the units panel and search by example as CSV (one row per listed
unit or match, in the listed order, the panel's numbers), saturation and the cell diagram as figures through
lstm_viz.figures. The save dialog is patched (suggested name, chosen filter's extension); errors are one line."""
from __future__ import annotations

import csv

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from .conftest import open_text

TEXT = "abc 'de' (fa (bb) c)\nhij. 'ab' (c)\n" * 3
LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def save_as(monkeypatch):
    """The save dialog answers a path with the filter whose label starts with ``chosen``; records what it
    suggested."""
    suggested = []

    def answer(path, chosen=""):
        def fake(parent, caption, start, filters):
            suggested.append(start)
            return str(path), next(f for f in filters.split(";;") if f.startswith(chosen))
        monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", fake)
    answer.suggested = suggested
    return answer


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_units_panel_exports_its_table_and_regex_list(qtbot, window, checkpoint, tmp_path, save_as):
    open_text(qtbot, window, checkpoint, TEXT)
    panel = window.units_panel
    qtbot.waitUntil(lambda: len(panel.rows()) > 0, timeout=10000)
    panel.regex.setText(r"\(.*?\)")
    panel.search_regex()
    qtbot.waitUntil(lambda: len(panel.rows(regex=True)) > 0, timeout=10000)
    save_as(tmp_path / "units")  # no extension typed: the CSV filter's
    qtbot.mouseClick(window.export_buttons["units"], LEFT)
    assert save_as.suggested == ["units.csv"]
    rows = _rows(tmp_path / "units.csv")
    assert rows[0] == ["list", "feature", "rank", "layer", "direction", "unit", "quantity", "r", "auc"]
    listed = [item.data(QtCore.Qt.ItemDataRole.UserRole) for item in panel.rows() + panel.rows(regex=True)]
    assert len(rows) - 1 == len(listed)
    for row, s in zip(rows[1:], listed):
        assert (int(row[3]), row[4] == "backward", int(row[5]), row[6]) == (s.layer, s.reverse, s.unit, s.quantity)
        assert float(row[7]) == pytest.approx(s.r, abs=1e-8)
    assert rows[-1][:2] == ["regex", r"/\(.*?\)/"]
    assert f"({len(listed)} units)" in window.status_label.text()


def test_by_example_exports_the_ranked_units_then_the_matches(qtbot, window, checkpoint, tmp_path, save_as):
    open_text(qtbot, window, checkpoint, TEXT)
    panel = window.span_search
    panel.set_span(9, 14)
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=10000)
    save_as(tmp_path / "ranked.csv", "CSV: the ranked")
    qtbot.mouseClick(window.export_buttons["span"], LEFT)
    assert save_as.suggested == ["by-example.csv"]
    rows = _rows(tmp_path / "ranked.csv")
    assert [(int(r[3]), int(r[5]), float(r[7])) for r in rows[1:]] == \
        [(s.layer, s.unit, pytest.approx(s.score, abs=1e-8)) for s in panel.scores]
    assert rows[1][1:3] == ["9", "14"]
    panel.results.item(0).setSelected(True)
    qtbot.mouseClick(panel.match_button, LEFT)
    qtbot.waitUntil(lambda: panel.match_list.count() > 0, timeout=10000)
    save_as(tmp_path / "matches", "CSV: the matches")
    qtbot.mouseClick(window.export_buttons["span"], LEFT)
    rows = _rows(tmp_path / "matches.csv")
    assert rows[0][:3] == ["rank", "start", "end"]
    assert [(int(r[1]), int(r[2]), r[6]) for r in rows[1:]] == [(m.start, m.end, m.inside) for m in panel.matches]


def test_saturation_and_cell_diagram_export_through_the_figure_code(qtbot, window, checkpoint, tmp_path, save_as,
                                                                    monkeypatch):
    from lstm_viz import figures

    tr = open_text(qtbot, window, checkpoint, TEXT)
    specs = []
    real = figures.export_figure
    monkeypatch.setattr(figures, "export_figure", lambda t, spec, path: (specs.append(spec), real(t, spec, path)))
    window.state.set_layer(1)
    window.state.select_unit(2)
    save_as(tmp_path / "sat", "PDF")
    qtbot.mouseClick(window.export_buttons["saturation"], LEFT)
    assert (tmp_path / "sat.pdf").read_bytes()[:5] == b"%PDF-", window.status_label.text()
    assert (specs[-1].view, specs[-1].layer, specs[-1].units) == ("saturation", 1, (2,))

    window.panel_docks["diagram"].raise_()
    view = window.diagram_view
    window.state.select_time(5)
    qtbot.waitUntil(lambda: view.step is not None and (view.step.t, view.step.unit) == (5, 2), timeout=10000)
    save_as(tmp_path / "cell.png", "PNG")
    qtbot.mouseClick(window.export_buttons["diagram"], LEFT)
    assert save_as.suggested[-1] == str(tmp_path / "cell-l1-u2-t5.png")  # in the folder of the last export
    assert QtGui.QImage(str(tmp_path / "cell.png")).width() > 500, window.status_label.text()
    assert specs[-1].view == "cell-diagram" and specs[-1].diagram is view.step
    assert view.step.c == pytest.approx(float(tr.get("cell", 1)[5, 2]), abs=1e-6)


def test_nothing_to_export_and_a_failed_write_are_one_line(qtbot, window, checkpoint, tmp_path, save_as):
    qtbot.mouseClick(window.export_buttons["span"], LEFT)  # no span yet: no dialog either
    assert window.status_label.text().startswith("nothing to export yet")
    open_text(qtbot, window, checkpoint, TEXT)
    save_as(tmp_path / "missing" / "sat.png", "PNG")
    qtbot.mouseClick(window.export_buttons["saturation"], LEFT)
    text = window.status_label.text()
    assert text.startswith("⚠") and "\n" not in text and len(window.errors) == 1
    assert not (tmp_path / "missing").exists()
