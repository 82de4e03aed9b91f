"""Train a character-level language model (any cell type of lstm_viz.core.cells), as a generator that yields
progress after every batch.

    gen = train(corpus, TrainConfig(hidden_size=128, steps=2000), "model.pt")
    for progress in gen: ...          # one Progress per batch
    result = <StopIteration.value>    # TrainResult; gen.close() cancels at the next batch and saves

The recipe is pytorch/examples' word_language_model at character level: the training text is cut into
``batch_size`` parallel streams (columns), read ``seq_len`` characters at a time with the LSTM state
carried from one batch to the next (truncated backpropagation through time); Adam with a learning
rate that rises over a short warm-up and then decays along a cosine, gradient-norm clipping, dropout, an
optional forget-gate bias at the start for LSTM-like cells (lstm_viz.core.model.set_forget_bias), and a
held-out tail of the corpus for validation. The default learning rate, warm-up and schedule (2e-2, 200 steps,
cosine; 1e-2 without warm-up before that, and 2e-3 constant at first) come from scripts/train_defaults.py
(see the README).

Guarantees: the same corpus, config and seed give the same weights (the run keeps its own copy of torch's
random state, so other code using torch's RNG between batches changes nothing); checkpoints are written
atomically (at the end, every ``checkpoint_every`` steps, and on cancel), so a failed run (NaN loss, full
disk, bad input) never leaves a broken file at ``out_path`` and never touches it before its first save.
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Generator

import numpy as np
import torch
from torch import nn

from .cells import cell_type
from .checkpoint import save_checkpoint
from .corpora import Corpus
from .errors import InputError, LstmVizError
from .model import ModelConfig, RNNLanguageModel
from .vocab import Vocab

HISTORY_POINTS = 1000  # the loss history in a checkpoint is averaged down to at most this many points
LR_SCHEDULES = ("constant", "cosine")
LR_FLOOR = 0.1  # the cosine schedule ends at this fraction of the starting learning rate


@dataclass(frozen=True)
class TrainConfig:
    hidden_size: int = 128  # LSTM units per layer
    num_layers: int = 1
    embed_size: int = 32  # character embedding size
    seq_len: int = 100  # characters per truncated-BPTT window
    batch_size: int = 32  # parallel streams
    lr: float = 2e-2  # Adam's peak learning rate (1e-2, and 2e-3 before that; scripts/train_defaults.py)
    lr_schedule: str = "cosine"  # "constant", or "cosine": down to lr * LR_FLOOR at the last step
    warmup: int = 200  # steps over which the learning rate rises linearly to lr, at most a tenth of the run
    #                    (0: none)
    dropout: float = 0.0  # on embeddings, between layers and before the decoder
    steps: int = 2000  # batches to train (ignored when epochs is set)
    epochs: int | None = None  # passes over the training text, instead of steps
    seed: int = 0
    val_fraction: float = 0.05  # the tail of the corpus held out for validation
    clip: float = 1.0  # gradient-norm clipping; 0 turns it off
    eval_every: int = 500  # steps between validation losses (0: only at the end)
    checkpoint_every: int = 1000  # steps between checkpoints (0: only at the end)
    val_max_chars: int = 200_000  # validate on at most this many characters (the start of the held-out tail)
    cell: str = "lstm"  # lstm, gru, rnn, peephole or cifg (lstm_viz.core.cells)
    nonlinearity: str = "tanh"  # plain RNN only: tanh or relu
    forget_bias: float | None = None  # LSTM-like cells: the forget gate's total bias at the start (1 is
    # Jozefowicz et al.'s advice; set_forget_bias); None keeps PyTorch's, which did better in train_defaults.py

    def __post_init__(self):
        for name in ("hidden_size", "num_layers", "embed_size", "seq_len", "batch_size", "steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise InputError(f"{name} must be a positive integer, not {v!r}")
        for name in ("eval_every", "checkpoint_every", "val_max_chars", "warmup"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"{name} must be a non-negative integer, not {v!r}")
        if self.epochs is not None and (not isinstance(self.epochs, int) or self.epochs <= 0):
            raise InputError(f"epochs must be a positive integer, not {self.epochs!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InputError(f"seed must be an integer, not {self.seed!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise InputError(f"learning rate must be a number in (0, 10], not {self.lr!r}")
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise InputError(f"dropout must be in [0, 1), not {self.dropout!r}")
        if not (isinstance(self.val_fraction, (int, float)) and 0 <= self.val_fraction < 1):
            raise InputError(f"val_fraction must be in [0, 1), not {self.val_fraction!r}")
        if not (isinstance(self.clip, (int, float)) and math.isfinite(self.clip) and self.clip >= 0):
            raise InputError(f"clip must be a finite number >= 0, not {self.clip!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise InputError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}")
        if self.forget_bias is not None and not (isinstance(self.forget_bias, (int, float))
                                                 and not isinstance(self.forget_bias, bool)
                                                 and math.isfinite(self.forget_bias)):
            raise InputError(f"forget_bias must be a finite number or None, not {self.forget_bias!r}")
        cell_type(self.cell)  # InputError naming the cell types
        if self.nonlinearity not in ("tanh", "relu"):
            raise InputError(f"nonlinearity must be tanh or relu, not {self.nonlinearity!r}")
        if self.hidden_size > 8192 or self.embed_size > 8192 or self.num_layers > 16:
            raise InputError(f"a {self.num_layers}-layer {self.cell} of {self.hidden_size} units with "
                             f"{self.embed_size}-wide embeddings is beyond what lstm_viz trains on a CPU")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class Progress:
    step: int  # batches done, 1-based
    total_steps: int
    epoch: int  # 0-based pass over the training text
    train_loss: float  # this batch, nats per character
    val_loss: float | None  # computed at this step (nats per character), else None
    tokens_per_sec: float  # characters trained per second, averaged over the run so far
    elapsed: float  # seconds
    seconds_left: float  # estimate
    last_val_loss: float | None = None  # the most recent validation loss so far
    saved: bool = False  # a checkpoint was written at this step

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps


@dataclass(frozen=True)
class TrainResult:
    path: str
    steps: int
    val_loss: float | None  # nats per character; None without a validation split
    val_bpc: float | None  # bits per character
    cancelled: bool = False
    train_loss: float | None = None  # mean of the last batches, nats per character
    elapsed: float = 0.0


@dataclass(frozen=True, eq=False)
class Split:
    """A corpus turned into ids, ready to batch."""

    vocab: Vocab
    train: torch.Tensor  # (N,) int64
    val: torch.Tensor  # (M,) int64, possibly empty


def bpc(nats: float | None) -> float | None:
    return None if nats is None else nats / math.log(2)


def split_corpus(corpus: Corpus, config: TrainConfig) -> Split:
    """Vocab from the whole text; the last ``val_fraction`` of it held out. Raises InputError if too short."""
    text = corpus.text
    if not text:
        raise InputError(f"{corpus.name}: the corpus is empty")
    vocab = Vocab.from_text(text)
    ids = torch.from_numpy(encode_chars(text, vocab))  # (len,) int64
    n_val = int(len(ids) * config.val_fraction)
    if n_val < 2:
        n_val = 0
    train_ids, val_ids = ids[: len(ids) - n_val], ids[len(ids) - n_val:][: config.val_max_chars]
    need = config.batch_size * (config.seq_len + 1)
    if len(train_ids) < need:
        raise InputError(
            f"{corpus.name}: corpus too short: {len(train_ids):,} training characters, but one batch of "
            f"{config.batch_size} sequences of {config.seq_len} needs {need:,}; use a longer text or lower "
            f"--batch-size / --seq-len")
    return Split(vocab, train_ids, val_ids)


def encode_chars(text: str, vocab: Vocab) -> np.ndarray:
    """``vocab.encode(text).ids`` for a vocab made by Vocab.from_text(text), vectorised (large corpora)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # (len,)
    points = np.array([ord(t) for t in vocab.tokens[1:]], dtype=np.uint32)  # sorted, after the unknown token
    if vocab.tokens[0] != vocab.unk or not np.all(points[1:] > points[:-1]):
        return vocab.encode(text).ids
    return (np.searchsorted(points, codes) + 1).astype(np.int64)


