"""The importer on arbitrary trees (what a damaged or unusual file can hold): a result or one line, never a traceback."""
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from layout_models import AwdRNNModel, LanguageModel, WordRNNModel, flair_model, to_pickled
from lstm_viz.core.errors import CheckpointError, LstmVizError
from lstm_viz.core.importer import import_checkpoint
from lstm_viz.core.pickled import Pickled

NAMES = ["rnn", "rnns", "0", "1", "module", "encoder", "decoder", "proj", "fc", "weight_ih_l0", "weight_hh_l0",
         "bias_ih_l0", "bias_hh_l0", "weight_hh_l0_raw", "weight_hr_l0", "weight_ih_l1", "weight", "bias",
         "state_dict", "model", "vocab", "itos", "dictionary", "is_forward_lm", "hyper_parameters", "optimizer"]


def _sources():
    torch.manual_seed(0)
    return [WordRNNModel("LSTM", 11, 4, 4, 2, dropout=0.0).state_dict(),
            AwdRNNModel("LSTM", 11, 4, 6, 3, wdrop=0.3, tie_weights=True).state_dict(),
            flair_model(nout=3).state_dict(), nn.LSTM(3, 5, bidirectional=True, proj_size=2).state_dict()]


SOURCES = _sources()
tensors = st.one_of(
    st.sampled_from([t for sd in SOURCES for t in sd.values()]),
    st.builds(lambda shape, dt: torch.zeros(shape, dtype=dt), st.lists(st.integers(0, 6), max_size=3),
              st.sampled_from([torch.float32, torch.float64, torch.float16, torch.int64, torch.bool])))
leaves = st.one_of(tensors, st.none(), st.integers(), st.booleans(), st.text(max_size=3),
                   st.binary(max_size=3), st.lists(st.text(max_size=2), max_size=4))
keys = st.one_of(st.sampled_from(NAMES), st.builds(lambda a, b: f"{a}.{b}", st.sampled_from(NAMES),
                                                   st.sampled_from(NAMES)))


def _module(children):
    params, mods = children
    return Pickled("model.Net", state={"_parameters": params, "_buffers": {}, "_modules": mods, "nonlinearity": "relu"})


trees = st.recursive(leaves, lambda inner: st.one_of(
    st.dictionaries(keys, inner, max_size=5), st.lists(inner, max_size=3),
    st.builds(_module, st.tuples(st.dictionaries(keys, tensors, max_size=4),
                                 st.dictionaries(keys, inner.filter(lambda x: isinstance(x, Pickled)), max_size=2)))),
    max_leaves=25)


def mutated(draw_sd, key, value):
    sd = dict(draw_sd)
    sd[key] = value
    return sd


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(trees, st.builds(mutated, st.sampled_from(SOURCES), keys, leaves)))
def test_any_tree_gives_a_model_or_one_line(obj):
    try:
        m = import_checkpoint(obj, path="f.pt")
    except LstmVizError as e:
        assert "\n" not in str(e) and str(e).startswith("f.pt: ")
    else:
        assert m.config.hidden_size > 0


def test_a_zero_dimensional_projection_weight_is_one_line():
    """Found by the fuzz test above: a 0-d weight_hr_l0 raised IndexError instead of a one-line reason."""
    sd = dict(torch.nn.LSTM(3, 5, bidirectional=True).state_dict())
    sd["weight_hr_l0"] = torch.tensor(0.0)
    sd["weight_hr_l0_reverse"] = torch.zeros(4, 5)
    with pytest.raises(CheckpointError, match="weight_hr has shape"):
        import_checkpoint(sd, path="m.pt")
