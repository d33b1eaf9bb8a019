"""Import the heavy libraries completely before any page code runs.

Several sessions starting at once on a fresh server (a class opening the teacher's link) run their first scripts in
parallel threads. Plotly looks pandas up in ``sys.modules`` without importing it, so one session could see the
half-imported pandas of another ("partially initialized module 'pandas' has no attribute 'Series'"). Importing
both here, first in app.py and in every page (a fresh server's first deep link runs a page without app.py), makes
each thread wait on the import lock until they are complete. tests/e2e's "class arriving at once" test covers it.
"""

import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import plotly.io  # noqa: F401
