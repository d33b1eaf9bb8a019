"""The core's step functions shown beside the numbers they produced: the source is read from the running function
with inspect.getsource (never a copy), and the lines that compute a chosen quantity are found in it with ast.

Each function's source is parsed once per process (``syntax_tree``, under a lock), not on every rerun: sessions
rerun in threads of one process, and ``ast.parse`` in several of them at once ended a class's reruns in
"SystemError: AST constructor recursion depth mismatch" on CPython 3.11 (bench/bench_class.py, 20 and 80 students;
it also broke Streamlit's own compilation of a page script running at that moment)."""

from __future__ import annotations

import ast
import functools
import inspect
import threading

import streamlit as st

from lstm_core import gru_step, gru_step_backward, lstm_step, lstm_step_backward, rnn_step, rnn_step_backward

# The quantities the Cell walkthrough offers, and the names the step functions' code gives them.
FORWARD_QUANTITIES = {"i": ("i",), "f": ("f",), "g": ("g",), "o": ("o",), "c": ("c",), "h": ("tanh_c", "h")}
BACKWARD_QUANTITIES = {"∂L/∂h": ("dh",), "∂L/∂c": ("dc",), "dz_i": ("dz_i",), "dz_f": ("dz_f",),
                       "dz_g": ("dz_g",), "dz_o": ("dz_o",)}
# The same for the GRU and the tanh RNN: (step function, quantities, the one picked first), forward and backward.
STEP_CODE = {
    ("lstm", False): (lstm_step, FORWARD_QUANTITIES, "c"),
    ("lstm", True): (lstm_step_backward, BACKWARD_QUANTITIES, "∂L/∂c"),
    ("gru", False): (gru_step, {"r": ("r",), "z": ("z",), "n": ("hn", "n"), "h": ("h",)}, "h"),
    ("gru", True): (gru_step_backward, {"∂L/∂h": ("dh",), "dz_n": ("dz_n",), "dz_z": ("dz_z",), "dz_r": ("dz_r",),
                                        "∂L/∂h_{t−1}": ("dz_rec", "dh_prev")}, "∂L/∂h_{t−1}"),
    ("rnn", False): (rnn_step, {"h": ("x_proj", "recurrent", "h")}, "h"),
    ("rnn", True): (rnn_step_backward, {"∂L/∂h": ("dh",), "dz": ("dz",), "∂L/∂h_{t−1}": ("dz_rec", "dh_prev")},
                    "∂L/∂h_{t−1}"),
}


@functools.lru_cache(maxsize=16)
def source_of(fn) -> str:
    """inspect.getsource(fn): the code the running function was compiled from."""
    return inspect.getsource(fn)


_PARSE = threading.Lock()


@functools.lru_cache(maxsize=16)
def syntax_tree(fn) -> ast.Module:
    """ast.parse(source_of(fn)), once per function (read only: ast.walk never changes it)."""
    with _PARSE:
        return ast.parse(source_of(fn))


def qualified_name(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def assignment_lines(fn, names) -> list[int]:
    """1-based numbers, within source_of(fn), of the lines of every statement in fn that assigns one of ``names``
    (``x = …``, ``a, x = …``, ``x += …``), in source order."""
    return list(_assignment_lines(fn, tuple(names)))


@functools.lru_cache(maxsize=64)
def _assignment_lines(fn, names: tuple[str, ...]) -> tuple[int, ...]:  # walked once per (function, names)
    wanted = set(names)
    lines = set()
    for node in ast.walk(syntax_tree(fn)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        assigned = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if assigned & wanted:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return tuple(sorted(lines))


def _line_ranges(lines: list[int]) -> str:
    """[3, 4, 9] -> 'lines 3–4, 9'."""
    runs, start = [], None
    for k, n in enumerate(lines):
        if start is None:
            start = n
        if k + 1 == len(lines) or lines[k + 1] != n + 1:
            runs.append(str(start) if start == n else f"{start}–{n}")
            start = None
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(runs)


def step_code(fn, names=(), *, label: str = "", listing=None) -> None:
    """Show the lines of fn that assign ``names`` (what ``label`` computes), named by their line numbers, then fn's
    whole source with line numbers, in ``listing`` (a container; None = right here)."""
    source = source_of(fn)
    lines = assignment_lines(fn, names) if names else []
    if lines:
        text = source.splitlines()
        st.markdown(f"**{label}** is computed on {_line_ranges(lines)} of `{fn.__name__}`:")
        st.code("\n".join(text[n - 1].strip() for n in lines), language="python", wrap_lines=True)
    with listing if listing is not None else st.container():
        st.caption(f"`{qualified_name(fn)}`, the function that computed these numbers, read from the running code:")
        st.code(source, language="python", line_numbers=True, wrap_lines=True)


def cell_step_code(backward: bool, *, listing, model: str = "lstm") -> None:
    """The Cell walkthrough's "The code that computed this": a quantity picker and the lines of the step function
    (``model``'s, 'lstm' | 'gru' | 'rnn': forward, or its backward step) that compute it here, the whole function in
    ``listing``."""
    fn, quantities, first = STEP_CODE[(model, backward)]
    st.markdown("**The code that computed this**")
    suffix = "" if model == "lstm" else f"_{model}"  # each model's picker keeps its own choice
    q = st.pills(
        "Quantity to find in the code", list(quantities), default=first,
        key=("cell_code_backward" if backward else "cell_code_forward") + suffix,
        help="The lines of the step function that compute this quantity; the whole function is shown below.",
    ) or first
    step_code(fn, quantities[q], label=q, listing=listing)


def carried_back_code() -> None:
    """Gradient flow's "The code behind the curves": one BPTT step of each model (and the RNN's step forward),
    the lines that send the gradient on to step t − 1 first."""
    with st.expander("The code behind the curves: one step back in each model"):
        st.caption("Along the cell the LSTM sends ∂L/∂c back multiplied by f alone (dc_prev); through h it sends "
                   "W_hhᵀ dz (dh_prev). The RNN has only the path through h: 1 − h², then W_hhᵀ, at every step (dz, "
                   "dh_prev). These are the functions the curves above were computed with.")
        lstm_col, rnn_col = st.columns(2)
        listings = st.tabs(["LSTM: lstm_step_backward", "tanh RNN: rnn_step_backward", "tanh RNN: rnn_step"])
        with lstm_col:
            step_code(lstm_step_backward, ("dz_rec", "dh_prev", "dc_prev"), label="What reaches step t − 1",
                      listing=listings[0])
        with rnn_col:
            step_code(rnn_step_backward, ("dz", "dz_rec", "dh_prev"), label="What reaches step t − 1",
                      listing=listings[1])
        step_code(rnn_step, listing=listings[2])
