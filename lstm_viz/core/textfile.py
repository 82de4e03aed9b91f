"""Read a UTF-8 text file, or fail with one line that names the file and the problem. No torch, no Qt."""
from __future__ import annotations

from pathlib import Path

from .errors import InputError


def read_text_file(path: str | Path) -> str:
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a text file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (invalid byte at offset {e.start})") from None
