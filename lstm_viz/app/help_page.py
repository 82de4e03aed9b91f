"""The help page (Help > lstm_viz help, F1): the LSTM equations behind every picture, what each view shows,
and the keyboard shortcuts, read from the window's own actions."""
from __future__ import annotations

from PySide6 import QtWidgets

from .actions import shortcut_rows

EQUATIONS = """
<table cellpadding='3'>
<tr><td>input gate</td><td><b>i<sub>t</sub></b> = σ(W<sub>ii</sub> x<sub>t</sub> + W<sub>hi</sub> h<sub>t−1</sub> + b<sub>i</sub>)</td></tr>
<tr><td>forget gate</td><td><b>f<sub>t</sub></b> = σ(W<sub>if</sub> x<sub>t</sub> + W<sub>hf</sub> h<sub>t−1</sub> + b<sub>f</sub>)</td></tr>
<tr><td>candidate</td><td><b>g<sub>t</sub></b> = tanh(W<sub>ig</sub> x<sub>t</sub> + W<sub>hg</sub> h<sub>t−1</sub> + b<sub>g</sub>)</td></tr>
<tr><td>output gate</td><td><b>o<sub>t</sub></b> = σ(W<sub>io</sub> x<sub>t</sub> + W<sub>ho</sub> h<sub>t−1</sub> + b<sub>o</sub>)</td></tr>
<tr><td>cell state</td><td><b>c<sub>t</sub></b> = f<sub>t</sub> ⊙ c<sub>t−1</sub> + i<sub>t</sub> ⊙ g<sub>t</sub></td></tr>
<tr><td>hidden state</td><td><b>h<sub>t</sub></b> = o<sub>t</sub> ⊙ tanh(c<sub>t</sub>)
 &nbsp; (with a projection: h<sub>t</sub> = W<sub>hr</sub> (o<sub>t</sub> ⊙ tanh(c<sub>t</sub>)), fewer units)</td></tr>
</table>
<p>σ is the logistic sigmoid: gates lie in [0, 1]. A forget gate near 1 keeps the cell state; an input gate
near 1 writes the candidate into it; the output gate decides how much of it the next layer sees. These are
PyTorch's own <code>nn.LSTM</code> equations; every value drawn is the model's, computed by torch.</p>
<p><b>Other cells.</b> A <b>GRU</b> (<code>nn.GRU</code>) has a reset gate
r<sub>t</sub> = σ(W<sub>ir</sub> x<sub>t</sub> + W<sub>hr</sub> h<sub>t−1</sub> + b<sub>r</sub>), an update gate
z<sub>t</sub> (the same form), a new gate
n<sub>t</sub> = tanh(W<sub>in</sub> x<sub>t</sub> + b<sub>in</sub> + r<sub>t</sub> ⊙ (W<sub>hn</sub> h<sub>t−1</sub> + b<sub>hn</sub>))
and h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ h<sub>t−1</sub>: no separate cell state, so
its traces show h<sub>t</sub>. A plain <b>RNN</b> has only h<sub>t</sub> = tanh(W<sub>ih</sub> x<sub>t</sub> +
W<sub>hh</sub> h<sub>t−1</sub> + b) (or relu). A <b>peephole</b> LSTM's gates also see the cell state; a
<b>coupled-gate</b> LSTM (CIFG) writes with i<sub>t</sub> = 1 − f<sub>t</sub>. The heatmaps, their keys, the
Focus and the inspector list the quantities of the cell the model has.</p>
"""

VIEWS = """
<dl>
<dt><b>Text strip</b> (top)</dt><dd>the tokens, one column per timestep; every plot below shares its time
axis. Click a token to select that timestep.</dd>
<dt><b>Heatmaps</b></dt><dd>one per shown quantity of the model's cell (keys 1–6 for an LSTM, 1–4 for a GRU): units as rows, timesteps as columns. Gates use
a sequential colour map on [0, 1]; candidate, cell and hidden states a diverging one centred on 0. Rows follow
the <i>Units</i> order (by index, variance, mean, or activation at the selected step). Click a cell to select
its unit and timestep; Ctrl-click adds units.</dd>
<dt><b>Traces</b></dt><dd>the cell state c<sub>t</sub> of the selected units over time (H adds h<sub>t</sub>,
dashed), each in the colour of its row outline; for a GRU or plain RNN, which have no cell state, h<sub>t</sub>.</dd>
<dt><b>Coloured text</b></dt><dd>the text coloured by the <i>Focus</i> quantity of the first selected unit:
where a unit switches on and off. Hover a character for its loss and the model's top-5 guesses.</dd>
<dt><b>Inspector</b></dt><dd>every quantity at the cell under the mouse, or at the selected timestep and
unit when the mouse is over none; the token's loss and the next-token guesses.</dd>
<dt><b>Go to unit</b></dt><dd>type a unit number in the toolbar field (Ctrl+G) and press Enter.</dd>
</dl>
<p>A new model opens ordered by variance, on the unit of the first layer whose cell state shows the most slow
structure (variance × lag-1 autocorrelation of tanh c): a first guess at a unit that tracks something.</p>
"""


def help_html(win) -> str:
    rows = "".join(f"<tr><td>{what}</td><td><b>{keys}</b></td></tr>" for what, keys in shortcut_rows(win))
    return (f"<h2>How an LSTM step works</h2>{EQUATIONS}<h2>The views</h2>{VIEWS}"
            f"<h2>Shortcuts</h2><table cellpadding='2'>{rows}</table>")


class HelpDialog(QtWidgets.QDialog):
    def __init__(self, win):
        super().__init__(win)
        self.setWindowTitle("lstm_viz help")
        self.browser = QtWidgets.QTextBrowser()
        self.browser.setHtml(help_html(win))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        self.resize(680, 720)
