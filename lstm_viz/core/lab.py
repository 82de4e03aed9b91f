"""The long-range lab: can a plain RNN, a GRU and an LSTM of the same size carry one character across a gap?

    gen = long_range(LabConfig(gaps=(5, 20, 100), cells=("rnn", "lstm"), seed=1))
    for progress in gen: ...          # one LabProgress per training batch and per measurement
    result = <StopIteration.value>    # LabResult; gen.close() cancels at the next yield

Each cell type is trained from the same seed on the same batches of the ``long-copy`` corpus
(lstm_viz.core.corpora.long_copy, lines ``K:<filler>=K``, the filler exactly ``gap`` characters long), one gap per
batch in turn, as a character language model: every line read from a zero state, next-character loss on the
whole line, Adam, gradient clipping. Then, on lines it has never seen:

- recall: the share of lines of each gap on which the model's most likely character after ``=`` is the key;
- connectivity: ‖∂ log p(key) / ∂ x_s‖ at the ``=`` step, against the distance t − s (lstm_viz.core.gradients),
  averaged over lines of the longest gap.

The same config and seed give the same numbers (each run keeps its own torch random state, as core/train.py).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Generator

import numpy as np
import torch
from torch import nn

from .cells import cell_type
from .corpora import LONG_COPY_KEYS, long_copy
from .errors import InputError
from .gradients import input_gradient_norms
from .model import ModelConfig, RNNLanguageModel
from .vocab import Vocab

ALPHABET = "\n :=" + LONG_COPY_KEYS + "abcdefghijklmnopqrstuvwxyz"  # every character long_copy writes


@dataclass(frozen=True)
class LabConfig:
    gaps: tuple[int, ...] = (5, 10, 20, 50, 100, 200)  # filler lengths between the key and its repeat
    cells: tuple[str, ...] = ("rnn", "gru", "lstm")
    hidden_size: int = 32  # units, the same for every cell type
    embed_size: int = 16
    steps: int = 1000  # training batches per cell type
    batch_size: int = 32  # lines per batch
    lr: float = 1e-2  # Adam
    clip: float = 1.0  # gradient-norm clipping
    forget_bias: float | None = 1.0  # LSTM-like cells: the forget gate's total bias at the start (Jozefowicz et
    # al. 2015), as the trainer's forget_bias (lstm_viz.core.model.set_forget_bias); None keeps PyTorch's
    key_weight: float = 1.0  # weight of the key's loss added to the mean loss per character (0: a plain LM)
    seed: int = 0
    eval_lines: int = 256  # unseen lines per gap for recall
    grad_lines: int = 32  # unseen lines of the longest gap for connectivity

    def __post_init__(self):
        object.__setattr__(self, "gaps", tuple(int(g) for g in self.gaps))
        object.__setattr__(self, "cells", tuple(cell_type(c).name for c in self.cells))
        if not self.gaps or min(self.gaps) < 1 or max(self.gaps) > 2000:
            raise InputError(f"gaps must be whole numbers of characters from 1 to 2000, not {self.gaps}")
        if not self.cells or len(set(self.cells)) != len(self.cells):
            raise InputError(f"name each cell type once, not {', '.join(self.cells) or 'none'}")
        for name in ("hidden_size", "embed_size", "steps", "batch_size", "eval_lines", "grad_lines"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise InputError(f"{name} must be a positive integer, not {v!r}")
        if self.hidden_size > 4096:
            raise InputError(f"hidden size {self.hidden_size} is beyond what the lab trains on a CPU")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise InputError(f"learning rate must be in (0, 1], not {self.lr!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"seed must be a non-negative integer, not {self.seed!r}")
        if self.forget_bias is not None and (isinstance(self.forget_bias, bool) or not isinstance(
                self.forget_bias, (int, float)) or not math.isfinite(self.forget_bias)):
            raise InputError(f"forget_bias must be a finite number or None, not {self.forget_bias!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LabProgress:
    cell: str  # the cell type being worked on
    phase: str  # "train" or "measure"
    step: int  # batches done for this cell (train), 0 while measuring
    steps: int
    loss: float | None  # this batch's loss, nats per character (train)
    done: int  # units of work done over the whole run (batches, plus one per measurement)
    total: int
    elapsed: float  # seconds

    @property
    def fraction(self) -> float:
        return self.done / self.total


@dataclass(frozen=True, eq=False)
class LabResult:
    config: LabConfig
    cells: tuple[str, ...]  # the cell types finished, in order
    gaps: tuple[int, ...]
    recall: dict[str, np.ndarray]  # cell -> (len(gaps),) share of unseen lines recalled
    distance: np.ndarray  # (max gap + 3,) int64: t − s, from 0 (the "=" itself) to the key
    grad_norm: dict[str, np.ndarray]  # cell -> mean ‖∂ log p(key) / ∂ x_s‖ per distance, longest gap
    final_loss: dict[str, float]  # cell -> mean training loss of its last batches (nats per character)
    models: dict[str, RNNLanguageModel] = field(default_factory=dict)  # cell -> the trained model
    vocab: Vocab | None = None
    cancelled: bool = False
    elapsed: float = 0.0

    @property
    def key_distance(self) -> int:
        """The distance from the "=" step back to the key, on lines of the longest gap."""
        return int(self.distance[-1])


def lab_vocab() -> Vocab:
    return Vocab.from_text(ALPHABET)


def copy_lines(gap: int, n: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """``n`` lines ``K:<gap characters>=K`` (without the newline) as ids (gap + 4, n), and each key's id (n,)."""
    vocab = lab_vocab()
    text = long_copy(seed=seed, size=n * (gap + 5), gap=(gap, gap)).text
    lines = text.split("\n")[:n]
    ids = np.stack([vocab.encode(line).ids for line in lines], axis=1)  # (gap+4, n)
    return ids, ids[-1].copy()


