import os

import pytest

# Every test runs headless; pytest-qt creates the QApplication on this platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import lstm_viz.qtcompat  # noqa: E402,F401  (PySide6 6.12 reference-count work-around for every Qt test)


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for a module of tiny models (``pytestmark = pytest.mark.usefixtures(...)``): its thread
    pool only adds waiting, seconds per chunk on a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
