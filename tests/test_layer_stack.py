"""A stack whose layers differ in size (ModelConfig.layer_sizes, lstm_viz.core.stack.LayerStack): traced layer by
layer exactly as its own modules compute, saved and loaded with its sizes; uniform models unchanged."""
import numpy as np
import pytest
import torch

from layout_models import ATOL, check_probs, check_stack
from lstm_viz.core.checkpoint import from_checkpoint_dict, save_checkpoint
from lstm_viz.core.errors import InputError
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.stack import LayerStack
from lstm_viz.core.tracing import trace


def stack_model(cell="lstm", sizes=(6, 10, 6), bidirectional=False, seed=0):
    torch.manual_seed(seed)
    c = ModelConfig(input_size=4, hidden_size=sizes[0], num_layers=len(sizes), layer_sizes=sizes, vocab_size=9,
                    cell=cell, bidirectional=bidirectional)
    return LoadedModel(RNNLanguageModel(c).eval(), None, "stack")


def test_every_quantity_of_every_layer_is_its_own_modules():
    m = stack_model()
    assert isinstance(m.model.rnn, LayerStack) and m.config.sizes == (6, 10, 6)
    ids = torch.tensor([1, 4, 2, 8, 0, 3, 3, 5])
    tr = trace(m, ids.numpy())
    assert [tr.units(k) for k in range(3)] == [6, 10, 6]
    with torch.no_grad():
        check_stack(tr, list(m.model.rnn.layers), m.model.encoder(ids))
        logits, state = m.model(ids[:, None])
    check_probs(tr, logits)
    assert [s[0].shape[-1] for s in state] == [6, 10, 6]  # one state per layer, of its own size


