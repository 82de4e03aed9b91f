"""Exact per-timestep gates of a torch.nn.LSTM, without a Python loop of matrix products.

For each layer and direction, torch's own fused LSTM gives h_t for every t (run in chunks of time, carrying
its state, so that long texts report progress and can be cancelled). With h_{t-1} known for all t, every
gate of the chunk follows from one batched matmul:

    pre = x_t W_ih^T + h_{t-1} W_hh^T + b_ih + b_hh          # (T, 4H), PyTorch's order i, f, g, o
    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of its four quarters

Only the cell's elementwise recurrence c_t = f_t * c_{t-1} + i_t * g_t stays sequential. Each chunk starts
from torch's own (h, c) at the chunk boundary, so rounding cannot build up across a long text.
The backward direction is the forward recipe applied to the reversed sequence, as PyTorch does it.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generator

import numpy as np
import torch
from torch import nn

GATES = ("input_gate", "forget_gate", "candidate", "output_gate")  # PyTorch's weight order: i, f, g, o
QUANTITIES = (*GATES, "cell", "hidden")

CHUNK = 2048  # timesteps per progress report


@dataclass(frozen=True)
class DirectionStates:
    """Everything one direction of one layer computed, in time order. Each array (T, units), float32."""

    input_gate: np.ndarray
    forget_gate: np.ndarray
    candidate: np.ndarray
    output_gate: np.ndarray
    cell: np.ndarray
    hidden: np.ndarray  # after the projection when proj_size is set (what the next layer reads)


def _direction_lstm(lstm: nn.LSTM, layer: int, reverse: bool, input_size: int) -> nn.LSTM:
    """A one-layer, one-direction nn.LSTM holding (copies of) the weights of ``layer``/``reverse``."""
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(lstm, "weight_ih" + sfx)
    single = nn.LSTM(input_size, lstm.hidden_size, num_layers=1, bias=lstm.bias, proj_size=lstm.proj_size,
                     dtype=w_ih.dtype)
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if lstm.bias else [])
    names += ["weight_hr"] if lstm.proj_size else []
    single.load_state_dict({f"{n}_l0": getattr(lstm, n + sfx) for n in names})
    return single.eval()


def _gates_and_cells(single: nn.LSTM, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, h: torch.Tensor,
                     gates: list[torch.Tensor], c_out: np.ndarray) -> None:
    """Gates and cells of one chunk of K steps, written in place.

    x (K, in) inputs, h0 (Hout,) and c0 (H,) the state before the chunk, h (K, Hout) torch's outputs.
    gates: four (K, H) float32 tensors for i, f, g, o; c_out (K, H) receives c_t."""
    H = single.hidden_size
    h_prev = torch.cat([h0[None], h[:-1]])  # (K, Hout): h_{t-1} for every t of the chunk
    if single.bias:
        pre = torch.addmm(single.bias_ih_l0 + single.bias_hh_l0, x, single.weight_ih_l0.T)  # (K, 4H)
    else:
        pre = x @ single.weight_ih_l0.T  # (K, 4H)
    pre.addmm_(h_prev, single.weight_hh_l0.T)  # + h_{t-1} W_hh^T
    for k, (dst, act) in enumerate(zip(gates, (torch.sigmoid, torch.sigmoid, torch.tanh, torch.sigmoid))):
        q = pre[:, k * H:(k + 1) * H]  # (K, H): PyTorch's order i, f, g, o
        if dst.dtype == q.dtype:
            act(q, out=dst)
        else:  # float64 weights: activate at full precision, store float32
            dst.copy_(act(q))
    if pre.dtype == torch.float32:
        i, f, g = gates[0], gates[1], gates[2]
    else:
        i, f, g = (torch.sigmoid(pre[:, :H]), torch.sigmoid(pre[:, H:2 * H]), torch.tanh(pre[:, 2 * H:3 * H]))
    written = (i * g).numpy()  # (K, H): what the input gate lets the candidate write
    keep = f.numpy()
    prev = c0.numpy()
    for t in range(len(written)):  # the only sequential part: elementwise, no matmul
        np.multiply(keep[t], prev, out=c_out[t])
        c_out[t] += written[t]
        prev = c_out[t]


def _job(*args) -> None:
    with torch.no_grad():  # grad mode is per thread
        _gates_and_cells(*args)


def iter_lstm_states(lstm: nn.LSTM, x: torch.Tensor, chunk: int = CHUNK, overlap: bool = False
                     ) -> Generator[float, None, list[list[DirectionStates]]]:
    """Yield progress in [0, 1] after every chunk; return states[layer][direction] (``yield from`` it).

    x: (T, input_size) inputs of the first layer, any float dtype (run in the LSTM's dtype). Zero initial state.
    Close the generator to cancel: work stops at the next chunk, and the helper thread is joined before
    ``close()`` returns.

    By default each chunk's gates (one GEMM, elementwise work) are computed right after its fused forward.
    ``overlap=True`` computes them on a helper thread while the forward of the next chunk runs (torch releases
    the GIL); on a 2-core machine that measured slower (2.3x vs 1.6x a plain forward, scripts/bench_gates.py),
    because both halves want both cores, so it is off by default.
    """
    dtype = lstm.weight_ih_l0.dtype
    D = 2 if lstm.bidirectional else 1
    H, Hout = lstm.hidden_size, lstm.proj_size or lstm.hidden_size
    T = x.shape[0]
    n_chunks = -(-T // chunk)
    total = 2 * lstm.num_layers * D * n_chunks  # forward chunks + gate jobs
    done = 0
    results: list[list[tuple]] = []  # [layer][direction] -> (gates, c_all, h_all)
    jobs: list[Future] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-gates") if overlap else None
    try:
        layer_input = x.to(dtype)  # (T, in)
        for layer in range(lstm.num_layers):
            per_dir, outputs = [], []
            for d in range(D):
                single = _direction_lstm(lstm, layer, bool(d), layer_input.shape[1])
                xs = layer_input.flip(0) if d else layer_input  # (T, in), in this direction's time order
                h_all = torch.empty(T, Hout, dtype=dtype)
                c_all = np.empty((T, H), dtype=np.float64 if dtype == torch.float64 else np.float32)
                gates = [torch.empty(T, H) for _ in range(4)]  # i, f, g, o, float32
                h0 = torch.zeros(Hout, dtype=dtype)
                c0 = torch.zeros(H, dtype=dtype)
                for s in range(0, T, chunk):
                    e = min(s + chunk, T)
                    with torch.no_grad():
                        h, (hn, cn) = single(xs[s:e], (h0[None], c0[None]))  # (K, Hout), (1, Hout), (1, H)
                    h_all[s:e] = h
                    args = (single, xs[s:e], h0, c0, h, [g[s:e] for g in gates], c_all[s:e])
                    if pool is None:  # in this thread, right after the chunk's forward
                        fut: Future = Future()
                        _job(*args)
                        fut.set_result(None)
                        jobs.append(fut)
                    else:
                        jobs.append(pool.submit(_job, *args))
                    h0, c0 = hn[0], cn[0]  # torch's own state carries into the next chunk
                    finished = [j for j in jobs if j.done()]
                    for j in finished:
                        j.result()  # re-raises the error of a failed job
                    jobs = [j for j in jobs if j not in finished]
                    done += 1 + len(finished)
                    yield min(done / total, 1.0)
                if d:
                    h_all = h_all.flip(0)  # back to text order (gates and cells follow once their jobs are done)
                per_dir.append((gates, c_all, h_all))
                outputs.append(h_all)
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
        for d, (gates, c_all, h_all) in enumerate(per_dir):
            gates = [g.numpy() for g in gates]
            if d:
                gates, c_all = [a[::-1] for a in gates], c_all[::-1]
            arrays = [np.ascontiguousarray(a, dtype=np.float32) for a in (*gates, c_all, h_all.numpy())]
            out.append(DirectionStates(*arrays))
        states.append(out)
    return states
