"""Text lab: a character-level LSTM trained on Python code reads a text; colour the text by one unit (Karpathy's
view), find the unit that tracks strings or brackets, see the top next characters and the gates at any character,
how far back a prediction looks (connectivity), and sample from the model. Logic: ui/text.py; figures: charts/text.py.
"""

import streamlit as st

from charts.text import connectivity_figure, next_chars_bar, ranking_figure, unit_line
from lstm_core.codefeatures import FEATURE_HELP, FEATURES, QUANTITIES
from ui import presenter, widgets
from ui import text as tx

ss = st.session_state
st.caption(
    "A character-level LSTM reads the text below, one character at a time, and predicts each next one. Colour the "
    "text by one unit's cell or gate, find the unit that follows strings or brackets, and see what the model expects "
    "next at any character and how far back that prediction looks."
)

choices = tx.model_choices()
if len(choices) > 1:
    st.radio("Model", list(choices), format_func=choices.get, key="tl_model", horizontal=True)
try:
    model_key, model = tx.model_of(ss.get("tl_model", "shipped"))
except (OSError, ValueError, KeyError) as exc:
    st.error(f"The trained model could not be loaded: {exc}. Rebuild it with `python -m lstm_core.train --task chars`.",
             icon=":material/error:")
    st.stop()
st.caption(tx.model_caption(model_key, model))

tx.init_text(presenter.position())
c1, c2 = st.columns([1, 3])
c1.selectbox("Example", list(tx.EXAMPLES), format_func=lambda k: tx.EXAMPLES[k][0], key="tl_example",
             on_change=tx.load_example, help="Puts an example into the text box (your typing there is replaced).")
raw = c2.text_area("Text (type or paste up to 20,000 characters)", key="tl_text", height=180,
                   help="Any text: the model was trained on Python code, so code is what it reads best.")
text, warning = tx.usable_text(raw)
if warning:
    st.warning(warning, icon=":material/content_cut:")
if not text:
    st.info("Type or paste some text above (or pick an example) to see the model read it.", icon=":material/edit:")
    st.stop()

with st.spinner("Reading the text…"):
    rd = tx.reading(model_key, model, text)
rkey = tx.text_key(model_key, text)  # every figure below is built once per reading (and unit, character…)
T = len(text)

# ---- find the cell -------------------------------------------------------------------------------------------------
st.subheader("Find the cell")
if rd.features.problem:
    st.warning(f"Features end early: {rd.features.problem}. Correlations use the characters before that line.",
               icon=":material/warning:")
left, right = st.columns([1, 1.3])
with left:
    feature = st.selectbox("Feature of the text", FEATURES, key="tl_feature",
                           help="; ".join(f"{k}: {v}" for k, v in FEATURE_HELP.items()))
    st.caption(f"**{feature}**: {FEATURE_HELP[feature]} (computed with Python's `tokenize`). Units ranked by "
               "|Pearson r| between the feature and the unit's cell c or hidden state h over this text.")
    rows = tx.ranking_rows(rd, feature)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 300))
        st.button(f"Show the best unit for “{feature}”", icon=":material/target:", on_click=tx.jump_to_best,
                  args=(rd, feature), key="tl_jump")
    else:
        st.info(f"“{feature}” does not vary over this text, so no unit can correlate with it. Try a text with "
                "strings, comments or brackets.", icon=":material/info:")
with right:
    widgets.content_chart("text_ranking", lambda: ranking_figure(tx.best_per_feature(rd)), rkey,
                          key="tl_ranking", filename="text_lab_find_the_cell")

# ---- Karpathy's view -----------------------------------------------------------------------------------------------
st.subheader("The text, coloured by one unit")
tx.init_unit(rd, feature, model.H)
note = tx.init_position(text)
order = [row["unit"] for row in rd.ranking(feature)]
c1, c2 = st.columns([1.3, 2])
unit = c1.selectbox("Unit (ranked by |r| with the feature above)", order, format_func=tx.unit_label(rd, feature),
                    key="tl_unit")
