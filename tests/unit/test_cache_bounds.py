"""Every cache the app keeps is bounded in bytes, not only in entries (issue 17: "check every cache's size bound in
bytes"). Lab-sized results go through ui/memo.py's byte budgets; Streamlit's own caches, bounded by entries only,
are kept for values known to be small at the largest settings, each listed here with the reason. A new
st.cache_data / st.cache_resource fails this test until it is listed (or moved to a budget): the Myths page's
measurements sat in st.cache_data(max_entries=64) and took 12.5 MB an entry at T = 2000, H = 64, D = 8, so a
server grew by 800 MB over a soak of new labs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = re.compile(r"^\s*@st\.cache_(data|resource)\b(.*)$")

# (file, function) -> why entries alone bound it (sizes measured at T = 2000, H = 64, D = 8)
ALLOWED = {
    ("ui/explore.py", "phase_grid"): "an n × n map of floats: 13 KB at n = 41; 16 entries",
    ("ui/explore.py", "length_sweeps"): "about 20 lengths per model: under 1 KB; 16 entries",
    ("ui/explore.py", "_clip_truncate"): "(T,) norms and the clip factors: 65 KB; 16 entries",
    ("ui/explore.py", "_jacobian"): "(T,) norms: 16 KB; 16 entries",
    ("ui/explore.py", "_seconds_per_step"): "one float per H",
    ("ui/text.py", "shipped_model"): "the one shipped character model",
    ("app_pages/myths.py", "_hand_built"): "measurements on hand-set weights, independent of the lab: 8 entries",
}


def caches() -> list[tuple[str, str, str]]:
    """(file, decorated function, decorator arguments) of every st.cache_data / st.cache_resource in app code."""
    found = []
    for folder in ("app.py", "app_pages", "ui", "charts", "lstm_core"):
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else [ROOT / folder]:
            lines = path.read_text().splitlines()
            for i, line in enumerate(lines):
                m = CACHE.match(line)
                if m:
                    name = next(re.match(r"\s*def (\w+)", x).group(1) for x in lines[i + 1:] if "def " in x)
                    found.append((str(path.relative_to(ROOT)), name, m.group(2)))
    return found


def test_every_streamlit_cache_is_listed_with_the_reason_entries_bound_it():
    found = caches()
    assert found, "no st.cache_data / st.cache_resource found at all: the scan is broken"
    unlisted = [(f, n) for f, n, _ in found if (f, n) not in ALLOWED]
    assert not unlisted, (f"{unlisted}: an entry-bounded cache; put lab-sized results in a ui/memo.py byte budget, "
                          "or list the function in ALLOWED with its size at the largest settings")


def test_every_listed_cache_has_an_entry_bound_or_a_ttl():
    for f, n, args in caches():
        if n != "shipped_model":  # one model, loaded once
            assert any(k in args for k in ("max_entries", "ttl", "CACHE")), (f, n, args)  # ui/explore.CACHE: 16
