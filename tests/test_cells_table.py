"""The table of cell types: consistent, torch-free to import, and naming what PyTorch names."""
import subprocess
import sys

import pytest

from lstm_viz.core.cells import ALL_QUANTITIES, CELLS, cell_type
from lstm_viz.core.errors import InputError


def test_importing_the_table_does_not_import_torch():
    code = ("import sys; from lstm_viz.core.cells import CELLS; CELLS['gru'].quantities; "
            "assert 'torch' not in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_each_cell_names_its_quantities_gates_and_state():
    assert list(CELLS) == ["lstm", "gru", "rnn", "peephole", "cifg"]
    assert CELLS["gru"].quantities == ("reset_gate", "update_gate", "new_gate", "hidden")
    assert CELLS["rnn"].quantities == ("hidden",)
    for name in ("lstm", "peephole", "cifg"):
        assert CELLS[name].quantities == ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
        assert CELLS[name].state == ("h", "c") and CELLS[name].has_cell_state
    for c in CELLS.values():
        assert set(c.gates) <= set(c.quantities) and set(c.bounded) <= set(c.quantities)
        assert c.quantities[-1] == "hidden" and set(c.symbols) == set(c.quantities)
    assert not CELLS["gru"].has_cell_state and CELLS["gru"].gates == ("reset_gate", "update_gate")
    assert ALL_QUANTITIES[:6] == CELLS["lstm"].quantities and "new_gate" in ALL_QUANTITIES


@pytest.mark.parametrize("name, rows", [("lstm", 4), ("gru", 3), ("rnn", 1), ("peephole", 4), ("cifg", 3)])
def test_each_module_has_torch_s_parameter_names_and_sizes(name, rows):
    rnn = CELLS[name].build(3, 5, num_layers=2, bidirectional=True)
    assert type(rnn) is CELLS[name].module
    params = dict(rnn.named_parameters())
    assert params["weight_ih_l0"].shape == (rows * 5, 3) and params["weight_hh_l1_reverse"].shape == (rows * 5, 5)
    assert params["weight_ih_l1"].shape == (rows * 5, 10)
    assert ("weight_co_l0" in params) == (name == "peephole")


def test_unknown_cells_and_options_are_one_line_errors():
    with pytest.raises(InputError, match="unknown cell type 'lsmt'; one of lstm, gru, rnn, peephole, cifg"):
        cell_type("lsmt")
    with pytest.raises(InputError, match="only for the plain LSTM"):
        CELLS["gru"].build(3, 5, proj_size=2)
    with pytest.raises(InputError, match="tanh or relu"):
        CELLS["rnn"].build(3, 5, nonlinearity="sigmoid")
    assert CELLS["rnn"].build(3, 5, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(InputError, match="a GRU has no 'cell'"):
        CELLS["gru"].check("cell")
