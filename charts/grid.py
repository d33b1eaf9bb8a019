"""A make_subplots cell spec that style.subplot_layout can cache on.

subplot_layout keys its cache on its arguments, and a ``specs`` grid holds dicts ({"colspan": 4},
{"secondary_y": True}), which cannot be hashed; ``Cell`` is such a dict that can (make_subplots sees a plain dict).
"""

from __future__ import annotations


class Cell(dict):
    """One cell of make_subplots' ``specs``, e.g. Cell(colspan=4), that hashes and compares by the items it was made
    with: make_subplots fills its defaults into the dicts it is given, and the cached key must not change with them."""

    def __init__(self, **spec):
        super().__init__(**spec)
        self._made_with = tuple(sorted(spec.items()))

    def __hash__(self) -> int:
        return hash(self._made_with)

    def __eq__(self, other) -> bool:
        return isinstance(other, Cell) and self._made_with == other._made_with
