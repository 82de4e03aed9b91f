"""The units panel's and the saturation view's worker jobs on a long text's keyframe trace: the feature table and
saturation come from the sums its pass kept (no window is recomputed), a regex reads only the chunks holding a
match; each equals the job's result on the in-memory trace of the same text."""
from __future__ import annotations

import numpy as np
import torch

from lstm_viz.app.views.saturation_view import saturation
from lstm_viz.app.views.units_panel import feature_table, regex_units
from lstm_viz.core.features import regex_feature
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab
from lstm_viz.core.generators import run_to_end as run

TEXT = "x = f(a, [b, 'c'])  # d\nif x:\n    y = \"e\" + g(1)\n" * 12
EVERY = 32


def traces():
    torch.manual_seed(5)
    vocab = Vocab.from_text(TEXT)
    model = RNNLanguageModel(ModelConfig(input_size=5, hidden_size=6, num_layers=2, vocab_size=len(vocab))).eval()
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(3.0)
    m = LoadedModel(model=model, vocab=vocab, name="lstm")
    return trace(m, TEXT), keyframe_trace(m, TEXT, keyframe_every=EVERY)


def same(got, want):
    assert [(s.layer, s.reverse, s.unit) for s in got] == [(s.layer, s.reverse, s.unit) for s in want]
    np.testing.assert_allclose([s.r for s in got], [s.r for s in want], rtol=1e-6, atol=1e-8)


def test_the_panel_jobs_answer_from_the_sums_and_equal_the_in_memory_trace(monkeypatch):
    full, kf = traces()
    asked = []
    real = kf._chunk
    monkeypatch.setattr(kf, "_chunk", lambda layer, d, m: asked.append(m) or real(layer, d, m))
    table = run(feature_table(kf, TEXT))
    sat = saturation(kf)
    assert asked == []
    want = run(feature_table(full, TEXT))
    assert list(table) == list(want) and any(want.values())
    for name in want:
        same(table[name], want[name])
    assert all(np.array_equal(a.left, b.left) and np.array_equal(a.right, b.right)
               for a, b in zip(sat, saturation(full)))
    got = run(regex_units(kf, TEXT, r"if x"))
    matched = set((np.flatnonzero(regex_feature(TEXT, r"if x", kf.tokens)) // EVERY).tolist())
    assert set(asked) == matched and len(matched) < len(kf) // EVERY
    same(got, run(regex_units(full, TEXT, r"if x")))
