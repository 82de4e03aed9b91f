"""Install as people install: a wheel (what `pip install .` and pipx build) carries the demo model and text, and a
regular (non-editable) install finds them. Runs offline in about 10-20 s; skips with the reason when no wheel can
be built here."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _can_build_offline() -> bool:
    """setuptools >= 68 with a bdist_wheel command (built in from 70.1, else the wheel package)."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or ((major, minor) >= (68, 0) and importlib.util.find_spec("wheel") is not None)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the tracked sources, so the checkout itself gets no build/ or egg-info."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "lstm_viz", src / "lstm_viz", ignore=ignore)
    shutil.copytree(ROOT / "resources", src / "resources", ignore=ignore)
    offline = _can_build_offline()
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)]
    done = subprocess.run(cmd + (["--no-build-isolation"] if offline else []), capture_output=True, text=True,
                          timeout=300)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        if not offline:
            pytest.skip(f"no wheel: this Python lacks setuptools>=68 with bdist_wheel and pip could not fetch "
                        f"them ({last})")
        pytest.fail(f"pip wheel failed: {last}")
    (found,) = (tmp / "dist").glob("lstm_viz-*.whl")
    return found


def test_wheel_carries_demo_model_text_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for demo in ("demo_model.pt", "demo_text.txt"):
        assert f"lstm_viz/_resources/{demo}" in names
        data = zipfile.ZipFile(wheel).read(f"lstm_viz/_resources/{demo}")
        assert data == (ROOT / "resources" / demo).read_bytes()
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lstm_viz").rglob("*.py")}
    assert sources - names == set()  # a subpackage missing from pyproject.toml's list shows here


def test_regular_install_into_a_venv_finds_the_demo(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    probe = ("import lstm_viz.resources as r; print(r.DEMO_MODEL); print(r.DEMO_MODEL.is_file(), "
             "r.DEMO_TEXT.is_file())")
    out = subprocess.run([str(python), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    assert Path(out[0]).is_relative_to(env_dir), out  # the installed copy, not this checkout
    assert out[1] == "True True"


def test_a_clone_and_an_editable_install_use_the_top_level_folder():
    from lstm_viz.resources import DEMO_MODEL, DEMO_TEXT

    if (ROOT / "lstm_viz" / "_resources").exists():
        pytest.skip("this checkout has an installed _resources copy")
    assert DEMO_MODEL == ROOT / "resources" / "demo_model.pt" and DEMO_MODEL.is_file() and DEMO_TEXT.is_file()
