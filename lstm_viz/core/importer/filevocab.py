"""Find the vocab a checkpoint carries, and the hints its dicts and modules give (direction, metadata).

Looked for, in order: the model's own attributes (flair's ``dictionary`` / ``tokenizer.dictionary``, a pickled
``Dictionary`` with ``item2idx`` bytes keys and ``idx2item``; word_language_model's ``idx2word``; torchtext's
``itos``), the dicts around the weights under the usual names (``vocab``, ``itos``, ``stoi``, ``char2idx``,
``word2idx``, ``idx2word`` ...) including Lightning's ``hyper_parameters``, and finally any list of strings or
str -> int mapping in those dicts whose size equals the embedding rows.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..pickled import Pickled
from ..vocab import Vocab
from .walk import Tree, as_mapping

VOCAB_KEYS = ("vocab", "vocabulary", "dictionary", "itos", "idx2word", "idx_to_token", "idx2char", "ix_to_char",
              "int2char", "idx2item", "chars", "tokens", "stoi", "word2idx", "word_to_ix", "token_to_idx",
              "char2idx", "char_to_ix", "item2idx", "word_map", "wordmap", "tokenizer")
NESTED = ("hyper_parameters", "hparams", "args", "config", "cfg", "opt", "opts")
_OBJECT_FIELDS = ("idx2item", "item2idx", "idx2word", "word2idx", "itos", "stoi", "dictionary", "vocab",
                  "tokens", "chars")


def _attrs(obj: Any) -> Mapping | None:
    if isinstance(obj, Pickled):
        return obj.attrs or None
    if isinstance(obj, Mapping):
        return obj
    d = getattr(obj, "__dict__", None)
    return d if isinstance(d, dict) else None


def as_vocab(value: Any, depth: int = 0) -> Vocab | None:
    """A Vocab from a stored value, or None when it is not one."""
    if depth > 3 or value is None:
        return None
    if isinstance(value, Vocab):
        return value
    if isinstance(value, str):
        return Vocab.from_tokens(list(value), level="char") if len(value) > 1 and len(set(value)) == len(value) \
            else None
    if isinstance(value, (list, tuple)):
        if len(value) > 1 and all(isinstance(x, (str, bytes)) for x in value):
            tokens = [x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in value]
            try:
                return Vocab.from_tokens(tokens)
            except InputError:
                return None
        return None
    a = _attrs(value)
    if a is None:
        return None
    if isinstance(a.get("tokens"), (list, tuple)) and "level" in a:  # our own Vocab.to_dict()
        try:
            return Vocab.from_tokens(a["tokens"], a.get("level"))
        except InputError:
            return None
    fields = [f for f in _OBJECT_FIELDS if f in a and not isinstance(a[f], int)]
    if not isinstance(value, Mapping) or fields:  # an object (or a dict of vocab fields): look at its fields
        for f in fields:
            v = as_vocab(a[f], depth + 1)
            if v is not None:
                return v
        return None
    if len(a) > 1:
        try:
            return Vocab.from_mapping(a)
        except (InputError, AttributeError, TypeError):
            return None
    return None


def find_vocab(tree: Tree, rows: int) -> tuple[Vocab | None, str]:
    """(the file's vocab, where it was found) or (None, "")."""
    places: list[tuple[str, Mapping]] = []
    for path, info in sorted(tree.modules.items(), key=lambda x: x[0].count(".") + bool(x[0])):
        places.append(("the model's attribute" if not path else f"{path!r}'s attribute", info.attrs))
    for h in tree.holders:
        places.append(("the file's", h))
        for n in NESTED:
            m = as_mapping(h.get(n)) if isinstance(h.get(n), (Mapping, Pickled)) else None
            if m is not None:
                places.append((f"{n!r}", m))
    for where, m in places:
        for k in VOCAB_KEYS:
            if k in m:
                v = as_vocab(m[k])
                if v is not None:
                    return v, f"{where} {k!r}"
    if rows > 1:  # any list of strings or str -> int mapping exactly as long as the embedding
        for where, m in places:
            for k, val in m.items():
                if isinstance(val, (list, tuple, Mapping)) and len(val) == rows and isinstance(k, str):
                    v = as_vocab(val)
                    if v is not None and len(v) == rows:
                        return v, f"{where} {k!r}"
    return None, ""


def plain_hints(tree: Tree) -> dict[str, Any]:
    """Simple values that describe the model: the root module's plain attributes, then the dicts' values."""
    out: dict[str, Any] = {}
    root = tree.modules.get("")
    sources = ([root.attrs] if root is not None else []) + list(tree.holders)
    for h in tree.holders:
        for n in NESTED:
            m = h.get(n)
            if isinstance(m, Mapping):
                sources.append({f"{n}.{k}": v for k, v in m.items() if isinstance(k, str)})
    for h in sources:
        for k, v in h.items():
            if not isinstance(k, str) or k in VOCAB_KEYS or k in out or k.startswith("_"):
                continue
            if isinstance(v, str) and len(v) < 200:
                out[k] = v if v.isprintable() else v.encode("unicode_escape").decode("ascii")  # one line: "\\n"
            elif isinstance(v, (int, float, bool)):
                out[k] = v
            elif isinstance(v, (list, tuple)) and v and len(v) <= 10_000 and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                out[k] = list(v)
            elif isinstance(v, Mapping) and 0 < len(v) <= 20 and all(
                    isinstance(x, (int, float, str, bool)) or x is None for x in v.values()):
                out[k] = dict(v)
    return out


def reads_backward(hints: dict[str, Any]) -> bool:
    """flair's backward language model: ``is_forward_lm`` False."""
    return hints.get("is_forward_lm") is False
