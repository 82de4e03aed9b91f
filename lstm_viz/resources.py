"""Where the bundled demo model and demo text live."""
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEMO_MODEL = RESOURCES / "demo_model.pt"
DEMO_TEXT = RESOURCES / "demo_text.txt"
