"""The worker: results by signals, cancel at the next yield, stale jobs silent, the GUI never freezes."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
from PySide6 import QtCore, QtGui

from lstm_viz.app.worker import Runner
from lstm_viz.core.errors import InputError

from .conftest import make_checkpoint, open_text


def test_generator_progress_return_and_one_line_errors(qtbot):
    runner = Runner()

    def counts(n):
        for k in range(n):
            yield k / n
        return "done"

    seen, out = [], []
    runner.start("a", counts, (4,), progress=seen.append, returned=out.append)  # connected before it runs
    qtbot.waitUntil(lambda: out == ["done"])
    assert seen == [0, 0.25, 0.5, 0.75]

    def bad():
        yield 0.0
        raise InputError("x.txt: not UTF-8 text (byte 3)")

    errors = []
    runner.start("b", bad, errored=errors.append)
    qtbot.waitUntil(lambda: errors == ["x.txt: not UTF-8 text (byte 3)"])
    assert runner.shutdown()


def test_cancel_stops_at_the_next_yield_and_newer_jobs_supersede(qtbot):
    runner = Runner()
    closed, steps = [], []

    def endless():
        try:
            while True:
                steps.append(1)
                yield len(steps)
        finally:
            closed.append(True)

    returned = []
    job = runner.start("a", endless, returned=returned.append)
    qtbot.waitUntil(lambda: len(steps) > 3)
    newer = runner.start("a", lambda: "new", returned=returned.append)  # supersedes: the old one is cancelled
    qtbot.waitUntil(lambda: job.done and returned == ["new"])
    assert closed == [True] and job.cancelled and not newer.cancelled
    assert runner.shutdown()


def test_gui_keeps_running_during_a_20000_token_analysis(qtbot, window, tmp_path):
    ckpt = make_checkpoint(tmp_path / "small.pt", hidden=8, layers=2)
    open_text(qtbot, window, ckpt, "abc")
    text = ("abc 'de' (fa)\nhij. " * 1100)[:20000]
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) > 3)  # the timer runs; now start the analysis from the event loop
    started = []
    window.session.busy.connect(lambda _: started.append(len(ticks)))
    with qtbot.waitSignal(window.session.analysed, timeout=60000):
        QtCore.QTimer.singleShot(0, lambda: window.state.set_text(text))
    during = len(ticks) - started[0]
    n = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) > n + 10, timeout=5000)  # and the drawing that follows
    timer.stop()
    gaps = np.diff(ticks)
    assert len(window.state.trace) == 20000
    np.testing.assert_array_equal(window.stack.heatmaps["forget_gate"].data,
                                  window.state.trace.get("forget_gate", 0).T)
    # The analysis ran off the GUI thread: the timer kept ticking while it ran. The bound on the longest
    # pause is generous (the machine running the tests may be busy); scripts/bench_responsive.py measures.
    assert during > 0, "the GUI thread did not tick once while the text was analysed"
    assert max(gaps) < 0.5, f"pauses of the GUI thread (ms): {[round(g * 1000) for g in gaps]}"


def test_train_dialog_trains_and_the_new_model_opens_on_its_own_corpus(qtbot, window, tmp_path):
    window.show_train_dialog()
    d = window.train_dialog
    d.corpus_box.setCurrentIndex(d.corpus_box.findData("brackets"))
    d.hidden.setValue(4)
    d.embed.setValue(5)
    d.lr.setValue(0.003)
    d.steps.setValue(6)
    d.seq_len.setValue(16)
    d.batch.setValue(4)
    d.size.setValue(3000)
    out = tmp_path / "trained.pt"
    window.state.set_text("((a))")
    with qtbot.waitSignal(window.session.analysed, timeout=60000):
        d.start(str(out))
        assert not d.hidden.isEnabled() and not d.lr.isEnabled() and not d.out_field.isEnabled()
    assert out.exists() and d._steps[-1] == 6 and len(d._losses) == 6
    np.testing.assert_allclose(d.train_curve.yData, d._losses)
    assert "bits/char" in d.plot.getAxis("left").labelText
    assert d.hidden.isEnabled() and d.lr.isEnabled()
    model = window.state.model
    assert model.source == str(out)
    assert model.config.hidden_size == 4 and model.config.input_size == 5
    assert model.metadata["settings"]["lr"] == 0.003
    text = "".join(window.state.trace.tokens)
    assert text != "((a))" and len(text) > 100 and set(text) <= set(model.vocab.tokens)  # its own corpus


def test_screenshot_command_saves_the_window_and_exits_cleanly(tmp_path):
    ckpt = make_checkpoint(tmp_path / "s.pt")
    text = tmp_path / "t.txt"
    text.write_text("abc 'de' (fa)\nhij.", encoding="utf-8")
    out = tmp_path / "shot.png"
    config = tmp_path / "config"  # where QSettings() would write: it must stay as the user left it
    user_settings = config / "lstm_viz" / "lstm_viz.conf"
    user_settings.parent.mkdir(parents=True)
    user_settings.write_text("[recent]\ncheckpoints=/somewhere/mine.pt\n", encoding="utf-8")
    before = user_settings.read_bytes(), user_settings.stat().st_mtime_ns
    r = subprocess.run([sys.executable, "-m", "lstm_viz", str(ckpt), str(text), "--screenshot", str(out),
                        "--size", "900x600"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "XDG_CONFIG_HOME": str(config)})
    assert r.returncode == 0, r.stderr
    assert (user_settings.read_bytes(), user_settings.stat().st_mtime_ns) == before
    assert sorted(p.name for p in config.rglob("*")) == ["lstm_viz", "lstm_viz.conf"]
    img = QtGui.QImage(str(out))
    assert img.width() == 900 and img.height() == 600
    colours = {img.pixel(x, y) for x in range(0, 900, 7) for y in range(0, 600, 7)}
    assert len(colours) > 50  # heatmaps and text, not a blank window


def test_bad_checkpoint_on_the_command_line_is_one_line(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    r = subprocess.run([sys.executable, "-m", "lstm_viz", str(bad), "--screenshot", str(tmp_path / "x.png")],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("lstm-viz")]
    assert len(lines) == 1 and str(bad) in lines[0]


def test_missing_checkpoint_on_the_command_line_is_one_line(tmp_path):
    missing = tmp_path / "missing.pt"
    r = subprocess.run([sys.executable, "-m", "lstm_viz", str(missing), "--screenshot", str(tmp_path / "x.png")],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("lstm-viz")]
    assert len(lines) == 1 and "no such file" in lines[0]


def test_a_result_already_on_its_way_is_dropped_when_the_job_is_cancelled(qtbot):
    """The worker has emitted the result (queued for the GUI thread) when the user cancels: it must not arrive.
    Opening a checkpoint and pressing Esc at once showed the new model although the status said "cancelled"."""
    import threading

    runner = Runner()
    go, finished = threading.Event(), threading.Event()

    def fn():
        go.wait(10)
        return "late"

    out, errors = [], []
    job = runner.start("a", fn, returned=out.append, errored=errors.append)
    job.finished.connect(finished.set, QtCore.Qt.ConnectionType.DirectConnection)
    go.set()
    assert finished.wait(10)  # the result is emitted: it waits in the GUI thread's event queue
    runner.cancel("a")
    qtbot.waitUntil(lambda: not runner.busy("a"))
    assert out == [] and errors == []
    assert runner.shutdown()


def test_a_job_whose_qt_object_is_gone_stops_quietly():
    """The app closed while a job ran on: its signals' source is deleted. It used to raise at the next emit
    ("Signal source has been deleted", printed with a traceback at exit); now it stops at its next step."""
    import threading

    import shiboken6

    from lstm_viz.app.worker import Job

    go, inside, steps, errors = threading.Event(), threading.Event(), [], []

    def slow():
        for k in range(5):
            inside.set()
            go.wait()
            steps.append(k)
            yield k

    job = Job("a", slow, (), {})

    def run():
        try:
            job.run()
        except Exception as e:  # noqa: BLE001 - what the thread pool would print
            errors.append(e)

    th = threading.Thread(target=run)
    th.start()
    assert inside.wait(10)  # "started" is emitted: the job runs its first step
    shiboken6.delete(job)  # what the end of the app does to the Qt side
    go.set()
    th.join(10)
    assert not th.is_alive()
    assert errors == []
    assert len(steps) <= 1  # stopped at its next step, not run to the end
