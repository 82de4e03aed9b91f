"""Benchmark the whole-text labelling that starts the analysis of a long text: text_labels, token_spans and
Vocab.encode, each against the per-character code it replaced (tests/reference_labels.py), and the longest pause
each causes to a thread that wants to run every millisecond (the GUI's thread, while a worker labels the text).

    python scripts/bench_labels.py [--chars 1000000] [--repeat 3]

The text is Python's own standard library source (as scripts/bench_scale.py reads it); the vocab is the
characters of its first 5,000 (the rest has unknown ones, as a user's text may); the word rows use a word
vocab of the words of those 5,000 characters, with <eos> at line ends. Times: best of ``--repeat``,
old and new in the same run, and their ratio. Pause: the main thread sleeps 1 ms in a loop and records the
longest gap between its wake-ups while the function runs once on a background thread, with
sys.setswitchinterval(0.001); "idle" is the same loop while the background thread only sleeps.
Goal: text_labels at least 10 x faster, and the longest pause it causes at most 10 ms.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

from bench_scale import stdlib_text  # noqa: E402
from reference_labels import encode_reference, text_labels_reference, token_spans_reference  # noqa: E402

from lstm_viz.core.features import text_labels, token_spans  # noqa: E402
from lstm_viz.core.vocab import EOS, UNK, Vocab  # noqa: E402


def best_time(work, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def longest_pause(work) -> float:
    """The longest gap (s) between the wake-ups of this thread, sleeping 1 ms at a time, while ``work`` runs
    on another thread."""
    done = threading.Event()
    worker = threading.Thread(target=lambda: (work(), done.set()))
    longest, last = 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    sys.setswitchinterval(0.001)
    text = stdlib_text(args.chars)
    tokens = Vocab.from_text(text).tokenize(text)
    vocab = Vocab.from_text(text[:5000])
    words = Vocab.from_tokens([UNK, EOS, *sorted(set(text[:5000].split()))], level="word")
    word_tokens = words.tokenize(text)
    rows = [("text_labels", lambda: text_labels_reference(text), lambda: text_labels(text)),
            ("token_spans", lambda: token_spans_reference(text, tokens), lambda: token_spans(text, tokens)),
            ("Vocab.encode", lambda: encode_reference(vocab, text), lambda: vocab.encode(text)),
            ("  words: spans", lambda: token_spans_reference(text, word_tokens), lambda: token_spans(text, word_tokens)),
            ("  words: encode", lambda: encode_reference(words, text), lambda: words.encode(text))]
    print(f"{len(text):,} characters of the standard library's source; best of {args.repeat}; pauses of a thread "
          "that sleeps 1 ms (switch interval 1 ms)")
    print(f"idle: longest pause {longest_pause(lambda: time.sleep(0.5)) * 1e3:.1f} ms")
    print(f"{'':16}{'old s':>9}{'new s':>9}{'ratio':>8}{'old pause ms':>14}{'new pause ms':>14}")
    for name, old, new in rows:
        t_old, t_new = best_time(old, args.repeat), best_time(new, args.repeat)
        p_old = max(longest_pause(old) for _ in range(2))
        p_new = max(longest_pause(new) for _ in range(2))
        print(f"{name:16}{t_old:9.3f}{t_new:9.3f}{t_old / t_new:7.1f}x{p_old * 1e3:14.1f}{p_new * 1e3:14.1f}")


if __name__ == "__main__":
    main()
