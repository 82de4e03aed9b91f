"""Opening checkpoints and texts from the window: the questions a foreign checkpoint raises (trust a pickled
module, which of several LSTMs, which vocab) are all answered before anything is shown; a declined question
or a cancel leaves the window on the previous model. Messages use the app's words, not the command line's."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6 import QtCore

from . import dialogs
from .recent import RecentFiles, labels

# The loader speaks to the command line; the app says the same in its own words.
_APP_WORDS = (
    (" (--vocab)", ""),
    ("pass a vocab file", "choose a vocab file"),
    ("give a vocab file", "choose a vocab file"),
    ("If you trust the file, pass --trust; or", "Open it again and trust it if you know where it comes from, or"),
    ("; pick one with --module NAME (module= in Python)", ""),
    ("--batch-size / --seq-len", "batch size / sequence length"),
    ("(--lr, now", "(now"),
)


def app_words(msg: str) -> str:
    for cli, app in _APP_WORDS:
        msg = msg.replace(cli, app)
    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", " "), msg)



READ_BACKWARD = " (the model reads right to left)"


def window_title(model) -> str:
    """The model's name, and how it reads when that is not left to right (flair's backward LMs): the views keep
    the text in its own order, so the user must be told."""
    if model is None:
        return "lstm_viz"
    return f"lstm_viz — {model.name}" + (READ_BACKWARD if model.config.reads_backward else "")


class Opener(QtCore.QObject):
    """Drives the Session's open requests for one window and keeps its recent files."""

    def __init__(self, window):
        super().__init__(window)
        self.win = window
        self.session = window.session
        self.recent = RecentFiles(window.settings)
        self._request: dict = {}  # the text (or text file) of the open in progress, for its retries
        self.session.opened.connect(self._opened)
        self.session.load_failed.connect(self._load_failed)

    # -- requests -------------------------------------------------------------------------------------------
    def last_dir(self) -> str:
        return self.win.settings.value("recent/dir", "", type=str)

    def open_checkpoint(self, path, text: str | None = None, **options) -> None:
        """Open ``path``; the answers remembered for it (vocab, module) are used unless given."""
        options = {**self.recent.choices(path), **options}
        self._request = {"text": text}
        self.session.open_checkpoint(path, text=text, **options)

    def open_startup(self, checkpoint=None, text_path=None) -> None:
        from lstm_viz.resources import DEMO_MODEL, DEMO_TEXT

        checkpoint = checkpoint or DEMO_MODEL
        if text_path is None:
            text_path = DEMO_TEXT if DEMO_TEXT.exists() else None
        if not Path(checkpoint).exists():
            msg = f"{checkpoint}: no such file. Use File > Open checkpoint, or Model > Train."
            if self.win.interactive:
                self.win.status_label.setText(msg)
            else:
                self.fail(msg)  # --screenshot ends with this line instead of waiting for a first analysis
            return
        self._request = {"text_path": text_path}
        self.session.open_checkpoint(checkpoint, text_path=text_path)

    def open_text(self, path) -> None:
        from lstm_viz.core.textfile import read_text_file

        from .worker import one_line

        try:
            text = read_text_file(path)
        except Exception as e:  # noqa: BLE001 - shown to the user in one line
            self.fail(one_line(e))
            return
        if not text:
            self.fail(f"{path}: the file is empty: nothing to analyse")
            return
        self.win.state.set_text(text)

    def refresh_menu(self) -> None:
        menu = self.win.recent_menu
        menu.clear()
        paths = self.recent.paths()
        for p, label in zip(paths, labels(paths)):
            menu.addAction(label, lambda p=p: self.open_checkpoint(p)).setToolTip(p)
        menu.setEnabled(bool(paths))

    # -- results --------------------------------------------------------------------------------------------
    def _opened(self, result, path: str, options: dict) -> None:
        if result.vocab_size:
            self._ask_vocab(result, path, options)
            return
        self.session.commit(result, path)
        self.recent.add(path, options)
        self.refresh_menu()
        notes = [app_words(n) for n in result.model.notes]
        if notes:
            self.win.status_label.setText(self.win.status_label.text() + " · " + "; ".join(notes))

    def _ask_vocab(self, result, path: str, options: dict) -> None:
        n = result.vocab_size
        if self.win.interactive:
            vocab = dialogs.ask_vocab(self.win, path, n, self.last_dir())
            if vocab:
                self.session.open_checkpoint(path, **self._request, **{**options, "vocab": vocab})
                return
            self._unchanged(f"{path} not opened: it has no vocab, and text needs one with {n} tokens")
            return
        self.fail(f"{path}: has no vocab; text needs a vocab file with {n} tokens")

    def _load_failed(self, path: str, msg: str, options: dict) -> None:
        if self.win.interactive:
            if "pickled Python object" in msg and not options.get("trust"):
                if dialogs.ask_trust(self.win, path):
                    self.session.open_checkpoint(path, **self._request, **{**options, "trust": True})
                else:
                    self._unchanged(f"{path} not opened: not trusted")
                return
            names = dialogs.module_choices(msg)
            if names and not options.get("module"):
                name = dialogs.ask_module(self.win, path, names)
                if name:
                    self.session.open_checkpoint(path, **self._request, **{**options, "module": name})
                else:
                    self._unchanged(f"{path} not opened: no LSTM chosen")
                return
        self.fail(app_words(msg))

    def _unchanged(self, msg: str) -> None:
        self.session.drop()
        model = self.win.state.model
        self.win.status_label.setText(msg + (f"; still showing {model.name}" if model is not None else ""))

    def fail(self, msg: str) -> None:
        """An open that could not complete: one line in the status bar, a dialog when interactive."""
        self.session.drop()
        self.session.failed.emit("open", msg)
