"""A study as one self-contained HTML file (docs/design.md, "Studies"): its protocol, results table,
comparisons with the paper's claims, and its two figures, with plotly.js inlined from the installed
package, so the file opens offline and years later. User strings are escaped as HTML; figure JSON
is embedded so that no "</script>" in a name can end its script element."""

from __future__ import annotations

import html
from typing import Any

import plotly.io
from plotly.offline import get_plotlyjs

from app.studies.schemas import StudyOut

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2933; margin: 24px; }
table { border-collapse: collapse; margin: 8px 0 24px; font-size: 14px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.better { color: #007a5a; } .worse { color: #b34700; } .muted { color: #6b7280; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _n(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(ci: tuple[float, float] | None) -> str:
    return "-" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _script_json(figure: dict[str, Any]) -> str:
    return str(plotly.io.json.to_json_plotly(figure)).replace("</", "<\\/")


def study_html(study: StudyOut, results: dict[str, Any], curves: dict[str, Any]) -> str:
    models = "".join(
        f"<tr><td>{_e(m.name)}</td><td>{_e(m.paper_model or '')}</td><td class=n>{m.depth}</td>"
        f"<td class=n>{m.conv_macs:,}</td><td class=n>{_n(m.lr, 4) if m.lr else '-'}</td>"
        f"<td class=n>{m.n}/{len(m.runs)}</td><td class=n>{_n(m.top1_error_mean)}</td>"
        f"<td class=n>{_n(m.top1_error_std)}</td><td class=n>{_ci(m.top1_error_ci95)}</td>"
        f"<td>{ {True: 'yes', False: 'no', None: '-'}[m.learned] }</td></tr>"
        for m in study.models
    )
    edges = "".join(
        f"<tr><td>{_e(c.source)} &rarr; {_e(c.target)}</td><td class=n>{c.figure or '-'}</td><td>{_e(c.tradeoff)}</td>"
        f"<td class=n>{_n(c.difference)}</td><td class=n>{_ci(c.ci95)}</td><td class=n>{_n(c.p_value, 3)}</td>"
        f"<td class='{_e(c.verdict or 'muted')}'>{_e(c.verdict or 'no verdict yet')}</td>"
        f"<td>{_e(c.claim.text)} <span class=muted>({_e(c.claim.basis)})</span></td>"
        f"<td>{ {True: 'supports', False: 'does not support', None: '-'}[c.claim.supported] }</td></tr>"
        for c in study.comparisons
    )
    p = study.progress
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study {_e(study.name)}</title>
<style>{_STYLE}</style><script>{get_plotlyjs()}</script></head>
<body>
<h1>Study {_e(study.name)}</h1>
<p>{_e(study.status)}: {p.succeeded} of {p.total} jobs succeeded, {p.failed} failed, {p.cancelled} cancelled.
Protocol: {_e(study.protocol_text)}; seeds {_e(", ".join(map(str, study.seeds)))}.
Errors are top-1 on the validation split, in percent; statistics are over the runs that learned,
with a 95% Student-t interval; comparisons are target minus source with Welch's t-test.</p>
<h2>Models</h2>
<table><tr><th>model</th><th>paper</th><th>depth</th><th>conv MACs</th><th>lr</th><th>runs</th>
<th>mean</th><th>std</th><th>95% CI</th><th>learned</th></tr>{models}</table>
<h2>Comparisons</h2>
<table><tr><th>edge</th><th>figure</th><th>trade-off</th><th>difference</th><th>95% CI</th><th>p</th>
<th>verdict</th><th>the paper's claim</th><th>this study</th></tr>{edges}</table>
<h2>Error against depth</h2><div id="results"></div>
<h2>Validation curves</h2><div id="curves"></div>
<script>
Plotly.newPlot("results", ...(f => [f.data, f.layout])({_script_json(results)}));
Plotly.newPlot("curves", ...(f => [f.data, f.layout])({_script_json(curves)}));
</script>
</body></html>
"""
