"""The units panel's regex search as a job on the app's Runner: it shows its progress, a new regex or a new trace
stops the running search at its next window (so does closing the window: Runner.shutdown), and the panel only
ever lists units found for the pattern and trace on screen.

A long text's search reads window after window; here the first window read of the old search is held until
the test has superseded it (or shut the Runner down), so what the search does after that is deterministic: it
must read no other window of the old trace."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import pytest
import torch

from lstm_viz.app.state import AppState
from lstm_viz.app.views.units_panel import REGEX_K, UnitsPanel, regex_units
from lstm_viz.app.worker import Runner
from lstm_viz.core import correlation
from lstm_viz.core.features import regex_feature
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.search import search_feature
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

LONG = "the quick brown fox jumps over the lazy dog; (see: 'here')\n" * 150  # 8,850 tokens, `e` in every chunk
SHORT = "one (two) three 'four' five\n" * 4
HOLD = 20  # seconds a held read waits at most (a failing test must not hang the suite)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


def loaded(text: str, hidden: int, seed: int) -> LoadedModel:
    torch.manual_seed(seed)
    vocab = Vocab.from_text(text)
    net = RNNLanguageModel(ModelConfig(input_size=4, hidden_size=hidden, num_layers=2,
                                       vocab_size=len(vocab))).eval()
    return LoadedModel(model=net, vocab=vocab, name=f"h{hidden}")


@lru_cache(maxsize=None)
def long_trace():
    """A keyframe trace of a long text (its regex search reads only the chunks holding a match: all of them)."""
    return keyframe_trace(loaded(LONG, 5, 1), LONG, keyframe_every=64)


@lru_cache(maxsize=None)
def short_trace():
    return trace(loaded(SHORT, 3, 2), SHORT)


class HeldReads:
    """Counts the windows the searches read of ``tr`` on one worker thread, and holds the first one until
    ``release`` is set: the read in progress when the search is superseded."""

    def __init__(self, monkeypatch, tr):
        self.tr, self.release, self.reading = tr, threading.Event(), threading.Event()
        self.thread = self.job = None  # the held search's worker thread and Job
        self.after = 0  # reads of the held search after its first
        real = correlation.window

        def window(t, *args, **kwargs):
            if t is self.tr:
                if self.thread is None:
                    self.thread = threading.get_ident()
                    self.reading.set()
                    self.release.wait(HOLD)
                elif threading.get_ident() == self.thread and not self.job_done():
                    self.after += 1
            return real(t, *args, **kwargs)
        monkeypatch.setattr(correlation, "window", window)

    def job_done(self) -> bool:
        return self.job is not None and self.job.done


def search_held(qtbot, panel, monkeypatch, tr) -> HeldReads:
    """The panel shows ``tr`` (of LONG) and searches /e/; returns once that search is held in its first read."""
    held = HeldReads(monkeypatch, tr)
    show(panel, LONG, tr)
    panel.regex.setText("e")
    panel.search_regex()
    held.job = panel.runner.current["units_regex"]
    qtbot.waitUntil(held.reading.is_set, timeout=10000)
    return held


@pytest.fixture
def runner():
    r = Runner()
    yield r
    r.shutdown()


@pytest.fixture
def panel(qtbot, runner):
    state = AppState()
    p = UnitsPanel(state, runner)
    qtbot.addWidget(p)
    shown = []  # every regex row the panel ever listed
    p.regex_list.model().rowsInserted.connect(
        lambda parent, first, last: shown.extend(p.regex_list.item(k).text() for k in range(first, last + 1)))
    p.shown = shown
    return p


def show(panel, text, tr):
    panel.state.set_text(text)
    panel.state.set_trace(tr)


def expected(panel, tr, text, pattern):
    """The rows the panel should list for ``pattern`` over ``tr`` (the search itself, not the panel's job)."""
    scores = search_feature(tr, regex_feature(text, pattern, tr.tokens), "cell", k=REGEX_K, with_auc=False)
    return [panel._row(tr, s, f"/{pattern}/").text() for s in scores]


def test_shutdown_stops_a_dense_regex_search_on_a_long_keyframe_trace(qtbot, runner, monkeypatch):
    """Closing the window (Runner.shutdown) while a regex matching in every chunk is searched: the read in
    progress (held until the job is cancelled) is the last one, and the Runner's threads are done."""
    kf = long_trace()
    held = HeldReads(monkeypatch, kf)
    results = []
    held.job = runner.start("units_regex", regex_units, (kf, LONG, "e"), returned=results.append)
    qtbot.waitUntil(held.reading.is_set, timeout=10000)
    threading.Thread(target=lambda: (held.job._cancel.wait(HOLD), held.release.set()), daemon=True).start()
    assert runner.shutdown() is True
    assert held.job.done and held.job.cancelled
    assert held.after == 0 and results == []


def test_a_new_trace_stops_the_old_trace_s_regex_search_and_only_its_own_result_lands(qtbot, panel, monkeypatch):
    a, b = long_trace(), short_trace()
    held = search_held(qtbot, panel, monkeypatch, a)
    show(panel, SHORT, b)  # the old search is still reading its first window
    held.release.set()
    assert held.job.cancelled
    want = expected(panel, b, SHORT, "e")
    qtbot.waitUntil(lambda: held.job.done and [i.text() for i in panel.rows(regex=True)] == want, timeout=10000)
    assert held.after == 0  # not one more window of the old trace
    assert panel.shown == want  # nothing of the old trace was ever listed


def test_a_new_regex_supersedes_the_running_search(qtbot, panel, monkeypatch):
    kf = long_trace()
    held = search_held(qtbot, panel, monkeypatch, kf)
    panel.regex.setText("x")
    panel.search_regex()
    held.release.set()
    assert held.job.cancelled
    want = expected(panel, kf, LONG, "x")
    qtbot.waitUntil(lambda: held.job.done and [i.text() for i in panel.rows(regex=True)] == want, timeout=10000)
    qtbot.waitUntil(lambda: not panel.runner.busy("units_regex"), timeout=10000)
    assert held.after == 0 and panel.shown == want and all("/x/" in t for t in panel.shown)


def test_a_long_regex_search_shows_its_progress(qtbot, panel):
    kf = long_trace()
    show(panel, LONG, kf)
    said = []
    set_text = panel.status.setText
    panel.status.setText = lambda t: (said.append(t), set_text(t))
    panel.regex.setText("e")
    panel.search_regex()
    qtbot.waitUntil(lambda: len(panel.rows(regex=True)) > 0, timeout=20000)
    steps = [t for t in said if re.fullmatch(r"searching units for /e/… \d+%", t)]
    assert len(steps) > 2 and steps == sorted(steps, key=lambda t: int(t.split()[-1][:-1]))
    assert panel.status.text().startswith("10 units by |r|")


def test_a_regex_typed_before_the_new_trace_arrives_searches_the_text_on_screen(qtbot, panel):
    """The editor's text changes at once; the trace of it comes after a pause. Meanwhile a regex must search
    the text the trace read, not the new one against the old trace (which was refused: "the tokens were not
    read from this text")."""
    b = short_trace()
    show(panel, SHORT, b)
    panel.state.set_text(SHORT.replace("two", "owt"), typed=True)
    panel.regex.setText("tw")
    panel.search_regex()
    qtbot.waitUntil(lambda: not panel.runner.busy("units_regex"), timeout=10000)
    assert [i.text() for i in panel.rows(regex=True)] == expected(panel, b, SHORT, "tw")
    assert not panel.status.text().startswith("⚠")
