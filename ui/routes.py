"""The app's pages, as data: the one table that app.py routes by and that the lessons, the tests and the benchmarks
read. No Streamlit import.

Adding a page: write ``app_pages/<name>.py`` (its figures in ``charts/<name>.py`` if it draws new ones) and add one
``Route`` row below. app.py then lists it in the navigation and draws its heading, lesson steps may name it
(``page: <name>``), and the test suites open it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The shared controls a page may draw itself, besides the sidebar's (preset, D, H, T, seed, input):
STEP = "step"  # the step slider and buttons, bound to the shared step t
LENGTH = "length"  # a sequence-length slider, bound to the shared T
KNOBS = "knobs"  # the weight knobs: forget bias, spectral radius, weight scale
SHARED_CONTROLS = (STEP, LENGTH, KNOBS)


@dataclass(frozen=True)
class Route:
    """One page. ``path`` is its URL path and the name lesson steps use for it; the default page is served at "/"
    (and at "/<path>" through an alias). ``controls``: which SHARED_CONTROLS the page draws. ``lesson_controls``:
    the page's own widgets (by key) that a lesson step may set; their valid values are ui.presenter's."""

    path: str
    title: str  # in the navigation
    icon: str
    file: str  # the page script, relative to the repository root
    heading: str = ""  # the page's heading (app.py draws it above the page); empty: the title
    controls: tuple[str, ...] = ()
    lesson_controls: tuple[str, ...] = ()
    default: bool = False

    @property
    def header(self) -> str:
        return self.heading or self.title

    @property
    def url(self) -> str:
        """The URL path a browser opens: "/" for the default page."""
        return "/" if self.default else f"/{self.path}"


ROUTES = (
    Route("lessons", "Lessons", ":material/school:", "app_pages/lessons.py"),
    Route("cell", "Cell walkthrough", ":material/biotech:", "app_pages/cell.py", controls=(STEP,),
          lesson_controls=("cell_mode",), default=True),
    Route("gates", "Gates over time", ":material/stacked_line_chart:", "app_pages/gates.py", controls=(STEP,)),
    Route("gradients", "Gradient flow", ":material/trending_down:", "app_pages/gradients.py",
          heading="Gradient flow: LSTM vs tanh RNN", controls=(LENGTH, KNOBS)),
    Route("weights", "Inputs and weights", ":material/tune:", "app_pages/weights.py", controls=(KNOBS,)),
    Route("explorer", "Gradient explorer", ":material/grid_on:", "app_pages/explorer.py", controls=(KNOBS,),
          lesson_controls=("ex_view", "ex_clip_on", "ex_tbptt_on")),
    Route("myths", "Myths vs. measurements", ":material/fact_check:", "app_pages/myths.py"),
    Route("training", "Training lab", ":material/model_training:", "app_pages/training.py",
          lesson_controls=("tr_model", "tr_gap", "tr_fb")),
    Route("text", "Text lab", ":material/code:", "app_pages/text.py",
          lesson_controls=("tl_example", "tl_feature", "tl_quantity")),
)
PATHS = tuple(route.path for route in ROUTES)
DEFAULT = next(route for route in ROUTES if route.default)


def by_path(path: str) -> Route:
    """The route whose ``path`` is ``path`` (KeyError for none)."""
    for route in ROUTES:
        if route.path == path:
            return route
    raise KeyError(f"no page {path!r}; pages: {', '.join(PATHS)}")


def _check() -> None:
    """The table's own rules (checked at import: a bad row stops the app at once, with the reason)."""
    if len(set(PATHS)) != len(PATHS) or sum(route.default for route in ROUTES) != 1:
        raise ValueError("ui/routes.py: every path must be unique, and exactly one route the default")
    for route in ROUTES:
        if not (ROOT / route.file).is_file():
            raise ValueError(f"ui/routes.py: {route.path!r} names {route.file}, which does not exist")
        unknown = set(route.controls) - set(SHARED_CONTROLS)
        if unknown:
            raise ValueError(f"ui/routes.py: {route.path!r} names unknown shared controls {sorted(unknown)}")
    keys = [key for route in ROUTES for key in route.lesson_controls]
    if len(set(keys)) != len(keys):
        raise ValueError("ui/routes.py: a lesson control belongs to one page only")


_check()