@pytest.mark.parametrize("cell", ["gru", "rnn", "peephole", "cifg"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_other_cells_and_directions_follow_each_layer(cell, bidirectional):
    m = stack_model(cell, (5, 8, 3), bidirectional)
    ids = torch.tensor([1, 4, 2, 8, 0, 3])
    tr = trace(m, ids.numpy())
    with torch.no_grad():
        x = m.model.encoder(ids)[:, None]  # (T, 1, in)
        for k, layer in enumerate(m.model.rnn.layers):
            x, _ = layer(x)  # (T, 1, D*units)
            H = m.config.sizes[k]
            np.testing.assert_allclose(tr.get("hidden", k), x[:, 0, :H].numpy(), atol=ATOL)
            if bidirectional:
                np.testing.assert_allclose(tr.get("hidden", k, True), x[:, 0, H:].numpy(), atol=ATOL)
        logits, _ = m.model(ids[:, None])
    check_probs(tr, logits)


def test_checkpoint_keeps_the_sizes_and_uniform_configs_are_unchanged(tmp_path):
    m = stack_model()
    save_checkpoint(tmp_path / "s.pt", m.model, None)
    back = from_checkpoint_dict(torch.load(tmp_path / "s.pt", weights_only=True), tmp_path / "s.pt")
    assert back.config == m.config and back.config.layer_sizes == (6, 10, 6)
    for k, v in m.model.state_dict().items():
        assert torch.equal(back.model.state_dict()[k], v)
    assert "hidden sizes: 6, 10, 6 units in layers 0 to 2 (per direction)" in back.describe()
    uniform = ModelConfig(input_size=4, hidden_size=5, num_layers=2, layer_sizes=(5, 5), vocab_size=9)
    assert uniform.layer_sizes == () and "layer_sizes" not in uniform.to_dict()
    assert type(RNNLanguageModel(uniform).rnn) is torch.nn.LSTM


def test_bad_layer_sizes_are_one_line_errors():
    with pytest.raises(InputError, match="must give 3 positive sizes"):
        ModelConfig(input_size=4, hidden_size=6, num_layers=3, layer_sizes=(6, 10), vocab_size=9)
    with pytest.raises(InputError, match="the first equal to hidden_size 5"):
        ModelConfig(input_size=4, hidden_size=5, num_layers=2, layer_sizes=(6, 10), vocab_size=9)
    with pytest.raises(InputError, match="no projection"):
        ModelConfig(input_size=4, hidden_size=6, num_layers=2, layer_sizes=(6, 10), proj_size=2, vocab_size=9)


def test_initial_state_per_layer_of_its_own_size():
    m = stack_model(sizes=(3, 5))
    rng = np.random.default_rng(0)
    state = {f"{p}0_l{k}": rng.standard_normal(n).astype(np.float32) for k, n in enumerate((3, 5)) for p in "hc"}
    ids = torch.tensor([1, 2, 3, 4])
    tr = trace(m, ids.numpy(), state=state)
    with torch.no_grad():
        given = [tuple(torch.from_numpy(state[f"{p}0_l{k}"])[None, None] for p in "hc") for k in range(2)]
        y, _ = m.model.rnn(m.model.encoder(ids)[:, None], given)
    np.testing.assert_allclose(tr.get("hidden", 1), y[:, 0].numpy(), atol=ATOL)
    with pytest.raises(InputError, match="differ in size"):
        trace(m, ids.numpy(), state=(np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32)))
    with pytest.raises(InputError, match=r"h0_l1 has shape \(3,\); the model needs \(5,\)"):
        trace(m, ids.numpy(), state=state | {"h0_l1": np.zeros(3, np.float32)})


def test_cell_diagram_reads_each_layer_with_its_own_size():
    from lstm_viz.core.diagram import cell_step
    m = stack_model()
    tr = trace(m, np.array([1, 4, 2, 8]))
    step = cell_step(m, tr, 2, 9, layer=1)  # unit 9 exists only in the 10-unit layer
    assert step.unit == 9 and step.error < 1e-5
    with pytest.raises(InputError, match="layer 2 has 6"):
        cell_step(m, tr, 2, 9, layer=2)


@pytest.mark.parametrize("cls, bidirectional", [(torch.nn.LSTM, False), (torch.nn.GRU, True)])
def test_a_chain_with_a_multi_layer_link_opens_as_one_stack(cls, bidirectional):
    from lstm_viz.core.importer import import_checkpoint
    torch.manual_seed(6)
    D = 2 if bidirectional else 1
    first, second = cls(4, 7, num_layers=2, bidirectional=bidirectional), cls(7 * D, 3, bidirectional=bidirectional)
    sd = {f"lstm1.{k}": v for k, v in first.state_dict().items()}
    sd |= {f"lstm2.{k}": v for k, v in second.state_dict().items()}
    sd |= {"fc.weight": torch.randn(5, 3 * D), "fc.bias": torch.randn(5)}
    m = import_checkpoint(sd, path="chain.pt")
    assert m.config.sizes == (7, 7, 3) and m.config.decoder and m.config.vocab_size == 5
    x = torch.randn(6, 4)
    tr = trace(m, x.numpy())
    with torch.no_grad():
        y1, _ = first(x[:, None])  # (T, 1, D*7)
        y2, _ = second(y1)  # (T, 1, D*3)
        logits = torch.nn.functional.linear(y2[:, 0], sd["fc.weight"], sd["fc.bias"])
    for d in range(D):
        np.testing.assert_allclose(tr.get("hidden", 1, bool(d)), y1[:, 0, 7 * d:7 * (d + 1)].numpy(), atol=ATOL)
        np.testing.assert_allclose(tr.get("hidden", 2, bool(d)), y2[:, 0, 3 * d:3 * (d + 1)].numpy(), atol=ATOL)
    assert tr.probs is None  # input vectors: no next-token probabilities to compare
    with torch.no_grad():
        h = torch.cat([torch.tensor(tr.get("hidden", 2, bool(d))) for d in range(D)], dim=1)  # (T, D*3)
        np.testing.assert_allclose(m.model.decoder(h).numpy(), logits.numpy(), atol=ATOL)


def test_asking_a_stack_for_units_without_a_layer_is_an_error_not_a_guess():
    from lstm_viz.core.cell_compute import units_of, zero_state
    rnn = stack_model().model.rnn
    assert [units_of(rnn, "cell", k) for k in range(3)] == [6, 10, 6]
    with pytest.raises(TypeError, match="say which layer"):
        units_of(rnn, "cell")
    with pytest.raises(TypeError, match="say which layer"):
        zero_state(rnn)
    assert units_of(torch.nn.LSTM(3, 5, num_layers=2), "cell") == 5  # torch's modules: every layer alike
