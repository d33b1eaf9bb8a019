"""ui.source parses each step function once per process, whatever the number of sessions rerunning at once.

Sessions rerun in threads of one server process; ``ast.parse`` on every rerun of the Cell walkthrough, in several
threads at once, ended reruns in "SystemError: AST constructor recursion depth mismatch" (CPython 3.11) under
bench/bench_class.py's simulated class.
"""

from __future__ import annotations

import ast
import threading

from lstm_core import lstm_step, lstm_step_backward
from ui import source


def test_many_threads_get_the_same_lines_from_one_parse_per_function(monkeypatch):
    parses = []
    real_parse = ast.parse

    def counting_parse(*args, **kwargs):
        parses.append(threading.get_ident())
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(source.ast, "parse", counting_parse)
    source.syntax_tree.cache_clear()
    source._assignment_lines.cache_clear()  # the lines found are kept per (function, names) too
    expected = {(fn, names): source.assignment_lines(fn, names)
                for fn, names in ((lstm_step, ("c",)), (lstm_step_backward, ("dc",)))}
    for (fn, names), lines in expected.items():  # the lines found do assign the name
        code = source.source_of(fn).splitlines()
        assert lines and any(code[n - 1].strip().startswith(f"{names[0]} =") for n in lines), (names, lines)
    results, errors = [], []

    def work():
        try:
            for _ in range(25):
                for fn, names in expected:
                    results.append(((fn, names), source.assignment_lines(fn, names)))
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is the test's failure
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(parses) == 2, f"ast.parse ran {len(parses)} times for two functions"
    assert len(results) == 8 * 25 * 2
    assert all(lines == expected[key] for key, lines in results)
    source.syntax_tree.cache_clear()
    source._assignment_lines.cache_clear()
