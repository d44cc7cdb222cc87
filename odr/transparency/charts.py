"""Bar charts drawn on the server as SVG: readable without JavaScript, no inline style (the CSP forbids it)."""

from __future__ import annotations

from markupsafe import Markup, escape

from odr.cases.models import RightType
from odr.extensions import gettext as _

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_WIDTH = 22, 6, 190, 320


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float]], unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value); the figures are printed beside the bars and the title names
    the chart for screen readers (the page also shows the same figures in a table)."""
    top = max((value for _label, value in items), default=0) or 1
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for row, (label, value) in enumerate(items):
        y = GAP + row * (BAR_HEIGHT + GAP)
        bar = round(BAR_WIDTH * value / top, 1)
        figure = f"{value:g}{unit}"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>'
        )
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{BAR_HEIGHT}" fill="#2f6fb0"></rect>')
        parts.append(f'<text x="{LABEL_WIDTH + bar + 6}" y="{y + 16}" font-size="13">{escape(figure)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def report_charts(figures: dict) -> list[Markup]:
    """The transparency report's charts: outcomes, right types, measures and handling times."""
    from odr.transparency.services import MEASURE_TITLES, OUTCOMES

    notices, times = figures["notices"], figures["handling_hours"]
    handling = [
        (label, times[key][stat])
        for key, what in (("to_first_measure", _("first measure")), ("to_closure", _("closure")))
        for stat, label in (
            ("median", _("Median hours to %(what)s", what=what)),
            ("p90", _("90th percentile hours to %(what)s", what=what)),
        )
        if times[key][stat] is not None
    ]
    return [
        bar_chart(
            "by-outcome", _("Notices by outcome"), [(str(OUTCOMES[k]), v) for k, v in notices["by_outcome"].items()]
        ),
        bar_chart(
            "by-right",
            _("Notices by right type"),
            [(RightType(k).label, v) for k, v in notices["by_right_type"].items()],
        ),
        bar_chart(
            "by-measure",
            _("Measures ordered"),
            [(str(MEASURE_TITLES.get(k, k)), v) for k, v in figures["actions"]["by_measure"].items()],
        ),
        bar_chart("handling", _("Handling times"), handling, unit=" h"),
    ]
