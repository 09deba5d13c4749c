"""Small inline SVG charts for the HTML report: no scripts, no fonts or files
fetched, so the page renders the same offline."""

from html import escape


def bar_chart(labels, values, width=720, bar_height=18, unit=""):
    """Horizontal bars, one per label, scaled to the largest value."""
    top = max(values) if values and max(values) > 0 else 1
    label_w, gap = 220, 4
    height = len(values) * (bar_height + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, v) in enumerate(zip(labels, values)):
        y = gap + i * (bar_height + gap)
        w = (width - label_w - 90) * v / top
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_height - 5}" text-anchor="end" font-size="12">'
                     f'{escape(str(label)[:32])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="#4a78b5"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height - 5}" font-size="12">{v:,.0f}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def scatter(points, x_label, y_label, width=360, height=260):
    """Points (x, y, label) with axes from their ranges."""
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 0.01
    left, bottom, pad = 50, 40, 14

    def sx(x):
        return left + (width - left - pad) * (x - x0) / (x1 - x0)

    def sy(y):
        return height - bottom - (height - bottom - pad) * (y - y0) / (y1 - y0)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - pad}" y2="{height - bottom}" stroke="#444"/>',
             f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - bottom}" stroke="#444"/>',
             f'<text x="{(width + left) / 2}" y="{height - 8}" text-anchor="middle" font-size="12">{escape(x_label)}</text>',
             f'<text x="12" y="{(height - bottom) / 2}" font-size="12" transform="rotate(-90 12,{(height - bottom) / 2})" '
             f'text-anchor="middle">{escape(y_label)}</text>',
             f'<text x="{left}" y="{height - bottom + 14}" font-size="10">{x0:,.4g}</text>',
             f'<text x="{width - pad}" y="{height - bottom + 14}" font-size="10" text-anchor="end">{x1:,.4g}</text>',
             f'<text x="{left - 4}" y="{height - bottom}" font-size="10" text-anchor="end">{y0:.4g}</text>',
             f'<text x="{left - 4}" y="{pad + 8}" font-size="10" text-anchor="end">{y1:.4g}</text>']
    for x, y, label in points:
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="#c0504d"><title>{escape(label)}</title></circle>')
        # Labels to the left of points in the right half, so they stay on the canvas.
        right = sx(x) > width / 2
        parts.append(f'<text x="{sx(x) + (-6 if right else 6):.1f}" y="{sy(y) - 6:.1f}" font-size="10" '
                     f'text-anchor="{"end" if right else "start"}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
