"""Shapes for figures made from dicts (style.figure) that style.py does not have: the lines and bands that
fig.add_hline, add_vline, add_vrect and add_hrect drew, and a line's label, as dicts for a layout's "shapes" /
"annotations"."""

from __future__ import annotations

from .style import axis_ref


def hline(y: float, line: dict, n: int = 1) -> dict:
    """A horizontal line at y across the whole width of subplot n (the shape add_hline draws)."""
    return dict(type="line", x0=0, x1=1, xref=f"{axis_ref('x', n)} domain", y0=y, y1=y, yref=axis_ref("y", n),
                line=line)


def vline(x: float, line: dict, n: int = 1) -> dict:
    """A vertical line at x over the whole height of subplot n (the shape add_vline draws)."""
    return dict(type="line", x0=x, x1=x, xref=axis_ref("x", n), y0=0, y1=1, yref=f"{axis_ref('y', n)} domain",
                line=line)


def line_label(y: float, text: str, n: int = 1, *, below_right: bool = False, **kwargs) -> dict:
    """The label of a horizontal line at y in subplot n: above it at the left, or below it at the right (what
    add_hline's annotation_position "top left" / "bottom right" make)."""
    return dict(text=text, showarrow=False, x=1 if below_right else 0, xanchor="right" if below_right else "left",
                xref=f"{axis_ref('x', n)} domain", y=y, yanchor="top" if below_right else "bottom",
                yref=axis_ref("y", n), **kwargs)


def vband(x0: float, x1: float, fill: str, n: int = 1, **kwargs) -> dict:
    """A band from x0 to x1 over the whole height of subplot n (the shape add_vrect draws, no outline)."""
    return dict(type="rect", x0=x0, x1=x1, xref=axis_ref("x", n), y0=0, y1=1, yref=f"{axis_ref('y', n)} domain",
                fillcolor=fill, line=dict(width=0), **kwargs)


def hband(y0: float, y1: float, fill: str, n: int = 1, **kwargs) -> dict:
    """A band from y0 to y1 across the whole width of subplot n (the shape add_hrect draws, no outline)."""
    return dict(type="rect", x0=0, x1=1, xref=f"{axis_ref('x', n)} domain", y0=y0, y1=y1, yref=axis_ref("y", n),
                fillcolor=fill, line=dict(width=0), **kwargs)
