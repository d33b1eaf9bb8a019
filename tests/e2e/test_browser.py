"""The app in a real browser (Debian's chromium, driven by playwright): every page loads cleanly, the step slider and
the Play button move the cell's values, the forget-bias knob redraws the gradient chart (latency printed), deep
links open with their settings (also as the very first request of a fresh server), a class opening the app at once
on a fresh server gets working pages, weight files upload (a valid one changes what every page shows, a malformed
one shows an error and changes nothing), and the CSV download parses.

Expected numbers come from lstm_core directly, so these tests check what a student actually sees on screen.
"""

from __future__ import annotations

import re
import statistics
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from playwright.sync_api import expect

from lstm_core import io
from lstm_core.analysis import first_last_ratio, grad_norms
from lstm_core.frame import COLUMNS
from lstm_core.lstm import lstm_preactivations
from lstm_core.params import LSTMParams
from lstm_core.presets import PRESETS
from tests.e2e.browser import PAGE_HEADINGS, fmt3, new_app
from tests.helpers import DEFAULT, default_run
from ui import routes
from ui.equations import forward_latex


def cell_latex(trace, z, step: int, unit: int = 0) -> list[str]:
    """What the cell page passes to st.latex for this step (one block, or one per line)."""
    tex = forward_latex(trace, z, step, unit)
    return [tex] if isinstance(tex, str) else list(tex)


def diagram_labels(app) -> dict[str, str]:
    """The cell diagram's value labels as {name: value text}, e.g. {"f": "0.731", "ct": "0.260", "step t": "1 of 40"}
    (subscripts run into the name: c_t is "ct", h_t is "ht")."""
    out = {}
    for text in app.chart_texts("cell_diagram"):
        text = text.replace("\u200b", "")  # plotly puts zero-width spaces around <sub> parts
        if " = " in text:
            name, _, value = text.partition(" = ")
            out[name.strip()] = value.strip()
    return out


def shown_step(app) -> int:
    """The step t printed inside the cell diagram ("step t = 12 of 40")."""
    return int(diagram_labels(app)["step t"].split(" of ")[0])


# ---- every page ---------------------------------------------------------------------------------------------------

def test_every_page_opens_by_its_link_without_errors(app):
    """Every page the router lists (new ones included) opens from its own URL as a new session, cleanly; the four
    core pages also show their heading and their main chart. Screenshots: artifacts/e2e/page-*.png."""
    app.open("/")
    links = app.page.locator("[data-testid=stSidebarNav] a").evaluate_all(
        "els => els.map(a => [a.href, a.querySelector('[data-testid=stMarkdownContainer]').innerText.trim()])")
    assert len(links) >= len(PAGE_HEADINGS), links
    for href, title in links:
        path = urlsplit(href).path
        app.open(path, heading=PAGE_HEADINGS.get(path, ""))
        expect(app.page.locator("[data-testid=stSidebarNav] a[aria-current=page] [data-testid=stMarkdownContainer]")
               ).to_have_text(title)
        if path in MAIN_CHART:
            app.chart(MAIN_CHART[path]).wait_for()
            assert app.query()["T"] == "40", "the URL describes the view"
        assert app.page.locator("[data-testid=stMain] [data-testid=stElementContainer]").count() > 0, title
        app.assert_healthy()
        name = "page-" + (path.strip("/") or "cell")
        app.screenshot(name)
        app.screenshot(f"{name}-full", full_page=True)


def test_the_app_needs_no_internet(app):
    """A classroom network may have no internet access: nothing the app loads (tab icon, fonts, scripts, images)
    comes from another host, and the tab icon is the app's own file."""
    outside = []

    def record(req):
        if not req.url.startswith((app.server.base, "data:", "blob:")):
            outside.append(req.url)

    app.page.on("request", record)
    try:
        for path in ("/", "/gradients", "/explorer"):
            app.open(path)
            app.page.wait_for_load_state("networkidle")
        icons = app.page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)")
    finally:
        app.page.remove_listener("request", record)
    assert icons and all(href.startswith(app.server.base + "/") for href in icons), icons
    assert not outside, f"requests to other hosts: {outside}"


MAIN_CHART = {"/": "cell_diagram", "/gates": "gate_heatmaps", "/gradients": "grad_flow", "/weights": "wp_input_lines"}


# ---- the cell walkthrough -----------------------------------------------------------------------------------------

