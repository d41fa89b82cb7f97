"""Server-rendered SVG charts (no JavaScript, no CDN): horizontal bars and a line.

Every label and number is escaped with markupsafe before it enters the markup, and the result is
returned as ``Markup`` so templates embed it directly. Sizes are in user units with a viewBox, so
the charts scale with the page and print sharply.
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from .formatting import angka
from .scoring.rules import NEUTRAL_COLOUR, PREDICATE_STYLES, predicate_colour

# Fill colours per predicate live with the predicate bands (kinerja_admin.scoring.rules)
PREDICATE_COLOURS = {label: strong for label, (strong, _) in PREDICATE_STYLES.items()}
NEUTRAL = NEUTRAL_COLOUR
TEXT = "#212529"
GRID = "#dee2e6"


def colour_for(label: str) -> str:
    return predicate_colour(label)


def _num(value, decimals: int | None = None) -> str:
    return angka(value, decimals)


def bar_chart(items, *, title: str, width: int = 560, bar_height: int = 26, label_width: int = 190,
              percent: bool = True, limits: dict | None = None) -> Markup:
    """Horizontal bars for (label, count) pairs, each annotated with count and share.

    ``limits`` optionally maps a label to (min_pct, max_pct) of a distribution curve; they are
    drawn as thin markers on the percentage scale (the bars are then scaled to 100%).
    """
    items = [(str(label), int(value or 0)) for label, value in items]
    total = sum(v for _, v in items)
    gap = 8
    top = 6
    height = top + len(items) * (bar_height + gap) + 4
    plot = width - label_width - 110
    scale_max = 100 if limits else max([v for _, v in items] + [1])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kinerja-chart" role="img" '
           f'viewBox="0 0 {width} {max(height, 30)}" width="100%" style="max-width: {width}px" '
           f'preserveAspectRatio="xMinYMin meet" '
           f'aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    if not items or total == 0:
        out.append(f'<text x="4" y="20" font-size="13" fill="{TEXT}">Belum ada data.</text></svg>')
        return Markup("".join(out))
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_height + gap)
        share = Decimal(value) * 100 / total if total else Decimal(0)
        measure = share if limits else Decimal(value)
        w = float(measure) / scale_max * plot if scale_max else 0
        text = f"{_num(value)}"
        if percent:
            text += f" ({_num(share, 1)}%)"
        out.append(f'<text x="{label_width - 6}" y="{y + bar_height * 0.68:.1f}" font-size="13" '
                   f'text-anchor="end" fill="{TEXT}">{escape(label)}</text>')
        out.append(f'<rect x="{label_width}" y="{y}" width="{max(w, 0):.1f}" height="{bar_height}" '
                   f'fill="{colour_for(label)}" rx="2"><title>{escape(label)}: {escape(text)}</title></rect>')
        out.append(f'<text x="{label_width + max(w, 0) + 6:.1f}" y="{y + bar_height * 0.68:.1f}" '
                   f'font-size="12" fill="{TEXT}">{escape(text)}</text>')
        if limits and label in limits:
            lo, hi = limits[label]
            for pct, mark in ((lo, "min"), (hi, "maks")):
                if pct is None:
                    continue
                x = label_width + float(pct) / 100 * plot
                out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" y2="{y + bar_height + 3}" '
                           f'stroke="{TEXT}" stroke-width="2" stroke-dasharray="3,2">'
                           f'<title>Batas {mark} {escape(_num(pct, 0))}%</title></line>')
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(points, *, title: str, width: int = 560, height: int = 220, decimals: int = 2) -> Markup:
    """A line over (label, value) points in order; None values leave a gap in the line."""
    points = [(str(label), None if v is None else float(v)) for label, v in points]
    values = [v for _, v in points if v is not None]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kinerja-chart" role="img" '
           f'viewBox="0 0 {width} {height}" width="100%" style="max-width: {width}px" '
           f'preserveAspectRatio="xMinYMin meet" '
           f'aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    if not values:
        out.append(f'<text x="4" y="20" font-size="13" fill="{TEXT}">Belum ada data.</text></svg>')
        return Markup("".join(out))
    left, right, top, bottom = 56, 20, 16, 34
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.1
    lo, hi = lo - pad, hi + pad
    plot_w = width - left - right
    plot_h = height - top - bottom
    n = len(points)

    def x_at(i):
        return left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    def y_at(v):
        return top + (hi - v) / (hi - lo) * plot_h

    for k in range(5):  # horizontal grid with value labels
        v = lo + (hi - lo) * k / 4
        y = y_at(v)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{TEXT}">'
                   f'{escape(_num(round(v, 1), 1))}</text>')
    segment: list[str] = []
    for i, (_label, v) in enumerate(points):
        if v is None:
            if len(segment) > 1:
                out.append(f'<polyline fill="none" stroke="#1e88e5" stroke-width="2.5" points="{" ".join(segment)}"/>')
            segment = []
            continue
        segment.append(f"{x_at(i):.1f},{y_at(v):.1f}")
    if len(segment) > 1:
        out.append(f'<polyline fill="none" stroke="#1e88e5" stroke-width="2.5" points="{" ".join(segment)}"/>')
    for i, (label, v) in enumerate(points):
        x = x_at(i)
        out.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="12" text-anchor="middle" fill="{TEXT}">'
                   f'{escape(label)}</text>')
        if v is None:
            continue
        shown = _num(round(Decimal(str(v)), decimals), decimals)
        out.append(f'<circle cx="{x:.1f}" cy="{y_at(v):.1f}" r="4" fill="#1e88e5">'
                   f'<title>{escape(label)}: {escape(shown)}</title></circle>')
        out.append(f'<text x="{x:.1f}" y="{y_at(v) - 8:.1f}" font-size="11" text-anchor="middle" '
                   f'fill="{TEXT}">{escape(shown)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
