"""Exact per-timestep quantities of a recurrent module (any cell type of lstm_viz.core.cells), without a Python
loop of matrix products for torch's fused modules.

For each layer and direction, the module's own forward gives h_t for every t (run in chunks of time, carrying
its state, so that long texts report progress and can be cancelled). With h_{t-1} known for all t, every gate
of the chunk follows from one batched product, in the cell type's ``chunk`` function; for an LSTM:

    pre = x_t W_ih^T + h_{t-1} W_hh^T + b_ih + b_hh          # (T, 4H), PyTorch's order i, f, g, o
    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of its four quarters

Only elementwise recurrences (c_t = f_t * c_{t-1} + i_t * g_t) stay sequential. Each chunk starts from the
module's own state at the chunk boundary, so rounding cannot build up across a long text. The backward
direction is the forward recipe applied to the reversed sequence, as PyTorch does it. Per-unit statistics of
every quantity can be accumulated in the same pass (``stats=True``, for traces that do not keep the arrays).
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generator, Sequence

import numpy as np
import torch
from torch import nn

from .cell_compute import cell_of, direction_module, units_of, zero_state
from .cells import LSTM_QUANTITIES
from .stats import RunningStats, UnitStats

GATES = LSTM_QUANTITIES[:4]  # the LSTM's, in PyTorch's weight order i, f, g, o (kept for older callers)
QUANTITIES = LSTM_QUANTITIES  # the LSTM's; other cells: lstm_viz.core.cells.CELLS[name].quantities

CHUNK = 2048  # timesteps per progress report

State = tuple  # (h,) or (h, c) of one layer and direction, each (units,) in the module's dtype


class DirectionStates:
    """Everything one direction of one layer computed, in text order: ``arrays[q]`` (T, units) float32 per
    quantity (also as attributes: ``s.forget_gate``), ``stats[q]`` their per-unit statistics (when asked for),
    ``final`` the
    state after the direction's last step, and ``keyframes``: (t, state before step t) at every chunk start,
    t counted in the direction's own reading order (a backward direction reads step 0 at the text's end)."""

    def __init__(self, arrays: dict[str, np.ndarray], stats: dict[str, UnitStats], final: State,
                 keyframes: list[tuple[int, State]]):
        self.arrays, self.stats, self.final, self.keyframes = arrays, stats, final, keyframes

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)


def _chunk_job(cell, single, x, state0, h, out, acc: dict[str, RunningStats]) -> None:
    with torch.no_grad():  # grad mode is per thread
        cell.chunk(single, x, state0, h, out)
    for q, rs in acc.items():
        rs.add(out[q].numpy())


def _forward(single: nn.Module, x: torch.Tensor, state0: State) -> tuple[torch.Tensor, State]:
    """The module's own forward over one chunk: outputs (K, Hout) and the state after it."""
    if len(state0) == 2:
        h, (hn, cn) = single(x, (state0[0][None], state0[1][None]))  # (K, Hout), (1, Hout), (1, H)
        return h, (hn[0], cn[0])
    h, hn = single(x, state0[0][None])  # (K, H), (1, H)
    return h, (hn[0],)