def test_step_slider_changes_the_cell_values(app):
    p, trace, _ = default_run()
    z = lstm_preactivations(p, trace)
    app.open("/")
    labels = diagram_labels(app)
    assert labels["step t"] == "1 of 40"
    assert (labels["f"], labels["i"], labels["g"], labels["o"]) == tuple(fmt3(getattr(trace, q)[0, 0]) for q in "figo")
    assert app.latex_sources() == cell_latex(trace, z, 0)

    ms = app.press_slider("t", "ArrowRight")
    app.page.wait_for_function("() => document.querySelector('.st-key-t input[type=range]').value === '2'")
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 2 of 40").wait_for()
    assert diagram_labels(app)["f"] == fmt3(trace.f[1, 0])
    assert app.latex_sources() == cell_latex(trace, z, 1)
    assert app.query()["t"] == "2", "the step is kept in the URL"

    app.press_slider("t", "End")
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 40 of 40").wait_for()
    labels = diagram_labels(app)
    assert (labels["ct"], labels["ht"]) == (fmt3(trace.c[39, 0]), fmt3(trace.h[39, 0]))
    assert app.latex_sources() == cell_latex(trace, z, 39)
    assert app.query()["t"] == "40"
    app.assert_healthy()
    app.screenshot("cell-step-40")
    print(f"\n[e2e] step slider -> cell rerun: {ms:.0f} ms")


def test_play_animates_the_cell_in_the_browser(app):
    _, trace, _ = default_run()
    app.open("/")
    runs = app.runs_finished()
    play = app.chart("cell_diagram").locator(".updatemenu-button", has_text=re.compile("Play|▶"))
    pause = app.chart("cell_diagram").locator(".updatemenu-button", has_text=re.compile("Pause|❚❚"))
    play.click()
    app.page.wait_for_function(
        """() => [...document.querySelectorAll('.st-key-cell_diagram g.textpoint text')]
                 .some(e => /step t = ([5-9]|[1-9][0-9]) of 40/.test(e.textContent))""")
    assert not app.errors, app.errors
    pause.click()
    step = shown_step(app)
    app.page.wait_for_timeout(500)  # an observation window (≈ 6 frames): a paused animation must stay put
    assert shown_step(app) == step, "Pause stops the animation"
    assert 5 <= step <= 40
    labels = diagram_labels(app)
    # the frame shows that step's own values, not just a new step number
    assert (labels["f"], labels["ct"], labels["ht"]) == tuple(fmt3(getattr(trace, q)[step - 1, 0]) for q in "fch")
    assert app.runs_finished() == runs, "playing is client-side: no server rerun"
    # plotly.js rejects the promise of an animation that Pause interrupts, with no reason: harmless, not ours
    app.errors = [e for e in app.errors if e != "undefined"]
    app.assert_healthy()
    app.screenshot("cell-paused-after-play")


def test_csv_download_parses_with_pandas(app, tmp_path):
    _, trace, grads = default_run()
    app.open("/")
    with app.page.expect_download() as info:
        app.page.locator(".st-key-cell_csv button:visible").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    frame = pd.read_csv(path)
    assert tuple(frame.columns) == COLUMNS
    assert set(frame["quantity"]) >= {"x", "i", "f", "g", "o", "c", "h", "dL/dh", "dL/dc"}
    for quantity, want in (("f", trace.f), ("h", trace.h), ("dL/dc", grads.dc)):
        rows = frame[frame["quantity"] == quantity].pivot(index="step", columns="unit", values="value")
        assert rows.index.tolist() == list(range(1, 41))
        np.testing.assert_allclose(rows.to_numpy(), want, rtol=1e-12, atol=0)
    app.assert_healthy()


# ---- gradient flow: the forget-bias knob ----------------------------------------------------------------------------