def _build(vocab: Vocab, cell: str, config: LabConfig) -> RNNLanguageModel:
    mc = ModelConfig(input_size=config.embed_size, hidden_size=config.hidden_size, vocab_size=len(vocab), cell=cell)
    model = RNNLanguageModel(mc)
    model.init_weights(forget_bias=config.forget_bias)  # the trainer's forget bias, one meaning
    return model


@torch.no_grad()
def recall(model: RNNLanguageModel, gap: int, lines: int, seed) -> float:
    """The share of ``lines`` unseen lines of ``gap`` whose key is the model's most likely character after "="."""
    ids, keys = copy_lines(gap, lines, seed)
    x = torch.from_numpy(ids)  # (gap+4, n)
    logits, _ = model(x[:-1])  # (gap+3, n, V)
    guess = logits[-1].argmax(-1).numpy()  # (n,) at the "=" step
    return float(np.mean(guess == keys))


def connectivity_curve(model: RNNLanguageModel, gap: int, lines: int, seed) -> np.ndarray:
    """Mean ‖∂ log p(key) / ∂ x_s‖ over ``lines`` unseen lines of ``gap``, indexed by the distance t − s
    (0: the "=" step, gap + 2: the key)."""
    ids, keys = copy_lines(gap, lines, seed)
    at = gap + 2  # the "=" step, which predicts the key
    norms, _ = input_gradient_norms(model, torch.from_numpy(ids), at, torch.from_numpy(keys))  # (at+1, n)
    return norms.mean(axis=1)[::-1].copy()  # distance 0 first


