"""The core must stay usable without Qt: importing every core module pulls in no Qt and no pyqtgraph."""
import subprocess
import sys

CODE = """
import pkgutil, importlib, sys
import lstm_viz.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, 'lstm_viz.core.')]
for n in names:
    importlib.import_module(n)
import lstm_viz.cli, lstm_viz.commands.trace, lstm_viz.commands.info
bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))
print(len(names), bad)
assert not bad, bad
assert len(names) >= 5, names
"""


def test_core_imports_no_qt():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_import_lstm_viz_does_not_import_torch():
    r = subprocess.run([sys.executable, "-c", "import sys, lstm_viz; assert 'torch' not in sys.modules"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
