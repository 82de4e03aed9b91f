"""The code-free reader: real checkpoints load exactly as torch.load gives them; malicious pickles run nothing."""
from __future__ import annotations

import builtins
import importlib
import io
import os
import pickle
import resource
import subprocess
import sys
import types
import zipfile
from collections import OrderedDict

import pytest
import torch
from torch import nn

from lstm_viz.core.errors import CheckpointError
from lstm_viz.core.loading import load_model, read_checkpoint
from lstm_viz.core.pickled import Pickled, PickledGlobal
from lstm_viz.core.safe_pickle import PickleReadError, load


class WordModel(nn.Module):  # the shape of pytorch/examples word_language_model's RNNModel
    def __init__(self, ntoken=10, ninp=6, nhid=5, nlayers=2):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = nn.Linear(nhid, ntoken)
        self.rnn_type, self.nhid, self.nlayers = "LSTM", nhid, nlayers


def same_tensors(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in b:
        assert isinstance(a[k], torch.Tensor), k
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and a[k].stride() == b[k].stride(), k
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize("zip_format", [True, False])
def test_state_dicts_read_exactly_as_torch_load(tmp_path, protocol, zip_format):
    torch.manual_seed(0)
    sd = WordModel().state_dict()
    sd["half"] = torch.randn(3, 4).half()
    sd["view"] = sd["rnn.weight_ih_l0"][2:5, 1:]  # a view sharing a storage, non-contiguous
    sd["ints"] = torch.arange(7)
    sd["flag"] = torch.tensor([True, False])
    path = tmp_path / "sd.pt"
    torch.save(sd, path, pickle_protocol=protocol, _use_new_zipfile_serialization=zip_format)
    read = read_checkpoint(path)
    ref = torch.load(path, weights_only=False)  # our own file; weights_only=True refuses protocol 4 and 5
    same_tensors(read.obj, ref)
    assert read.obj["view"].untyped_storage().data_ptr() == read.obj["rnn.weight_ih_l0"].untyped_storage().data_ptr()
    assert read.note == "" and read.format == ("torch zip" if zip_format else "torch legacy")
    assert read.obj._metadata == ref._metadata  # a state_dict's version metadata survives


@pytest.mark.parametrize("protocol", [2, 4])
def test_whole_pickled_model_is_a_tree_of_placeholders(tmp_path, protocol):
    model = WordModel()
    torch.save(model, tmp_path / "model.pt", pickle_protocol=protocol)
    read = read_checkpoint(tmp_path / "model.pt")
    root = read.obj
    assert isinstance(root, Pickled) and root.is_module and root.name.endswith("WordModel")
    assert read.note == f"whole pickled model {root.name}, read without running its code"
    assert root.get("nhid") == 5 and root.get("rnn_type") == "LSTM"
    rnn = root.get("rnn")
    assert rnn.name == "torch.nn.modules.rnn.LSTM" and rnn.get("hidden_size") == 5 and rnn.get("num_layers") == 2
    assert isinstance(rnn.get("weight_ih_l0"), nn.Parameter)
    same_tensors(root.state_dict(), model.state_dict())
    m = load_model(tmp_path / "model.pt", vocab=[str(i) for i in range(10)])  # no trust needed
    assert any(read.note in n for n in (m.layout, *m.notes))  # info prints both


def test_tied_weights_stay_one_tensor(tmp_path):
    model = WordModel(ntoken=10, ninp=5, nhid=5)
    model.decoder.weight = model.encoder.weight
    torch.save(model, tmp_path / "tied.pt")
    root = read_checkpoint(tmp_path / "tied.pt").obj
    assert root.get("decoder").get("weight") is root.get("encoder").get("weight")
    assert list(root.state_dict()) == list(model.state_dict())


def test_plain_containers_and_scalars_load_as_themselves(tmp_path):
    obj = {"list": [1, 2.5, None, True], "tuple": (1, "a"), "set": {1, 2}, "frozen": frozenset({3}),
           "bytes": b"\x00\xffab", "bytearray": bytearray(b"xy"), "complex": 1 + 2j, "big": 10 ** 30,
           "od": OrderedDict(a=1), "str": "é✓", "nested": [[{"k": (1, 2)}]], "dtype": torch.float16,
           "size": torch.Size([2, 3]), "device": torch.device("cpu")}
    for protocol in (2, 4, 5):
        torch.save(obj, tmp_path / "c.pt", pickle_protocol=protocol)
        assert read_checkpoint(tmp_path / "c.pt").obj == obj
        # protocol 0 and 1 of plain pickle work too
    for protocol in (0, 1, 2, 5):
        assert load(pickle.dumps({k: v for k, v in obj.items() if k not in ("dtype", "size", "device")},
                                 protocol=protocol)) == {k: v for k, v in obj.items()
                                                         if k not in ("dtype", "size", "device")}


def test_unknown_classes_keep_name_args_state_and_items(monkeypatch):
    class Thing:
        def __init__(self):
            self.a, self.b = 1, [2]

    class MyList(list):
        pass

    class MyDict(dict):
        pass

    Thing.__module__ = MyList.__module__ = MyDict.__module__ = "my_project_things"
    Thing.__qualname__, MyList.__qualname__, MyDict.__qualname__ = "Thing", "MyList", "MyDict"
    fake = types.ModuleType("my_project_things")  # the project's code exists where the file was written ...
    fake.Thing, fake.MyList, fake.MyDict = Thing, MyList, MyDict
    monkeypatch.setitem(sys.modules, "my_project_things", fake)
    data = pickle.dumps([Thing(), MyList([1, 2]), MyDict(x=3), Thing], protocol=4)
    monkeypatch.delitem(sys.modules, "my_project_things")  # ... and not where it is read
    thing, mylist, mydict, cls = load(data)
    assert thing.name == "my_project_things.Thing" and thing.attrs == {"a": 1, "b": [2]}
    assert mylist.name == "my_project_things.MyList" and mylist.items == [1, 2]
    assert mydict.name == "my_project_things.MyDict" and mydict.dict_items == {"x": 3}
    assert isinstance(cls, PickledGlobal) and cls.name == "my_project_things.Thing"


# -- malicious pickles -------------------------------------------------------------------------------------------
class Evil:
    """Unpickling an instance calls ``func(*args)``: each creates the marker file."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def evil_payloads(marker: str) -> dict[str, Evil]:
    touch = f"open({marker!r}, 'w').close()"
    return {
        "os.system": Evil(os.system, f"touch {marker}"),
        "builtins.eval": Evil(builtins.eval, touch),
        "builtins.exec": Evil(builtins.exec, touch),
        "subprocess.Popen": Evil(subprocess.Popen, ["touch", marker]),
        "importlib.import_module": Evil(importlib.import_module, "antigravity"),
        "builtins.getattr": Evil(getattr, Evil(importlib.import_module, "os"), "system"),
    }


class EvilModule(nn.Module):
    def __init__(self, payload):
        super().__init__()
        self.rnn = nn.LSTM(2, 3)
        self.payload = payload


def wrap(kind: str, payload: Evil):
    return {"top": payload,
            "in a dict": {"state_dict": {"w": torch.zeros(2)}, "extra": payload},
            "in a list": [torch.zeros(2), [payload]],
            "in module state": EvilModule(payload)}[kind]


@pytest.mark.parametrize("kind", ["top", "in a dict", "in a list", "in module state"])
@pytest.mark.parametrize("protocol", [2, 4])
@pytest.mark.parametrize("fmt", ["zip", "legacy", "pickle"])
def test_malicious_pickles_leave_no_trace(tmp_path, kind, protocol, fmt, capfd):
    marker = tmp_path / "pwned"
    for name, payload in evil_payloads(str(marker)).items():
        path = tmp_path / f"evil_{protocol}.pt"
        obj = wrap(kind, payload)
        if fmt == "pickle":
            path.write_bytes(pickle.dumps(obj, protocol=protocol))
        else:
            torch.save(obj, path, pickle_protocol=protocol, _use_new_zipfile_serialization=fmt == "zip")
        try:
            read = read_checkpoint(path)
        except CheckpointError as e:
            assert "\n" not in str(e) and str(path) in str(e)
        else:  # kept as a named, inert placeholder
            assert f"{payload.func.__module__}.{payload.func.__qualname__}" in _pickled_names(read.obj), name
        try:
            load_model(path)
        except CheckpointError as e:
            assert "\n" not in str(e)
        assert not marker.exists(), name
    assert "antigravity" not in __import__("sys").modules


def test_the_malicious_payload_is_real(tmp_path):
    """The same bytes run code under a plain unpickler, so the test above would catch a reader that ran them."""
    marker = tmp_path / "pwned"
    data = pickle.dumps({"x": [evil_payloads(str(marker))["builtins.exec"]]}, protocol=2)
    pickle.loads(data)
    assert marker.exists()


def _pickled_names(root) -> set[str]:
    from lstm_viz.core.file_formats import _pickled_names

    return _pickled_names(root) | {root.name} if isinstance(root, Pickled) else _pickled_names(root)


# -- storages that lie about their size --------------------------------------------------------------------------
class FakeStorage:
    pass


class TensorOf:
    def __init__(self, numel):
        self.numel = numel

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (FakeStorage(), 0, (self.numel,), (1,), False, OrderedDict())


def _pickle_with_storage(numel: int, legacy_view=False) -> bytes:
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)
    p.persistent_id = lambda obj: ((("storage", torch.FloatStorage, "0", "cpu", numel) +
                                    ((None,) if legacy_view else ())) if isinstance(obj, FakeStorage) else None)
    p.dump({"w": TensorOf(numel)})
    return buf.getvalue()


def _zip_with(tmp_path, numel: int, record_bytes: int):
    path = tmp_path / "lying.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", _pickle_with_storage(numel))
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/data/0", b"\0" * record_bytes)
        zf.writestr("archive/version", "3\n")
    return path


def _legacy_with(tmp_path, numel: int, stored: int):
    path = tmp_path / "lying_legacy.pt"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, f, protocol=2)
        f.write(_pickle_with_storage(numel, legacy_view=True))
        pickle.dump(["0"], f, protocol=2)
        f.write(numel.to_bytes(8, "little") + b"\0" * (4 * stored))
    return path


@pytest.mark.parametrize("make", [_zip_with, _legacy_with])
def test_absurd_storage_size_is_refused_without_allocating(tmp_path, make):
    path = make(tmp_path, 10 ** 12, 4)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(path)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and "4000000000000 bytes" in msg
    assert grown_kb < 100_000  # 4 TB were declared; nothing near that was touched


@pytest.mark.parametrize("make", [_zip_with, _legacy_with])
def test_storage_larger_than_the_bytes_present_is_refused(tmp_path, make):
    path = make(tmp_path, 1000, 16 // 4 if make is _legacy_with else 16)
    with pytest.raises(CheckpointError, match="declares 4000 bytes"):
        read_checkpoint(path)
    ok = make(tmp_path, 4, 4 if make is _legacy_with else 16)
    assert read_checkpoint(ok).obj["w"].tolist() == [0.0] * 4


def test_tensor_reaching_past_its_storage_is_refused():
    def persistent_load(pid):
        return torch.storage.TypedStorage(wrap_storage=torch.UntypedStorage(16), dtype=torch.float32,
                                          _internal=True)

    from lstm_viz.core.torch_archive import storage_types

    data = _pickle_with_storage(5)  # 5 floats over a 4-float storage
    with pytest.raises(PickleReadError, match="past the end of its storage"):
        load(data, persistent_load, storage_types)


@pytest.mark.parametrize("data, needle", [
    (b"\x80\x02(.", "malformed stack"),  # a bare MARK is not a value
    (b"\x80\x02.", "malformed stack"),
    (b"\x80\x02N(a.", "empty stack"),
    (b"\x80\x02K\x01", "exhausted before seeing STOP"),
    (b"\x80\x02" + b"]" * 5000 + b"a" * 4999 + b".", "nested more than"),
    (b"\x80\x02csubprocess\nPopen\n(X\x02\x00\x00\x00lsNtR.", None),  # TUPLE: a placeholder
])
def test_malformed_or_odd_streams(data, needle):
    if needle is None:
        obj = load(data)
        assert isinstance(obj, Pickled) and obj.name == "subprocess.Popen" and obj.args == ("ls", None)
        return
    with pytest.raises(PickleReadError, match=needle):
        load(data)


def test_self_containing_list_is_read_as_it_is():
    a = [1]
    a.append(a)
    b = load(pickle.dumps(a, protocol=2))
    assert b[0] == 1 and b[1] is b


def test_big_endian_archive_is_byteswapped(tmp_path):
    """A zip written on a big-endian machine says so in its byteorder record; the numbers come out the same."""
    sd = {"w": torch.randn(3, 4), "d": torch.randn(5, dtype=torch.float64), "i": torch.arange(4, dtype=torch.int32)}
    torch.save(sd, tmp_path / "little.pt")
    dtypes = {}  # storage key -> dtype, from the pickle's persistent ids
    src = zipfile.ZipFile(tmp_path / "little.pt")
    for op, arg, _ in __import__("pickletools").genops(src.read("little/data.pkl")):
        if op.name == "GLOBAL" and arg.endswith("Storage"):
            last_dtype = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "IntStorage": "<i4"}[arg.split()[-1]]
        if op.name == "BINUNICODE" and arg.isdigit():
            dtypes.setdefault(arg, last_dtype)
    with zipfile.ZipFile(tmp_path / "big.pt", "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            name = info.filename.replace("little/", "archive/")
            if name == "archive/byteorder":
                body = b"big"
            elif name.startswith("archive/data/"):
                import numpy as np

                body = np.frombuffer(body, dtype=dtypes[name.split("/")[-1]]).byteswap().tobytes()
            dst.writestr(name, body)
    read = read_checkpoint(tmp_path / "big.pt").obj
    for k, v in sd.items():
        assert torch.equal(read[k], v), k
