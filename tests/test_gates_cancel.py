"""Extraction as a generator: progress, cancellation by close(), and no helper thread left behind."""
import threading

import pytest
import torch
from torch import nn

from lstm_viz.core import gates
from lstm_viz.core.gates import iter_lstm_states


def helper_threads():
    return [t for t in threading.enumerate() if t.name.startswith("lstm_viz-gates")]


def test_progress_rises_to_one_and_no_thread_is_left():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True).eval()
    gen = iter_lstm_states(lstm, torch.randn(50, 3), chunk=8)
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            states = stop.value
            break
    assert progress == sorted(progress) and progress[-1] == 1.0 and 0 < progress[0] < 0.2
    assert len(states) == 2 and states[1][1].cell.shape == (50, 4)
    assert helper_threads() == []


def test_close_cancels_queued_work_and_joins_the_thread(monkeypatch):
    calls = []
    real = gates._chunk_job

    def counting(*args):
        calls.append(1)
        real(*args)

    monkeypatch.setattr(gates, "_chunk_job", counting)
    lstm = nn.LSTM(3, 4).eval()
    gen = iter_lstm_states(lstm, torch.randn(400, 3), chunk=4, overlap=True)  # 100 chunks
    for _ in range(3):
        next(gen)
    assert helper_threads(), "the helper thread should be working"
    gen.close()
    assert helper_threads() == []
    n = len(calls)
    assert 1 <= n < 100
    with pytest.raises(StopIteration):
        next(gen)
    assert len(calls) == n  # nothing runs after close()


def test_a_failing_job_reaches_the_caller(monkeypatch):
    def broken(*args):
        raise FloatingPointError("boom")

    monkeypatch.setattr(gates, "_chunk_job", broken)
    gen = iter_lstm_states(nn.LSTM(2, 3).eval(), torch.randn(30, 2), chunk=5)
    with pytest.raises(FloatingPointError, match="boom"):
        for _ in gen:
            pass
    assert helper_threads() == []
