"""Our checkpoint format: self-describing, safe to load, written atomically."""
import pytest
import torch

from lstm_viz.core.checkpoint import atomic_write, save_checkpoint
from lstm_viz.core.errors import CheckpointError, LstmVizError
from lstm_viz.core.loading import load_model
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.vocab import Vocab


def small(proj=0):
    torch.manual_seed(0)
    vocab = Vocab.from_text("to be or not")
    cfg = ModelConfig(input_size=4, hidden_size=6, num_layers=2, proj_size=proj, vocab_size=len(vocab))
    return LSTMLanguageModel(cfg).eval(), vocab


def test_round_trip_rebuilds_the_model_from_the_file_alone(tmp_path):
    model, vocab = small(proj=3)
    save_checkpoint(tmp_path / "m.pt", model, vocab, {"corpus": "hamlet", "losses": [3.0, 2.5], "seed": 1})
    obj = torch.load(tmp_path / "m.pt", weights_only=True)  # plain data only
    assert obj["format"] == "lstm_viz" and obj["format_version"] == 1
    m = load_model(tmp_path / "m.pt")
    assert m.config == model.config and m.vocab == vocab and m.metadata["losses"] == [3.0, 2.5]
    for k, v in model.state_dict().items():
        assert torch.equal(m.model.state_dict()[k], v)


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    model, vocab = small()
    save_checkpoint(tmp_path / "m.pt", model, vocab)
    before = (tmp_path / "m.pt").read_bytes()

    def crash(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(LstmVizError, match="No space left"):
        atomic_write(tmp_path / "m.pt", crash)
    assert (tmp_path / "m.pt").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


def test_newer_format_version_is_refused_plainly(tmp_path):
    model, vocab = small()
    save_checkpoint(tmp_path / "m.pt", model, vocab)
    obj = torch.load(tmp_path / "m.pt", weights_only=True)
    obj["format_version"] = 99
    torch.save(obj, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="new.pt: .*version 99 is newer"):
        load_model(tmp_path / "new.pt")


def test_atomic_write_gives_the_umask_mode_not_owner_only(tmp_path):
    import os
    import stat

    from lstm_viz.core.checkpoint import atomic_write

    old = os.umask(0o022)
    try:
        target = tmp_path / "out.bin"
        atomic_write(target, lambda tmp: open(tmp, "wb").write(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_junk_pickles_give_a_checkpoint_error_not_a_crash(tmp_path):
    """Random bytes behind a pickle header once leaked struct.error out of torch.load."""
    import random

    import pytest

    from lstm_viz.core.errors import CheckpointError
    from lstm_viz.core.loading import load_model

    rng = random.Random(0)
    for i in range(200):
        p = tmp_path / f"junk{i}.pt"
        p.write_bytes(b"\x80\x02" + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
        with pytest.raises(CheckpointError, match="junk"):
            load_model(p)
