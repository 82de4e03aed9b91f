"""`lstm-viz units`: the JSON list equals the core search, the table reads well, bad input is one line and
exit status 2."""
import json

import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.features import regex_feature, token_features
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.search import search_feature, search_span
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

TEXT = 'x = f("a", (b + 1))\n# say "hi"\ny = [2, 3]\n'


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(2)
    vocab = Vocab.from_text(TEXT)
    model = LSTMLanguageModel(ModelConfig(input_size=4, hidden_size=8, num_layers=2, bidirectional=True,
                                          vocab_size=len(vocab)))
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_checkpoint(path, model, vocab)
    return path


def units(capsys, *args):
    code = main(["units", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_equals_the_core_search(checkpoint, capsys):
    tr = trace(load_model(checkpoint), TEXT)
    code, out, _ = units(capsys, checkpoint, "--text", TEXT, "--feature", "bracket_depth", "--top", 5, "--json")
    rows = json.loads(out)
    expected = search_feature(tr, token_features(TEXT, tr.tokens)["bracket_depth"], "cell", k=5)
    assert code == 0 and len(rows) == 5
    assert [(r["layer"], r["direction"], r["unit"], r["quantity"]) for r in rows] == \
        [(s.layer, s.direction, s.unit, "cell") for s in expected]
    assert [r["r"] for r in rows] == pytest.approx([s.r for s in expected], abs=1e-6)
    assert {r["direction"] for r in rows} <= {"forward", "backward"}

    code, out, _ = units(capsys, checkpoint, "--text", TEXT, "--regex", r'"[^"]*"', "--quantity", "forget",
                         "--layer", "1", "--reverse", "--json")
    rows = json.loads(out)
    expected = search_feature(tr, regex_feature(TEXT, r'"[^"]*"', tr.tokens), "forget_gate", 1, True, k=10)
    assert code == 0 and [r["unit"] for r in rows] == [s.unit for s in expected]
    assert all(r["layer"] == 1 and r["direction"] == "backward" and r["quantity"] == "forget_gate" for r in rows)
    assert all("auc" in r for r in rows)  # a regex is a yes/no feature

    code, out, _ = units(capsys, checkpoint, "--text", TEXT, "--span", "5:9", "--threshold", "0.2", "--json")
    rows = json.loads(out)
    expected = search_span(tr, 5, 9, threshold=0.2, k=10)
    assert code == 0 and [(r["layer"], r["unit"], r["score"]) for r in rows] == \
        [(s.layer, s.unit, pytest.approx(s.score, abs=1e-6)) for s in expected]


def test_table(checkpoint, capsys):
    code, out, err = units(capsys, checkpoint, "--text", TEXT, "--span", "4:9", "--top", 3)
    assert code == 0 and len(out.strip().splitlines()) == 3
    assert "span 4:9 (f(\"a\")" in err and out.lstrip().startswith("1. layer")


@pytest.mark.parametrize("args, message", [
    (["--regex", "("], "does not compile"),
    (["--span", "9:4"], "is empty"),
    (["--span", "3:400"], "does not lie in the text"),
    (["--span", "x"], "is not S:E"),
    (["--feature", "digit", "--layer", "5"], "layer 5 does not exist"),
    (["--feature", "upper"], "at every token"),
    (["--feature", "digit", "--quantity", "speed"], "unknown quantity"),
    (["--feature", "digit", "--top", "0"], "--top"),
])
def test_bad_input_is_one_line_and_exit_2(checkpoint, capsys, args, message):
    code, out, err = units(capsys, checkpoint, "--text", TEXT, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
