"""How far back a prediction reaches: connectivity (Distill's "Visualizing memorization in RNNs") and the
constant error carousel.

``connectivity(loaded, text, at=t)``: for the model's prediction at step t (of token t + 1), the norm
‖∂ log p(token_{t+1}) / ∂ x_s‖ for every step s <= t, where x_s is the vector the recurrent module reads at
step s (the embedding's output, or the one-hot vector). Computed with torch autograd on the model's own
forward, in eval mode (no dropout), for every cell type the model class supports.

``gate_product(trace, t, units)``: for each s <= t, the product of the forget gates f_k for k in (s, t] — the
factor by which the LSTM's cell state c_s reaches c_t, the path along which its gradient survives. For a GRU
the product of the update gates z_k (h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}). Not defined for a plain RNN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .errors import InputError
from .model import LoadedModel, RNNLanguageModel


@dataclass(frozen=True)
class Connectivity:
    at: int  # the step t whose prediction (of token t + 1) is differentiated
    grad_norm: np.ndarray  # (t + 1,) float64: ‖∂ log p(token_{t+1}) / ∂ x_s‖ for s = 0..t
    distance: np.ndarray  # (t + 1,) int64: t − s
    tokens: tuple[str, ...]  # the t + 1 tokens read, s = 0..t
    target: str  # token t + 1, the one predicted
    log_prob: float  # log p(token_{t+1}) the model gave it (nats)


def _check_model(model: RNNLanguageModel) -> None:
    c = model.config
    if c.decoder is False or model.decoder is None:
        raise InputError("this model has no decoder: it predicts nothing to differentiate")
    if c.input_mode == "vectors":
        raise InputError("this model reads input vectors, not tokens; connectivity needs a vocab")
    if c.bidirectional:
        raise InputError("a bidirectional model's prediction at t also reads the text after t; connectivity "
                         "is defined here for models reading one way")


def input_gradient_norms(model: RNNLanguageModel, ids: torch.Tensor, at: int, targets: torch.Tensor
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Batched connectivity: ids (T, B) int64, read from a zero state; ``targets`` (B,) the tokens predicted at
    step ``at``. Returns (norms (at + 1, B), log p (B,)). The lines of a batch are independent, so the gradient
    of the summed log-probabilities at x_{s, b} is line b's own gradient."""
    _check_model(model)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            x = model.inputs(ids[: at + 1]).detach().requires_grad_(True)  # (t+1, B, E)
            y, _ = model.rnn(x)  # (t+1, B, D*H)
            logp = torch.log_softmax(model.decoder(y[at]), dim=-1)  # (B, V)
            picked = logp.gather(1, targets.view(-1, 1)).squeeze(1)  # (B,)
            (grad,) = torch.autograd.grad(picked.sum(), x)  # (t+1, B, E)
    finally:
        model.train(was_training)
    norms = grad.double().norm(dim=-1)  # (t+1, B)
    return norms.numpy(), picked.detach().double().numpy()


def connectivity(loaded: LoadedModel, text: str, at: int) -> Connectivity:
    """The connectivity of the prediction at step ``at`` of ``text`` (see the module docstring)."""
    if loaded.vocab is None:
        raise InputError("this model has no vocab to read text with")
    if loaded.config.reads_backward:
        raise InputError("this model reads its text right to left; connectivity is computed for models that "
                         "read left to right")
    _check_model(loaded.model)
    enc = loaded.vocab.encode(text)
    T = len(enc.ids)
    if isinstance(at, bool) or not isinstance(at, (int, np.integer)) or not 0 <= at <= T - 2:
        raise InputError(f"--at {at} is outside the text: the prediction at t is of token t + 1, so t must lie in "
                         f"0..{T - 2} for these {T} tokens")
    at = int(at)
    ids = torch.from_numpy(np.asarray(enc.ids, dtype=np.int64))  # (T,)
    norms, logp = input_gradient_norms(loaded.model, ids[:, None], at, ids[at + 1: at + 2])
    return Connectivity(at=at, grad_norm=norms[:, 0], distance=np.arange(at, -1, -1, dtype=np.int64),
                        tokens=tuple(enc.tokens[: at + 1]), target=enc.tokens[at + 1], log_prob=float(logp[0]))


def carousel_gate(cell) -> str:
    """The gate whose product carries the state from s to t: forget_gate (LSTM-like cells), update_gate (GRU);
    a one-line InputError for a cell that has none (a plain RNN)."""
    if "forget_gate" in cell.quantities:
        return "forget_gate"
    if "update_gate" in cell.quantities:
        return "update_gate"
    raise InputError(f"a {cell.title} has no gate that carries its state: the gate product is not defined for it")


def gate_product(trace, t: int, units: Sequence[int] | None = None, layer: int = 0, start: int = 0) -> np.ndarray:
    """(t + 1 − start, n_units) float64: row i is ∏_{k = s+1..t} g_k of each unit for s = start + i, g the
    carousel gate (forget gate, or a GRU's update gate); the last row (s = t) is 1 (nothing between). Read
    from the trace's own values (layer ``layer``, forward direction) through ``trace.window`` over steps
    start + 1 .. t only, so a lazy trace recomputes just that stretch. Products below the smallest float64
    become 0."""
    gate = carousel_gate(trace.cell)
    if getattr(trace, "reads_backward", False):
        raise InputError("this model reads its text right to left: its state reaches t from the steps after t, "
                         "and the gate product is computed for models that read left to right")
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < len(trace):
        raise InputError(f"step {t} lies outside the trace, which has {len(trace)} timesteps")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start <= t:
        raise InputError(f"the first step {start} must lie in 0..{t}")
    t, start = int(t), int(start)
    g = trace.window(gate, layer, False, start + 1, t + 1, units).astype(np.float64)  # (t − start, U): g_{s+1}..g_t
    out = np.ones((t + 1 - start, g.shape[1]))  # (t+1−start, U)
    if len(g):
        out[:-1] = np.cumprod(g[::-1], axis=0)[::-1]  # row i: g_{start+i+1} * ... * g_t
    return out


# -- files ------------------------------------------------------------------------------------------------------
def write_connectivity(result: Connectivity, path) -> None:
    """NPZ (``grad_norm`` (t + 1,), ``distance``, ``tokens``, ``at``, ``target``, ``log_prob``) or CSV (columns
    s, distance, token, grad_norm), chosen by the extension; written atomically."""
    import csv
    from pathlib import Path

    from .checkpoint import atomic_write

    ext = Path(path).suffix.lower()
    if ext == ".npz":
        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez_compressed(f, grad_norm=result.grad_norm, distance=result.distance,
                                    tokens=np.array(result.tokens, dtype=str), at=np.array(result.at),
                                    target=np.array(result.target), log_prob=np.array(result.log_prob))
    elif ext == ".csv":
        def write(tmp):
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["s", "distance", "token", "grad_norm"])
                for s, (d, tok, g) in enumerate(zip(result.distance, result.tokens, result.grad_norm)):
                    w.writerow([s, int(d), tok, repr(float(g))])
    else:
        raise InputError(f"{path}: unknown format {ext or '(no extension)'!r}; use .npz or .csv")
    atomic_write(path, write)
