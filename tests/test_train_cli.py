"""`lstm-viz train` as a user meets it: progress on stderr, a final bits-per-character line, Ctrl-C saves,
and bad input is one line with exit status 2 that never touches an existing checkpoint."""
import os
import signal
import subprocess
import sys

import pytest

from lstm_viz.cli import main
from lstm_viz.core.loading import load_model

SMALL = ["--hidden", "8", "--embed", "4", "--seq-len", "16", "--batch-size", "4", "--steps", "6",
         "--eval-every", "3", "--threads", "1"]


def test_train_files_and_final_line(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    out = tmp_path / "m.pt"
    assert main(["train", str(corpus), "-o", str(out), *SMALL, "--seed", "5"]) == 0
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"wrote {out}: 6 steps") and "bits per character" in last
    meta = load_model(out).metadata
    assert meta["seed"] == 5 and meta["corpus"] == "c.txt" and meta["corpus_files"] == [str(corpus)]


def test_train_builtin_corpus(tmp_path, capsys):
    out = tmp_path / "q.pt"
    assert main(["train", "--corpus", "quotes", "--corpus-size", "3000", "-o", str(out), *SMALL[:6],
                 "--epochs", "1", "--threads", "1"]) == 0
    assert "validation loss" in capsys.readouterr().err
    assert load_model(out).metadata["corpus"] == "quotes"


@pytest.mark.parametrize("case", ["empty", "short", "latin1", "missing", "nan-lr", "zero-hidden", "no-dir",
                                  "both", "neither", "out-is-dir"])
def test_bad_input_is_one_line_and_keeps_the_checkpoint(tmp_path, capsys, case):
    good = tmp_path / "good.txt"
    good.write_text("hello world. " * 50, encoding="utf-8")
    out = tmp_path / "m.pt"
    out.write_bytes(b"an earlier checkpoint")
    files = {"empty": b"", "short": b"tiny", "latin1": "caf\xe9 au lait".encode("latin-1") * 30}
    if case in files:
        (tmp_path / f"{case}.txt").write_bytes(files[case])
    argv = {
        "empty": [str(tmp_path / "empty.txt")], "short": [str(tmp_path / "short.txt")],
        "latin1": [str(tmp_path / "latin1.txt")], "missing": [str(tmp_path / "nope.txt")],
        "nan-lr": [str(good), "--lr", "nan"], "zero-hidden": [str(good), "--hidden", "0"],
        "no-dir": [str(good)], "both": [str(good), "--corpus", "quotes"], "neither": [],
        "out-is-dir": [str(good)],
    }[case]
    target = {"no-dir": tmp_path / "nodir" / "m.pt", "out-is-dir": tmp_path}.get(case, out)
    assert main(["train", *SMALL, *argv, "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lstm-viz train: error: "), err
    assert out.read_bytes() == b"an earlier checkpoint"


def test_ctrl_c_stops_cleanly_with_the_checkpoint_saved(tmp_path):
    out = tmp_path / "m.pt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lstm_viz", "train", "--corpus", "quotes", "--corpus-size", "20000",
         "-o", str(out), "--hidden", "8", "--embed", "4", "--seq-len", "16", "--batch-size", "4",
         "--steps", "1000000", "--checkpoint-every", "0", "--threads", "1"],
        stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
    seen = b""
    while b"training:" not in seen:  # the bar appears after the first batch
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    err = (seen + rest).decode(errors="replace")
    assert proc.returncode == 130, err
    assert f"saved {out}" in err.splitlines()[-1] and "Traceback" not in err
    meta = load_model(out).metadata
    assert meta["cancelled"] is True and meta["steps"] >= 1