def test_forget_bias_redraws_the_gradient_chart(app):
    app.open("/gradients")
    app.chart("grad_flow").wait_for()
    lines0 = app.chart_lines("grad_flow")
    assert app.slider("fb").is_disabled(), "the knob is off until its toggle is on"
    app.rerun(lambda: app.page.locator(".st-key-fb_on label").click())
    app.page.wait_for_function("() => !document.querySelector('.st-key-fb input[type=range]').disabled")
    assert app.slider_value("fb") == 1.0
    ratio = app.page.locator("[data-testid=stMetric]").filter(has_text="LSTM ‖∂L/∂c₁‖").locator(
        "[data-testid=stMetricValue]")

    latencies, redraws, value = [], [], 1.0
    for key in ["ArrowRight"] * 4 + ["ArrowLeft"] * 2:  # b_f: 1.0 -> 3.0 -> 2.0, in steps of 0.5
        before = app.chart_lines("grad_flow")
        app.page.evaluate("""() => {  // note when the chart's lines first differ from now (checked every frame)
            const el = () => [...document.querySelectorAll('.st-key-grad_flow path.js-line')].map(p => p.getAttribute('d')).join('|');
            const s = window.__e2e, base = el(); s.chartAt = 0;
            const tick = () => { if (el() !== base) { s.chartAt = performance.now(); } else { requestAnimationFrame(tick); } };
            requestAnimationFrame(tick);
        }""")
        latencies.append(app.press_slider("fb", key))
        value += 0.5 if key == "ArrowRight" else -0.5
        app.page.wait_for_function("() => window.__e2e.chartAt > 0")
        redraws.append(app.page.evaluate("window.__e2e.chartAt - window.__e2e.inputAt"))
        assert app.chart_lines("grad_flow") != before
        assert app.slider_value("fb") == value

    # the chart and the metric now show b_f = 2.0, computed by the core
    _, _, grads = default_run(forget_bias=2.0)
    want = f"{first_last_ratio(grad_norms(grads)['dc']):.2e}"
    app.page.wait_for_function("want => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                               ".some(e => e.textContent.trim() === want)", arg=want)
    assert ratio.inner_text().strip() == want
    assert app.chart_lines("grad_flow") != lines0
    assert app.query()["fb_on"] == "1" and float(app.query()["fb"]) == 2.0, "the knob is kept in the URL"
    app.assert_healthy()
    app.screenshot("gradients-forget-bias-2")
    print(f"\n[e2e] forget-bias slider -> gradient chart redrawn: "
          f"median {statistics.median(redraws):.0f} ms, max {max(redraws):.0f} ms over {len(redraws)} changes; "
          f"-> script idle: median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms")


# ---- deep links -----------------------------------------------------------------------------------------------------

DEEP = {"preset": "preserved_lstm", "D": 3, "H": 5, "T": 55, "seed": 9, "input": "sine", "t": 12}


def check_deep_link_view(app) -> None:
    """The sidebar and the page show DEEP's settings, the URL keeps them, no note or error."""
    page = app.page
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.locator(".st-key-preset input")).to_have_value(PRESETS["preserved_lstm"].title)
    for key in ("D", "H", "seed"):
        expect(app.number_input(key)).to_have_value(str(DEEP[key]))
    expect(app.mirror("T_box")).to_have_value(str(DEEP["T"]))
    expect(app.slider("T")).to_have_value("55")
    expect(app.slider("t")).to_have_value("12")
    expect(app.slider("t")).to_have_attribute("max", "55")
    app.chart("gate_heatmaps").wait_for()
    assert app.path() == "/gates"
    assert {k: app.query().get(k) for k in DEEP} == {k: str(v) for k, v in DEEP.items()}
    assert sidebar.locator("[data-testid=stAlert]").count() == 0, "a valid link gives no notes"
    app.assert_healthy()


def test_deep_link_is_the_first_request_of_a_fresh_server(fresh_app):
    """The very first request after a server start reaches /gates with every setting of the link (the pages live in
    app_pages/: Streamlit's legacy routing of a pages/ folder, active until some session has run st.navigation,
    never applies)."""
    fresh_app.open("/gates", DEEP)
    check_deep_link_view(fresh_app)
    fresh_app.screenshot("deep-link-first-request")


def test_a_class_arriving_at_once_on_a_fresh_server(browser, fresh_server):
    """Right after a server start, several students open different pages at the same moment: every one of them
    gets a working page (no exception box), whatever order the sessions' first imports run in."""
    paths = ["/", "/gates", "/gradients", "/weights", "/gates", "/gradients"]
    apps = [new_app(browser, fresh_server) for _ in paths]
    try:
        for a, path in zip(apps, paths):  # start every navigation at once (goto would wait for each response)
            a.page.evaluate("url => { location.href = url; }", fresh_server.url(path))
        for a, path in zip(apps, paths):
            a.ready(path)
            a.chart(MAIN_CHART[path]).wait_for()
            a.assert_healthy()
    finally:
        for a in apps:
            a.page.context.close()


