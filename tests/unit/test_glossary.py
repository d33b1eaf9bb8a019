"""The glossary defines every term the pages use without defining it in place, in plain text a tooltip can show."""

from __future__ import annotations

from ui.glossary import TERMS, markdown

REQUIRED = ("half-life", "decade", "spectral radius", "saturated", "Jacobian", "global norm", "dz", "probe")


def test_every_required_term_is_defined():
    for term in REQUIRED:
        assert len(TERMS[term]) > 60, term


def test_definitions_hold_no_latex_braces_and_the_markdown_lists_them_all():
    for term, text in TERMS.items():
        assert "{" not in text and "$" not in text, term  # tooltips and Markdown show these literally
    md = markdown()
    assert md.count("\n- ") == len(TERMS) - 1 and all(f"**{term}**" in md for term in TERMS)


def test_the_half_life_definition_matches_the_core():
    from lstm_core.analysis import memory_half_life

    assert "first falls to half" in TERMS["half-life"] and "Halving at every step gives 1" in TERMS["half-life"]
    assert memory_half_life([0.125, 0.25, 0.5, 1.0]) == 1
