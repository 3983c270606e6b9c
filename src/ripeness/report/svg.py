"""Matplotlib figures as inline SVG text, for pages that load nothing (the report, the
experiment's page).

SVG keeps an HTML file self-contained (no image files, no scripts, no network) and sharp at
any zoom; text stays text, so the page can be searched.
"""

from __future__ import annotations

import io
import re

# the colours every figure gives the same things
GOLD, PROXY, HACK, CHOSEN, LAST = "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#7f7f7f"


def new_figure(width: float, height: float, panels: int = 1):
    """A figure of ``panels`` side by side, ``width`` x ``height`` inches: (fig, [axes])."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9})  # text stays text
    fig, axes = plt.subplots(1, panels, figsize=(width, height), squeeze=False)
    return fig, list(axes[0])


def svg_of(fig) -> str:
    """The figure as one ``<svg>`` element (closed afterwards), ready to sit inside HTML."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: it sits inside HTML
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