quantity = c2.segmented_control("Colour by", list(QUANTITIES), key="tl_quantity",  # a phone: symbols only, to fit
                                format_func=str if widgets.on_phone() else tx.QUANTITY_LABELS.get,
                                help="c, h, g: red positive, blue negative, white 0. Gates i, f, o: white 0 to green 1."
                                ) or "c"
if note:
    st.caption(note)
t = ss["tl_pos"] - 1
st.html(tx.karpathy_html(model_key, rd, model, unit, quantity, t))
st.caption(f"Hover a character for the model's top 5 next characters and unit {unit + 1}'s values there; the "
           f"outlined character is #{t + 1}. Colour: unit {unit + 1}'s {tx.QUANTITY_LABELS[quantity]}"
           + (" (full colour at its largest |c| in this text)." if quantity == "c" else "."))

# ---- one character -------------------------------------------------------------------------------------------------
st.subheader("One character")
if T > 1:
    st.slider("Character", 1, T, key="tl_pos", help="Pick the character; or click a point in the chart below.")
t = ss["tl_pos"] - 1
widgets.content_chart("text_unit_line",
                      lambda: unit_line(rd.states(quantity)[:, unit], text, unit=unit, quantity=quantity, position=t),
                      rkey, unit, quantity, t, key="tl_line", filename="text_lab_unit",
                      on_select=lambda: tx.pick_from_chart("tl_line"), selection_mode="points")
d = tx.detail(rd, model, t, unit)
c1, c2 = st.columns([1.4, 1])
with c1:
    widgets.content_chart("text_next_chars", lambda: next_chars_bar(d.top, actual=d.next_char), d.top, d.next_char,
                          key="tl_next", filename="text_lab_next")
with c2:
    after = "the text ends here" if d.next_char is None else f"{tx.md_char(d.next_char)} really came next"
    st.markdown(f"**#{t + 1}** is {tx.md_char(d.char)}; {after}.")
    st.dataframe([{"quantity": tx.QUANTITY_LABELS[q], f"unit {unit + 1}": round(v, 4)} for q, v in d.values.items()],
                 hide_index=True, width="stretch")

# ---- connectivity --------------------------------------------------------------------------------------------------
st.subheader("How far back does the prediction look?")
norms = tx.connectivity(rd, model, d)
target = tx.md_char(model.vocab[d.target])
st.caption(f"Connectivity of the prediction after #{t + 1}: for every earlier character s, "
           f"‖∂ log p({target}) / ∂x_s‖, the size of the gradient of the log-probability of "
           + ("the character that came next" if d.next_char is not None else "the most likely next character")
           + " with respect to input s (one backward pass through time). Darker orange = larger, over the last four "
             "powers of ten; the outlined character is the one being predicted.")
st.html(tx.connectivity_html(rd, norms, t))
widgets.content_chart("text_connectivity", lambda: connectivity_figure(norms, text, t), rkey, norms, t,
                      key="tl_conn", filename="text_lab_connectivity")

# ---- sampling ------------------------------------------------------------------------------------------------------
st.subheader("Let the model write")
c1, c2, c3, c4 = st.columns([2.4, 1.2, 1.2, 1])
c1.text_input("Prompt", "def ", key="tl_prompt", help="The model reads this first, then continues it.")
c2.slider("Characters", 10, 1000, 300, step=10, key="tl_n")
c3.slider("Temperature", 0.1, 2.0, 0.8, step=0.1, key="tl_temp",
          help="Below 1: safer, more repetitive; above 1: more surprising, more mistakes.")
c4.number_input("Seed", 0, 2**31 - 1, 0, key="tl_seed", help="The same seed gives the same text.")
st.button("Sample", type="primary", icon=":material/edit_note:", key="tl_sample_button", on_click=tx.request_sample,
          args=(model_key, model))
sample = ss.get("tl_sample")
if sample and sample.get("model") == model_key:
    if "error" in sample:
        st.error(f"Can't sample: {sample['error']}", icon=":material/error:")
    else:
        st.caption(f"{sample['n']} characters at temperature {sample['temperature']:g}, seed {sample['seed']}, "
                   "after the prompt:")
        st.code(sample["prompt"] + sample["text"], language=None, wrap_lines=True)
