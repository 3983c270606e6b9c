"""What every self-contained page of Ripeness shares: its style sheet, and escaping.

Used by the checkpoint report (:mod:`ripeness.report.html`) and the sycophancy experiment's
page (:mod:`ripeness.feedback.html`).
"""

from __future__ import annotations

import html

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto;
       max-width: 1150px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { margin-bottom: 0.1em; } .sub { color: #666; margin-top: 0; }
.verdict { border-left: 6px solid #2ca02c; background: #f3faf3; padding: 0.8em 1.2em; }
.verdict.none { border-color: #d62728; background: #fdf3f3; }
.verdict h2 { margin-top: 0.2em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left; }
tr.chosen { background: #eaf7ea; font-weight: 600; } tr.vetoed td { color: #a33; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8em; margin: 0.6em 0 1.4em; }
.pair pre { white-space: pre-wrap; background: #f7f7f7; padding: 0.6em; margin: 0.2em 0;
            font-size: 0.85em; border-radius: 4px; }
.score { font-size: 0.85em; color: #444; } .bad { color: #d62728; } .good { color: #2ca02c; }
.prompt { font-weight: 600; margin-top: 1em; }
code { background: #f2f2f2; padding: 0 0.25em; }
.notice { border-left: 6px solid #e8a33d; background: #fdf8ee; padding: 0.5em 1.2em; }
"""


def escape(text) -> str:
    """Any text, model output above all, made safe to put in the page."""
    return html.escape(str(text))
