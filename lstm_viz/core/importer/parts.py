"""The parts around the recurrent stack: the embedding in front, the decoder (and a projection) behind it.

A weight is taken as the embedding only when its shape and its place agree: an ``nn.Embedding`` (or a module
named like one: ``encoder``, ``embedding``, ``wte`` ...), without a bias, as wide as the first layer's input.
The decoder is the Linear that reads the last layer's output: ``in_features`` equal to the stack's output, or
to a projection Linear's output (flair's ``proj``, folded into the decoder exactly), with as many rows as the
vocab when that is known. Names such as ``decoder``, ``fc``, ``out``, ``hidden2tag`` break ties; attention
projections never qualify. No recurrent weight is ever either. When two candidates fit equally, none is taken
and the notes say so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from .walk import RECURRENT, Tree

_EMB_MODULE = re.compile(r"emb|^encoder$|^wte$|^lookup|^tok|^word_?vec|^char_?vec")
_DEC_EXACT = {"decoder", "fc", "out", "output", "hidden2tag", "linear", "classifier", "head", "lm_head", "fc_out",
              "out_layer", "output_layer", "logits", "generator", "h2o", "dense", "project_out", "fc2", "softmax"}
_DEC_HINT = re.compile(r"decod|fc|out|linear|head|classif|logit|dense|vocab|tag|lm")
_ATTENTION = re.compile(r"att")


def _module_of(key: str) -> str:
    return key.rsplit(".", 1)[0] if "." in key else ""


def _leaf_module(key: str) -> str:
    return _module_of(key).rsplit(".", 1)[-1].lower()


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("."), b.split(".")):
        if x != y:
            break
        n += 1
    return n


def _candidates(tree: Tree):
    """(key, tensor) of 2-D float ``*.weight`` tensors that are not recurrent weights."""
    for k, v in tree.tensors.items():
        if (k == "weight" or k.endswith(".weight")) and v.ndim == 2 and v.dtype.is_floating_point \
                and not RECURRENT.search(k):
            yield k, v


def _bias(tree: Tree, key: str) -> torch.Tensor | None:
    b = tree.tensors.get(key[:-len("weight")] + "bias")
    return b if b is not None and b.ndim == 1 else None


def is_embedding_like(tree: Tree, key: str) -> bool:
    """An nn.Embedding, or a bias-free weight of a module named like one (shape aside)."""
    info = tree.module_at(_module_of(key))
    if info is not None and info.cls.endswith(".Embedding"):
        return True
    return _bias(tree, key) is None and bool(_EMB_MODULE.search(_leaf_module(key))) \
        and not _ATTENTION.search(_leaf_module(key))


def find_embedding(tree: Tree, input_size: int, near: str, notes: list[str]) -> str | None:
    """The embedding that feeds a stack reading ``input_size``-wide vectors, or None."""
    scored = []
    for k, v in _candidates(tree):
        if v.shape[1] != input_size or v.shape[0] < 2 or not is_embedding_like(tree, k):
            continue
        info = tree.module_at(_module_of(k))
        scored.append(((int(info is not None and info.cls.endswith(".Embedding")), _common(k, near)), k))
    return _best(scored, tree, "the embedding", notes)


def partial_embeddings(tree: Tree) -> dict[str, tuple[int, int]]:
    """Every embedding-like weight by key, whatever its width: e.g. a captioning decoder's word embedding, which
    is only part of its LSTMCell's input (the rest is the attention-weighted image encoding)."""
    return {k: tuple(v.shape) for k, v in _candidates(tree) if is_embedding_like(tree, k)}


@dataclass(frozen=True)
class Decoder:
    key: str  # the Linear's weight (V, in)
    weight: torch.Tensor  # (V, out): folded with the projection when there is one
    bias: torch.Tensor | None  # (V,)
    projection: str | None = None  # the projection Linear's weight key, folded in


def find_decoder(tree: Tree, out: int, near: str, V: int, taken: set[str], notes: list[str]) -> Decoder | None:
    """The Linear reading the stack's ``out``-wide output (possibly after a projection), or None."""
    def score(k: str, v: torch.Tensor) -> tuple | None:
        leaf = _leaf_module(k)
        if k in taken or _ATTENTION.search(leaf) or (V and v.shape[0] != V) or is_embedding_like(tree, k) \
                and not _DEC_HINT.search(leaf):
            return None
        b = _bias(tree, k)
        fits_bias = b is not None and b.shape[0] == v.shape[0]
        hint = 2 if leaf in _DEC_EXACT else 1 if _DEC_HINT.search(leaf) else 0
        if not hint and not fits_bias:
            return None
        return (hint + fits_bias, _common(k, near))

    # A projection between the stack and the decoder (flair's nout): proj (k, out) then decoder (V, k).
    for pk, pv in _candidates(tree):
        if pk in taken or pv.shape[1] != out or "proj" not in _leaf_module(pk):
            continue
        after = [(s, k) for k, v in _candidates(tree) if k != pk and v.shape[1] == pv.shape[0]
                 and (s := score(k, v)) is not None]
        dk = _best(after, tree, "the decoder after the projection", notes)
        if dk is not None and _bias_fits(tree, pk) and _bias_fits(tree, dk):
            return _fold(tree, pk, dk)
    direct = [(s, k) for k, v in _candidates(tree) if v.shape[1] == out and (s := score(k, v)) is not None]
    dk = _best(direct, tree, "the decoder", notes)
    if dk is None:
        return None
    b = _bias(tree, dk)
    w = tree.tensors[dk]
    return Decoder(dk, w, b if b is not None and b.shape[0] == w.shape[0] else None)


def _bias_fits(tree: Tree, key: str) -> bool:
    b = _bias(tree, key)
    return b is None or b.shape[0] == tree.tensors[key].shape[0]


def _fold(tree: Tree, pk: str, dk: str) -> Decoder:
    """decoder(proj(h)) = (Wd Wp) h + (Wd bp + bd): one linear map, exact (no nonlinearity between them)."""
    wp, wd = tree.tensors[pk].double(), tree.tensors[dk].double()  # (k, out), (V, k)
    bp, bd = _bias(tree, pk), _bias(tree, dk)
    w = wd @ wp  # (V, out)
    b = None
    if bp is not None or bd is not None:
        b = torch.zeros(wd.shape[0], dtype=torch.float64)
        if bp is not None:
            b += wd @ bp.double()  # (V,)
        if bd is not None:
            b += bd.double()
    dtype = tree.tensors[dk].dtype
    return Decoder(dk, w.to(dtype), None if b is None else b.to(dtype), projection=pk)


def _best(scored: list[tuple[tuple, str]], tree: Tree, what: str, notes: list[str]) -> str | None:
    if not scored:
        return None
    scored.sort(key=lambda x: x[0], reverse=True)
    (s0, k0), rest = scored[0], scored[1:]
    rivals = [k for s, k in rest if s == s0 and not same(tree.tensors[k], tree.tensors[k0])]
    if rivals:
        notes.append(f"ambiguous: {k0!r} and {rivals[0]!r} could both be {what}; neither is used")
        return None
    return k0


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and (a.data_ptr() == b.data_ptr() or bool(torch.equal(a, b)))
