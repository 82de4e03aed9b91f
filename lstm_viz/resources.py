"""Where the bundled demo model and demo text live.

In a clone (and an editable install) they are in the top-level ``resources/`` folder beside the package; a wheel,
``pip install .`` and pipx ship that folder inside the package as ``lstm_viz/_resources`` (see pyproject.toml).
"""
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding demo_model.pt and demo_text.txt: the installed copy if there is one, else the clone's."""
    package = Path(__file__).resolve().parent
    installed = package / "_resources"
    return installed if (installed / "demo_model.pt").is_file() else package.parent / "resources"


RESOURCES = resources_dir()
DEMO_MODEL = RESOURCES / "demo_model.pt"
DEMO_TEXT = RESOURCES / "demo_text.txt"
