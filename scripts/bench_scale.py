"""Long texts without holding the trace: the keyframe pass, window recomputes, peak memory, and `lstm-viz trace`
to a chunked HDF5 file against the in-memory computation.

    python scripts/bench_scale.py [--chars 100000,1000000] [--models demo,big] [--windows 10] [--threads N]
                                   [--app-frames 30]

The text is Python's own standard library source, read from the running interpreter's lib folder. The model is
the demo model (1 layer x 256 LSTM units); ``--models demo,big`` adds a 2-layer, 512-unit LSTM with random weights.
Each phase runs in its own process, so the peak memory printed (ru_maxrss) is that phase's alone; the phases
of one size run one after another in this run, so their ratios hold on a busy machine better than the times.

Phases: ``forward`` the model's fused forward alone over the same text in the same chunks (no gates);
``memory`` the in-memory ``lstm_viz.trace`` (up to 200,000 characters: beyond, ratios are against the forward
alone, as the in-memory trace no longer fits well); ``keyframe`` the keyframe
pass, then ``--windows`` windows of 2,000 steps at random places (each cold: nothing cached), then every
quantity's finest kept summary; ``h5`` write_h5 in the process; ``cli-h5`` the command
``lstm-viz trace CHECKPOINT --text-file F -o out.h5`` as a user runs it (start-up, model load and the whole
write included); ``cli-npz`` the same to an uncompressed NPZ (100,000 characters only).
Then the app on the same model and text (scripts/bench_scale_app.py, its own process): time to the window and
to the first picture, the longest GUI pause, median and worst pan frame, peak memory (``--app-frames 0``: none).
Goal (issue 12): the command to a file <= 1.5 x the in-memory computation.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's lstm_viz, also in the phase processes (ENV)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def stdlib_text(n: int) -> str:
    """The first n characters of the standard library's .py files, in sorted order."""
    parts, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            s = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        parts.append(s)
        total += len(s)
        if total >= n:
            break
    return "".join(parts)[:n]


def bench_models(names: str, folder: Path) -> list[tuple[str, str]]:
    """(label, checkpoint) for "demo" and "big" in the comma-separated ``names``; big is written into ``folder``."""
    wanted = names.split(",")
    models = [("demo 1x256", str(ROOT / "resources" / "demo_model.pt"))] if "demo" in wanted else []
    if "big" in wanted:
        models.append(("random 2x512", big_checkpoint(folder)))
    return models


def bench_texts(chars: str, folder: Path):
    """(n, file) for each size in the comma-separated ``chars``: the first n characters of the standard
    library's source, written into ``folder``."""
    for n in (int(c) for c in chars.split(",")):
        text_file = folder / f"text_{n}.txt"
        text_file.write_text(stdlib_text(n), encoding="utf-8")
        yield n, text_file


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(checkpoint: str):
    from lstm_viz.core.loading import load_model

    return load_model(checkpoint)


