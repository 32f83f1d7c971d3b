"""User strings in figures are text, never markup (docs/design.md, "Browser security").

plotly.js reads a subset of HTML in every string it draws (titles, legend and axis labels, tick
labels, bar and marker text, hover text, annotations): `<b>`, `<br>`, `<span style=...>`,
`<a href=...>`. An architecture or team name is shown on other teams' pages, so every user
string goes through `plain` on its way into a figure: `<`, `>` and `&` become entities, which
plotly draws as the characters themselves. Strings plotly never draws (a click handler's
`customdata`, `layout.meta`) stay as they are.
"""

from __future__ import annotations

import html


def plain(text: object) -> str:
    """`text` as plotly will draw it literally."""
    return html.escape(str(text), quote=False)