def iter_states(rnn: nn.Module, x: torch.Tensor, chunk: int = CHUNK, overlap: bool = False,
                state: Sequence[Sequence[State]] | None = None, stats: bool = False
                ) -> Generator[float, None, list[list[DirectionStates]]]:
    """Yield progress in [0, 1] after every chunk; return states[layer][direction] (``yield from`` it).

    rnn: nn.LSTM / nn.GRU / nn.RNN, one of lstm_viz.core.variants, or a LayerStack of them. x: (T, input_size) inputs of the first
    layer, any float dtype (run in the module's dtype). state: initial state per [layer][direction], each
    (h0,) or (h0, c0) of shape (units,); None for zeros. stats: accumulate per-unit statistics of every
    quantity chunk by chunk (DirectionStates.stats; a few percent more time, so off unless asked).
    Close the generator to cancel: work stops at the next
    chunk, and the helper thread is joined before ``close()`` returns.

    By default each chunk's gates (one GEMM, elementwise work) are computed right after its forward.
    ``overlap=True`` computes them on a helper thread while the forward of the next chunk runs (torch releases
    the GIL); on a 2-core machine that measured slower (2.3x vs 1.6x a plain forward, scripts/bench_gates.py),
    because both halves want both cores, so it is off by default.
    """
    cell = cell_of(rnn)
    dtype = rnn.weight_ih_l0.dtype
    D = 2 if rnn.bidirectional else 1
    T = x.shape[0]
    n_chunks = -(-T // chunk)
    total = 2 * rnn.num_layers * D * n_chunks  # forward chunks + gate jobs
    done = 0
    results: list[list[tuple]] = []  # [layer][direction] -> (arrays, stats, final, keyframes)
    jobs: list[Future] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-gates") if overlap else None
    try:
        layer_input = x.to(dtype)  # (T, in)
        for layer in range(rnn.num_layers):
            per_dir, outputs = [], []
            for d in range(D):
                single = direction_module(rnn, layer, bool(d))
                xs = layer_input.flip(0) if d else layer_input  # (T, in), in this direction's time order
                arrays = {q: np.empty((T, units_of(rnn, q, layer)), np.float32)
                          for q in cell.quantities}  # (T, units)
                bufs = {q: torch.from_numpy(a) for q, a in arrays.items()}
                acc = {q: RunningStats(a.shape[1]) for q, a in arrays.items()} if stats else {}
                h_all = torch.empty(T, units_of(rnn, "hidden", layer), dtype=dtype)  # (T, Hout)
                st = (tuple(s.to(dtype) for s in state[layer][d]) if state is not None
                      else zero_state(rnn, dtype, layer))
                keyframes = []
                for s in range(0, T, chunk):
                    e = min(s + chunk, T)
                    keyframes.append((s, st))
                    with torch.no_grad():
                        h, st_next = _forward(single, xs[s:e], st)  # (K, Hout)
                    h_all[s:e] = h
                    args = (cell, single, xs[s:e], st, h, {q: b[s:e] for q, b in bufs.items()}, acc)
                    if pool is None:  # in this thread, right after the chunk's forward
                        fut: Future = Future()
                        _chunk_job(*args)
                        fut.set_result(None)
                        jobs.append(fut)
                    else:
                        jobs.append(pool.submit(_chunk_job, *args))
                    st = st_next  # the module's own state carries into the next chunk
                    finished = [j for j in jobs if j.done()]
                    for j in finished:
                        j.result()  # re-raises the error of a failed job
                    jobs = [j for j in jobs if j not in finished]
                    done += 1 + len(finished)
                    yield min(done / total, 1.0)
                per_dir.append((arrays, acc, st, keyframes))
                outputs.append(h_all.flip(0) if d else h_all)  # text order
            results.append(per_dir)
            layer_input = torch.cat(outputs, dim=1)  # (T, D*Hout): what the next layer reads
        for j in jobs:
            j.result()
            done += 1
            yield min(done / total, 1.0)
    finally:  # also on close(): drop queued jobs, wait for the running one, end the thread
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    states = []
    for per_dir in results:
        out = []
        for d, (arrays, acc, final, keyframes) in enumerate(per_dir):
            if d:  # back to text order
                arrays = {q: np.ascontiguousarray(a[::-1]) for q, a in arrays.items()}
            out.append(DirectionStates(arrays, {q: rs.result() for q, rs in acc.items()}, final, keyframes))
        states.append(out)
    return states


def iter_lstm_states(lstm: nn.Module, x: torch.Tensor, chunk: int = CHUNK, overlap: bool = False,
                     state=None) -> Generator[float, None, list[list[DirectionStates]]]:
    """The former name of iter_states (it serves every cell type)."""
    return (yield from iter_states(lstm, x, chunk, overlap, state))
