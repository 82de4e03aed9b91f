"""Fuzz the code-free reader: mutated and truncated real checkpoints and random opcode streams give a one-line
CheckpointError or a load of plain data, tensors and placeholders; never a traceback, a hang or a code run."""
from __future__ import annotations

import io
import pickle
import pickletools
import sys
import zipfile
from collections import Counter, OrderedDict

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from lstm_viz.core.errors import CheckpointError
from lstm_viz.core.loading import load_model, read_checkpoint
from lstm_viz.core.pickled import Pickled
from lstm_viz.core.safe_pickle import PickleReadError, load

FUZZ = settings(max_examples=100, deadline=5000, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# What a payload does, as PEP 578 audit events: start a process, load a library, open a file for writing. ("exec"
# itself also fires for every first-time module import and dataclass, so the payload below shows by its effect.)
_DANGER = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "subprocess.Popen", "ctypes.dlopen")


class _Audit:
    """Records code-running audit events (PEP 578) while armed. An audit hook cannot be removed, so the test
    installs one for the session and arms it only around the reader."""

    def __init__(self):
        self.armed, self.events = False, []

    def __call__(self, event, args):
        if self.armed and (event in _DANGER or (event == "open" and len(args) > 1 and isinstance(args[1], str)
                                               and any(c in args[1] for c in "wax+"))):
            self.events.append(event)


@pytest.fixture(scope="session")
def audit():
    hook = _Audit()
    sys.addaudithook(hook)
    return hook


class _Evil:
    def __reduce__(self):
        return (exec, ("open('/nonexistent-dir/pwned', 'w')",))


class _Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(5, 3)
        self.rnn = nn.LSTM(3, 4)
        self.decoder = nn.Linear(4, 5)
        self.payload = _Evil()


def _saved(obj, **kw) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def seeds():
    torch.manual_seed(0)
    sd = nn.LSTM(3, 4).state_dict()
    return {
        "zip": _saved(sd),
        "legacy": _saved(sd, _use_new_zipfile_serialization=False),
        "legacy4": _saved(_Model(), _use_new_zipfile_serialization=False, pickle_protocol=4),
        "whole": _saved(_Model(), pickle_protocol=4),
    }


_ALLOWED = (dict, list, tuple, set, frozenset, str, bytes, bytearray, int, float, complex, bool, type(None),
            torch.Tensor, torch.storage.TypedStorage, torch.Size, torch.device, torch.dtype, Pickled, OrderedDict,
            Counter)  # a bare storage is what torch.load gives for a pickled storage too


def _only_allowed(root) -> None:
    seen, todo = set(), [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        assert isinstance(obj, _ALLOWED), type(obj)
        if isinstance(obj, Pickled):
            todo.extend([*obj.args, obj.state, *obj.items, *obj.dict_items.keys(), *obj.dict_items.values()])
        elif isinstance(obj, dict):
            todo.extend([*obj.keys(), *obj.values()])
        elif isinstance(obj, (list, tuple, set, frozenset)):
            todo.extend(obj)


def _check_file(tmp_path, data: bytes, audit) -> None:
    path = tmp_path / "fuzzed.pt"
    path.write_bytes(data)
    audit.armed = True
    try:
        try:
            _only_allowed(read_checkpoint(path).obj)
        except CheckpointError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path)), str(e)
            return
        try:  # what was read goes on to the importer: it too answers in one line
            load_model(path)
        except CheckpointError as e:
            assert "\n" not in str(e), str(e)
    finally:
        audit.armed = False
    assert audit.events == []


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    b = bytearray(data)
    for pos, value in edits:
        b[pos % len(b)] = value
    return bytes(b[:cut % (len(b) + 1)] if cut is not None else b)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6)
CUT = st.none() | st.integers(0, 1 << 20)


@FUZZ
@given(which=st.sampled_from(["legacy", "legacy4"]), edits=EDITS, cut=CUT)
def test_mutated_legacy_files(tmp_path, seeds, audit, which, edits, cut):
    _check_file(tmp_path, _mutate(seeds[which], edits, cut), audit)


@FUZZ
@given(which=st.sampled_from(["zip", "whole"]), edits=EDITS, cut=CUT, whole_file=st.booleans())
def test_mutated_zip_archives(tmp_path, seeds, audit, which, edits, cut, whole_file):
    """Mutating the zip itself mostly trips its CRC; so also rewrite the archive around a mutated data.pkl."""
    data = seeds[which]
    if whole_file:
        _check_file(tmp_path, _mutate(data, edits, cut), audit)
        return
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info.filename, _mutate(body, edits, cut) if info.filename.endswith("data.pkl") else body)
    _check_file(tmp_path, out.getvalue(), audit)


_OPCODES = [bytes([ord(op.code[0])]) if isinstance(op.code, str) else op.code[:1] for op in pickletools.opcodes]
_ARGS = st.sampled_from([b"", b"\x00", b"\x01\x00\x00\x00", b"\xff\xff\xff\x7f", b"q\x00", b"h\x00", b"torch\n",
                         b"collections\nOrderedDict\n", b"os\nsystem\n", b"builtins\neval\n", b"\x8c\x05hello",
                         b"\x95\x08\x00\x00\x00\x00\x00\x00\x00"])


@FUZZ
@given(ops=st.lists(st.tuples(st.sampled_from(_OPCODES), _ARGS), max_size=40), protocol=st.sampled_from([2, 4, 5]))
def test_random_opcode_streams(audit, ops, protocol):
    data = bytes([0x80, protocol]) + b"".join(op + arg for op, arg in ops) + b"."
    audit.armed = True
    try:
        try:
            _only_allowed(load(data))
        except PickleReadError as e:
            assert "\n" not in str(e)
    finally:
        audit.armed = False
    assert audit.events == []


def test_audit_hook_sees_code_running(audit):
    """The hook the fuzz tests rely on does record what a plain unpickler would run."""
    audit.armed = True
    try:
        with pytest.raises(FileNotFoundError):
            pickle.loads(pickle.dumps(_Evil()))
    finally:
        audit.armed = False
    assert "open" in audit.events  # exec ran the payload, which opened a file for writing
    audit.events.clear()