def long_range(config: LabConfig = LabConfig()) -> Generator[LabProgress, None, LabResult]:
    """Train and measure every cell type of ``config`` (see the module docstring); yield progress after every
    batch and measurement; return a LabResult. Closing the generator cancels: the result holds the cell types
    finished so far, with ``cancelled`` set."""
    vocab = lab_vocab()
    gaps, n_cells = config.gaps, len(config.cells)
    total = n_cells * (config.steps + len(gaps) + 1)
    longest = max(gaps)
    recalls: dict[str, np.ndarray] = {}
    grads: dict[str, np.ndarray] = {}
    losses: dict[str, float] = {}
    models: dict[str, RNNLanguageModel] = {}
    start = time.perf_counter()
    done = 0

    def result(cancelled: bool) -> LabResult:
        return LabResult(config, tuple(recalls), gaps, recalls, np.arange(longest + 3, dtype=np.int64), grads,
                         losses, models, vocab, cancelled, time.perf_counter() - start)

    try:
        for cell in config.cells:
            outer = torch.get_rng_state()  # the run's own random state (see core/train.py)
            torch.manual_seed(config.seed)
            model = _build(vocab, cell, config)
            torch.set_rng_state(outer)
            model.train()
            opt = torch.optim.Adam(model.parameters(), lr=config.lr)
            recent: list[float] = []
            for step in range(config.steps):
                gap = gaps[step % len(gaps)]
                ids, _ = copy_lines(gap, config.batch_size, [config.seed, 0, step])  # the same batches per cell
                x = torch.from_numpy(ids)  # (gap+4, B)
                logits, _ = model(x[:-1])  # (gap+3, B, V)
                loss = nn.functional.cross_entropy(logits.flatten(0, 1), x[1:].flatten())  # every character
                if config.key_weight:  # and the recall itself: the key, predicted at the "=" step
                    loss = loss + config.key_weight * nn.functional.cross_entropy(logits[-1], x[-1])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                value = loss.item()
                if not math.isfinite(value):
                    raise InputError(f"the {cell} diverged: the loss became {value} at step {step + 1}; "
                                     f"try a lower learning rate (now {config.lr:g})")
                if config.clip:
                    nn.utils.clip_grad_norm_(model.parameters(), config.clip)
                opt.step()
                recent = (recent + [value])[-50:]
                done += 1
                yield LabProgress(cell, "train", step + 1, config.steps, value, done, total,
                                  time.perf_counter() - start)
            model.eval()
            scores = []
            for i, gap in enumerate(gaps):
                scores.append(recall(model, gap, config.eval_lines, [config.seed, 1, gap]))
                done += 1
                yield LabProgress(cell, "measure", 0, config.steps, None, done, total, time.perf_counter() - start)
            curve = connectivity_curve(model, longest, config.grad_lines, [config.seed, 2, longest])
            recalls[cell] = np.array(scores)
            grads[cell] = curve
            losses[cell] = float(np.mean(recent))
            models[cell] = model
            done += 1
            yield LabProgress(cell, "measure", 0, config.steps, None, done, total, time.perf_counter() - start)
    except GeneratorExit:
        return result(cancelled=True)
    return result(cancelled=False)


def run_to_end(gen: Generator[LabProgress, None, LabResult]) -> LabResult:
    from .generators import run_to_end as drive

    return drive(gen)


# -- files ------------------------------------------------------------------------------------------------------
def write_csv(result: LabResult, out_dir, prefix: str = "") -> list:
    """``recall.csv`` (cell, gap, recall, lines) and ``gradients.csv`` (cell, distance, grad_norm) in
    ``out_dir``, each name after ``prefix`` (the app's "name-recall.csv"), written atomically; returns their
    paths."""
    import csv
    from pathlib import Path

    from .checkpoint import atomic_write

    out = Path(out_dir)
    tables = {
        "recall.csv": (["cell", "gap", "recall", "lines"],
                       [[c, g, repr(float(r)), result.config.eval_lines]
                        for c in result.cells for g, r in zip(result.gaps, result.recall[c])]),
        "gradients.csv": (["cell", "distance", "grad_norm"],
                          [[c, int(d), repr(float(v))] for c in result.cells
                           for d, v in zip(result.distance, result.grad_norm[c])]),
    }
    paths = []
    for name, (header, rows) in tables.items():
        def write(tmp, header=header, rows=rows):
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)

        atomic_write(out / (prefix + name), write)
        paths.append(out / (prefix + name))
    return paths