def test_deep_link_on_a_running_server(app):
    app.open("/gates", DEEP)
    check_deep_link_view(app)


def test_the_default_pages_own_path_opens_it_with_the_links_settings(app):
    """/cell (the default page's route path, typed or shared) opens the cell walkthrough at "/" with the link's
    settings, not Streamlit's "Page not found"."""
    app.goto(f"/{routes.DEFAULT.path}", {"T": 33, "seed": 4})
    app.ready("/")
    app.page.wait_for_url(re.compile(r"/\?"))
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 1 of 33").wait_for()
    assert app.path() == "/" and app.query()["T"] == "33" and app.query()["seed"] == "4"
    app.assert_healthy()


def test_out_of_range_link_values_get_a_visible_note(app):
    app.open("/gradients", {"T": 999999, "H": 0})
    notes = app.page.locator("[data-testid=stSidebar] [data-testid=stAlert]").all_inner_texts()
    assert any("T=999999" in n for n in notes) and any("H=0" in n for n in notes), notes
    assert app.query()["T"] == "2000" and app.query()["H"] == "1"
    app.chart("grad_flow").wait_for()
    app.assert_healthy()
    app.screenshot("deep-link-out-of-range")


# ---- uploads ------------------------------------------------------------------------------------------------------

def recognisable_lstm() -> LSTMParams:
    """Zero weights, forget bias +3, other biases 0: every step shows i = o = 0.500, f = σ(3) = 0.953, g = 0."""
    H, D = DEFAULT["H"], DEFAULT["D"]
    bias = np.zeros(4 * H)
    bias[H:2 * H] = 3.0  # rows in PyTorch's gate order i, f, g, o
    return LSTMParams(np.zeros((4 * H, D)), np.zeros((4 * H, H)), bias, np.zeros(4 * H))


def upload(app, key: str, path) -> None:
    app.rerun(lambda: app.page.locator(f".st-key-{key} input[type=file]").set_input_files(str(path)))


def test_weight_uploads_valid_changes_every_page_malformed_shows_an_error(app, tmp_path):
    _, trace, _ = default_run()
    app.open("/")
    before = diagram_labels(app)
    assert before["f"] == fmt3(trace.f[0, 0]) != "0.953"

    # a valid .npz state_dict: the cell diagram (another page, same session) now shows its values
    good = tmp_path / "recognisable_lstm.npz"
    good.write_bytes(io.to_npz_bytes(recognisable_lstm()))
    app.nav("Inputs and weights")
    upload(app, "wp_weights_file_lstm", good)
    loaded = app.page.locator("[data-testid=stAlert]", has_text="Loaded recognisable_lstm.npz")
    loaded.wait_for()
    loaded.scroll_into_view_if_needed()
    app.assert_healthy()
    app.screenshot("weights-uploaded")
    app.nav("Cell walkthrough")
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="f = 0.953").wait_for()
    labels = diagram_labels(app)
    assert (labels["f"], labels["i"], labels["g"], labels["o"]) == ("0.953", "0.500", "0.000", "0.500")
    _, uploaded, _ = default_run(params=recognisable_lstm())
    assert labels["ht"] == fmt3(uploaded.h[0, 0])

    # malformed files: an error naming the file, the app keeps working with the uploaded weights
    bad_json = tmp_path / "broken.json"
    bad_json.write_text('{"weight_ih_l0": [[0.1, 0.2], [0.3')
    wrong_size = tmp_path / "wrong_size.npz"
    wrong_size.write_bytes(io.to_npz_bytes(LSTMParams(np.zeros((12, 2)), np.zeros((12, 3)), np.zeros(12), np.zeros(12))))
    app.nav("Inputs and weights")
    for path in (bad_json, wrong_size):
        upload(app, "wp_weights_file_lstm", path)
        error = app.page.locator("[data-testid=stAlert]", has_text=f"Could not load {path.name}")
        error.wait_for()
        assert "previous weights are kept" in error.inner_text()
        error.scroll_into_view_if_needed()
        app.assert_healthy()
        app.screenshot(f"weights-upload-error-{path.stem}")
    app.nav("Cell walkthrough")
    assert diagram_labels(app)["f"] == "0.953", "a refused file changes nothing"
    app.press_slider("t", "ArrowRight")  # and the app still responds
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 2 of 40").wait_for()
    assert diagram_labels(app)["ht"] == fmt3(uploaded.h[1, 0])
    app.assert_healthy()