def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(N,) -> (N // B, B): column b is the b-th contiguous stretch of the text."""
    n = len(ids) // batch_size
    return ids[: n * batch_size].view(batch_size, n).t().contiguous()  # (n, B)


def build_model(vocab: Vocab, config: TrainConfig) -> RNNLanguageModel:
    """A fresh model; call under the run's seeded RNG state (torch's modules initialise from its global RNG)."""
    mc = ModelConfig(input_size=config.embed_size, hidden_size=config.hidden_size, num_layers=config.num_layers,
                     dropout=float(config.dropout), vocab_size=len(vocab), cell=config.cell,
                     nonlinearity=config.nonlinearity)
    model = RNNLanguageModel(mc)
    model.init_weights(forget_bias=config.forget_bias)
    return model


def lr_factor(config: TrainConfig, step: int, total: int) -> float:
    """The learning rate of batch ``step`` (0-based) of ``total``, as a fraction of ``config.lr``: a linear
    warm-up over ``config.warmup`` steps (at most a tenth of the run), times the schedule."""
    warmup = min(config.warmup, total // 10)
    warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
    if config.lr_schedule == "constant" or total <= 1:
        return warm
    progress = min(step, total - 1) / (total - 1)  # 0 at the first batch, 1 at the last
    return warm * (LR_FLOOR + (1.0 - LR_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(model: RNNLanguageModel, val: torch.Tensor, seq_len: int, batch_size: int = 16) -> float | None:
    """Mean next-character loss (nats) over the validation ids, state carried across windows."""
    if len(val) < 2:
        return None
    B = max(1, min(batch_size, (len(val) - 1) // max(1, seq_len)))
    data = batchify(val, B)  # (n, B)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for i in range(0, len(data) - 1, seq_len):
        x = data[i: i + seq_len]  # (T, B)
        y = data[i + 1: i + 1 + len(x)]  # (T', B)
        x = x[: len(y)]
        logits, state = model(x, state)  # (T, B, V)
        total += nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    model.train(was_training)
    return total / count if count else None


def detach(state):
    """The recurrent state cut from its graph: a tensor (GRU, RNN) or a tuple of them (LSTM-like cells)."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def check_writable(path: str | Path) -> Path:
    """Fail early (one line) if ``path`` cannot be written, without touching an existing file there."""
    path = Path(path)
    if path.is_dir():
        raise LstmVizError(f"{path}: is a folder; give a file name such as {path / 'model.pt'}")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise LstmVizError(f"{path}: folder {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=directory)
    except OSError as e:
        raise LstmVizError(f"{path}: cannot write here ({e.strerror or e})") from None
    os.close(fd)
    os.unlink(tmp)
    return path


def thin(steps: list[int], values: list[float], points: int = HISTORY_POINTS) -> tuple[list[int], list[float]]:
    """Average a long per-step history down to at most ``points`` values (each tagged with its last step)."""
    k = max(1, math.ceil(len(values) / points))
    if k == 1:
        return list(steps), [float(v) for v in values]
    out_s, out_v = [], []
    for i in range(0, len(values), k):
        chunk = values[i: i + k]
        out_s.append(steps[i + len(chunk) - 1])
        out_v.append(float(sum(chunk) / len(chunk)))
    return out_s, out_v


def train(corpus: Corpus, config: TrainConfig, out_path, metadata: dict | None = None
          ) -> Generator[Progress, None, TrainResult]:
    """Train on ``corpus``; yield a Progress after every batch; return a TrainResult.

    ``metadata``: extra entries for the checkpoint (e.g. the command that ran). Closing the generator cancels:
    the current weights are saved to ``out_path`` and the generator ends."""
    out_path = check_writable(out_path)
    split = split_corpus(corpus, config)
    data = batchify(split.train, config.batch_size)  # (n, B)
    L, B = config.seq_len, config.batch_size
    steps_per_epoch = (len(data) - 1) // L
    total = config.epochs * steps_per_epoch if config.epochs is not None else config.steps

    # The run's own random state: seeded once, swapped in around every use, so that nothing outside can
    # change this run and this run changes nothing outside.
    outer = torch.get_rng_state()
    torch.manual_seed(config.seed)
    model = build_model(split.vocab, config)
    rng = torch.get_rng_state()
    torch.set_rng_state(outer)
    model.train()
    params = [p for p in model.parameters()]
    opt = torch.optim.Adam(params, lr=config.lr)

    history_steps: list[int] = []
    history: list[float] = []
    val_steps: list[int] = []
    val_losses: list[float] = []
    start = time.perf_counter()
    step = 0
    last_val: float | None = None
    state = None

    def save(cancelled: bool = False) -> None:
        hs, hv = thin(history_steps, history)
        recent = history[-100:]
        meta = {
            "trainer": "lstm_viz.core.train",
            "corpus": corpus.name,
            "corpus_description": corpus.description,
            "corpus_chars": len(corpus.text),
            "corpus_files": list(corpus.files),
            "train_chars": len(split.train),
            "val_chars": len(split.val),
            "seed": config.seed,
            "settings": config.to_dict(),
            "steps": step,
            "total_steps": total,
            "epochs_done": round(step / steps_per_epoch, 4),
            "elapsed_s": round(time.perf_counter() - start, 2),
            "train_loss": float(sum(recent) / len(recent)) if recent else None,
            "val_loss": last_val,
            "val_bpc": bpc(last_val),
            "cancelled": cancelled,
            "loss_steps": hs,
            "losses": hv,
            "val_steps": list(val_steps),
            "val_losses": list(val_losses),
            "torch_version": str(torch.__version__),
            **(metadata or {}),
        }
        save_checkpoint(out_path, model, split.vocab, meta)

    def result(cancelled: bool) -> TrainResult:
        recent = history[-100:]
        return TrainResult(str(out_path), step, last_val, bpc(last_val), cancelled,
                           float(sum(recent) / len(recent)) if recent else None, time.perf_counter() - start)

    try:
        while step < total:
            i = (step % steps_per_epoch) * L
            if i == 0:
                state = None  # a new pass over the text starts from a zero state
            x = data[i: i + L]  # (L, B)
            y = data[i + 1: i + 1 + L]  # (L, B)
            outer = torch.get_rng_state()
            torch.set_rng_state(rng)
            logits, state = model(x, state)  # (L, B, V)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            rng = torch.get_rng_state()
            torch.set_rng_state(outer)
            value = loss.item()
            if not math.isfinite(value):
                raise InputError(f"training diverged: the loss became {value} at step {step + 1}; "
                                 f"try a lower learning rate (--lr, now {config.lr:g})")
            if config.clip:
                nn.utils.clip_grad_norm_(params, config.clip)
            for group in opt.param_groups:
                group["lr"] = config.lr * lr_factor(config, step, total)
            opt.step()
            state = detach(state)
            step += 1
            history_steps.append(step)
            history.append(value)

            val = None
            if step == total or (config.eval_every and step % config.eval_every == 0):
                val = evaluate(model, split.val, L)
                if val is not None:
                    if not math.isfinite(val):
                        raise InputError(f"training diverged: the validation loss became {val} at step {step}; "
                                         f"try a lower learning rate (--lr, now {config.lr:g})")
                    last_val = val
                    val_steps.append(step)
                    val_losses.append(val)
            saved = step == total or bool(config.checkpoint_every and step % config.checkpoint_every == 0)
            if saved:
                save()
            elapsed = time.perf_counter() - start
            yield Progress(step=step, total_steps=total, epoch=(step - 1) // steps_per_epoch,
                           train_loss=value, val_loss=val, tokens_per_sec=step * L * B / max(elapsed, 1e-9),
                           elapsed=elapsed, seconds_left=elapsed / step * (total - step),
                           last_val_loss=last_val, saved=saved)
    except GeneratorExit:
        # Cancelled at a yield: the weights are those of a finished step. Save them, then end quietly.
        if step < total:
            save(cancelled=True)
        return result(cancelled=True)
    return result(cancelled=False)


def run_to_end(gen: Generator[Progress, None, TrainResult]) -> TrainResult:
    """Drive a training generator to its end and return its TrainResult."""
    from .generators import run_to_end as drive

    return drive(gen)
