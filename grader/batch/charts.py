"""Small inline-SVG charts for the batch summary: no JavaScript, no network, every label
escaped (student-derived text never reaches a chart unescaped)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def histogram_svg(labels: Sequence[str], counts: Sequence[int], *, title: str) -> Markup:
    """Vertical bars, one per bin, with the count above each bar and the label below."""
    width, height, pad, base = 560, 240, 36, 200
    n = max(1, len(counts))
    slot = (width - 2 * pad) / n
    top = max(1, *counts) if counts else 1
    parts = [
        f'<svg class="chart histogram" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><title>{escape(title)}</title>',
        f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#555"/>',
    ]
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        h = (base - 24) * count / top
        x = pad + i * slot
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{slot - 4:.1f}" height="{h:.1f}" '
            f'fill="#3b6ea8"><title>{escape(label)}: {count}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{base - h - 4:.1f}" font-size="12" '
                f'text-anchor="middle">{count}</text>'
            )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{base + 16}" font-size="12" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="{width / 2}" y="{height - 4}" font-size="12" text-anchor="middle" '
        f'fill="#555">score</text></svg>'
    )
    return Markup("".join(parts))


def bars_svg(labels: Sequence[str], fractions: Sequence[float], *, title: str) -> Markup:
    """Horizontal bars of fractions in [0, 1], labelled with the percentage."""
    row, label_w, bar_w = 26, 150, 340
    height = row * max(1, len(labels)) + 8
    width = label_w + bar_w + 60
    parts = [
        f'<svg class="chart bars" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><title>{escape(title)}</title>'
    ]
    for i, (label, frac) in enumerate(zip(labels, fractions, strict=True)):
        y = 4 + i * row
        colour = "#2e8b57" if frac >= 0.8 else "#d4a017" if frac >= 0.5 else "#c0392b"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="13" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row - 8}" fill="#eee"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * frac:.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 16}" font-size="13">{frac:.0%}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