def phase(name: str, checkpoint: str, text_file: str, windows: int) -> dict:
    """Run one phase in this process; return its numbers."""
    import numpy as np
    import torch

    text = Path(text_file).read_text(encoding="utf-8")
    m = load(checkpoint)
    out: dict = {"rss_before_mb": maxrss_mb()}
    if name == "memory":
        from lstm_viz.core.trace import trace

        t0 = time.perf_counter()
        tr = trace(m, text)
        out["seconds"] = time.perf_counter() - t0
        out["what"] = "in-memory lstm_viz.trace"
        del tr
    elif name == "forward":
        from lstm_viz.core.gates import CHUNK

        ids = torch.from_numpy(m.vocab.encode(text).ids)
        t0 = time.perf_counter()
        with torch.no_grad():
            x = m.model.inputs(ids)
            state = None
            for s in range(0, len(x), CHUNK):
                _, state = m.model.rnn(x[s:s + CHUNK], state)
        out["seconds"] = time.perf_counter() - t0
        out["what"] = "fused forward alone (no gates)"
    elif name == "keyframe":
        from lstm_viz.core.keyframes import keyframe_trace

        t0 = time.perf_counter()
        tr = keyframe_trace(m, text)
        out["seconds"] = time.perf_counter() - t0
        out["min_summary_level"] = tr.min_summary_level
        rng = np.random.default_rng(0)
        times = []
        for _ in range(windows):
            s = int(rng.integers(0, len(tr) - 2000))
            a = time.perf_counter()
            tr.window("cell", tr.num_layers - 1, False, s, s + 2000)
            times.append(time.perf_counter() - a)
        out["window_ms_median"] = 1000 * float(np.median(times))
        out["window_ms_worst"] = 1000 * float(np.max(times))
        a = time.perf_counter()
        for q in tr.quantities:
            tr.summary(q, 0, False, tr.min_summary_level)
        out["summaries_ms"] = 1000 * (time.perf_counter() - a)
        a = time.perf_counter()
        tr.probs[len(tr) // 2]
        out["probs_row_ms"] = 1000 * (time.perf_counter() - a)
    elif name == "h5":
        from lstm_viz.core.h5trace import write_h5

        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            write_h5(m, text, Path(d) / "out.h5").close()
            out["seconds"] = time.perf_counter() - t0
    elif name in ("cli-h5", "cli-npz"):
        with tempfile.TemporaryDirectory() as d:
            dest = Path(d) / ("out.h5" if name == "cli-h5" else "out.npz")
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "lstm_viz", "trace", checkpoint, "--text-file", text_file,
                                "-o", str(dest)], capture_output=True, text=True, cwd=ROOT, env=ENV)
            out["seconds"] = time.perf_counter() - t0
            if r.returncode:
                raise SystemExit(r.stderr)
            out["file_mb"] = dest.stat().st_size / 2 ** 20
            out["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return out
    out["peak_mb"] = maxrss_mb()
    return out


def run_phase(name, checkpoint, text_file, windows) -> dict:
    r = subprocess.run([sys.executable, __file__, "--phase", name, "--checkpoint", checkpoint, "--text-file",
                        text_file, "--windows", str(windows)], capture_output=True, text=True, cwd=ROOT, env=ENV)
    if r.returncode:
        raise SystemExit(f"phase {name} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def big_checkpoint(d: Path) -> str:
    import torch

    from lstm_viz.core.checkpoint import save_checkpoint
    from lstm_viz.core.model import ModelConfig, RNNLanguageModel

    demo = load(str(ROOT / "resources" / "demo_model.pt"))
    torch.manual_seed(0)
    model = RNNLanguageModel(ModelConfig(input_size=64, hidden_size=512, num_layers=2,
                                         vocab_size=len(demo.vocab))).eval()
    path = d / "big_2x512.pt"
    save_checkpoint(path, model, demo.vocab, {"note": "random weights, for benchmarks"})
    return str(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", default="100000,1000000")
    p.add_argument("--models", default="demo", help="demo (1 x 256), big (2 x 512 LSTM, random weights), or both: "
                   "demo,big")
    p.add_argument("--windows", type=int, default=10)
    p.add_argument("--app-frames", type=int, default=30, help="pan frames per zoom in the app run "
                   "(scripts/bench_scale_app.py); 0: no app run")
    p.add_argument("--threads", type=int, help="torch threads in every phase and in the command (default: "
                   "torch's own); 1 is steadier on a machine others are using")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--checkpoint", help=argparse.SUPPRESS)
    p.add_argument("--text-file", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.threads:
        ENV["OMP_NUM_THREADS"] = ENV["MKL_NUM_THREADS"] = str(args.threads)
    if args.phase:
        print(json.dumps(phase(args.phase, args.checkpoint, args.text_file, args.windows)))
        return
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        models = bench_models(args.models, d)
        for label, ckpt in models:
            for n, text_file in bench_texts(args.chars, d):
                base = "memory" if n <= 200_000 else "forward"
                phases = ["forward", base, "keyframe", "h5", "cli-h5"] + (["cli-npz"] if n <= 100_000 else [])
                res = {ph: run_phase(ph, ckpt, str(text_file), args.windows) for ph in phases}
                ref = res[base]["seconds"]
                print(f"\n== {label}, {n:,} characters ==", flush=True)
                if base != "forward":
                    f = res["forward"]
                    print(f"{f['what']:<34} {f['seconds']:8.2f} s   peak {f['peak_mb']:7.0f} MB")
                print(f"{res[base]['what']:<34} {ref:8.2f} s   peak {res[base]['peak_mb']:7.0f} MB")
                k = res["keyframe"]
                print(f"{'keyframe pass':<34} {k['seconds']:8.2f} s   peak {k['peak_mb']:7.0f} MB   "
                      f"{k['seconds'] / ref:5.2f} x {base}")
                print(f"{'  window of 2,000 steps (cold)':<34} median {k['window_ms_median']:.1f} ms, "
                      f"worst {k['window_ms_worst']:.1f} ms")
                print(f"{'  kept summaries, every quantity':<34} {k['summaries_ms']:.1f} ms "
                      f"(finest kept level {k['min_summary_level']}: blocks of {2 ** k['min_summary_level']})")
                print(f"{'  one row of probs':<34} {k['probs_row_ms']:.1f} ms")
                h = res["h5"]
                print(f"{'write_h5 (in the process)':<34} {h['seconds']:8.2f} s   peak {h['peak_mb']:7.0f} MB   "
                      f"{h['seconds'] / ref:5.2f} x {base}")
                for ph in ("cli-h5", "cli-npz"):
                    if ph in res:
                        c = res[ph]
                        print(f"{'lstm-viz trace -o out.' + ph[4:]:<34} {c['seconds']:8.2f} s   peak "
                              f"{c['peak_mb']:7.0f} MB   {c['seconds'] / ref:5.2f} x {base}   "
                              f"file {c['file_mb']:.0f} MB")
                if args.app_frames:  # the same model and text in the app: window, first picture, pauses, frames
                    from bench_scale_app import report

                    report(label, n, ckpt, text_file, args.app_frames)


if __name__ == "__main__":
    main()
