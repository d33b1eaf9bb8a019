"""The glossary: one short definition per term the app uses, shown in the sidebar on every page and reused by the
``help=`` tooltips that name a term (one place per definition). Text only; no Streamlit import."""

from __future__ import annotations

TERMS: dict[str, str] = {
    "half-life": "How many steps back from the last step a gradient's norm first falls to half its value at the "
                 "last step (or below). Halving at every step gives 1. The norm may rise again further back.",
    "decade": "A factor of 10, one order of magnitude. The log₁₀ of a ratio counts decades: −3 decades is a "
              "thousandth, +4 decades is 10 000 times.",
    "spectral radius": "ρ, the largest |eigenvalue| of a square matrix such as W_hh: the factor by which "
                       "multiplying by it again and again stretches a vector in the long run (about ρᵏ after k "
                       "steps). One single step can stretch more: up to the largest singular value.",
    "saturated": "A sigmoid gate near 0 or 1 (here below 0.05 or above 0.95), or tanh near ±1 (|g| above 0.9). Its "
                 "slope is then small (σ(1 − σ) below 0.048, against 0.25 at σ = 0.5), so little gradient passes "
                 "through it to its inputs and weights.",
    "Jacobian": "The matrix of all partial derivatives of one vector with respect to another, e.g. ∂hₜ/∂hₜ₋₁ "
                "(H × H). Backpropagation through many steps multiplies their Jacobians; the spectral norm "
                "(largest singular value) of the product is the most it can stretch any gradient.",
    "global norm": "‖∇θ‖ = the square root of the sum of the squares of every parameter gradient (weight_ih, "
                   "weight_hh, bias_ih, bias_hh) taken as one long vector. Clipping by global norm multiplies all "
                   "of them by one factor, c / ‖∇θ‖, when ‖∇θ‖ is above the threshold c.",
    "dz": "dzₜ = ∂L/∂zₜ, the gradient of the gate pre-activations zₜ = [z_i; z_f; z_g; z_o] at step t (the "
          "values before σ and tanh). BPTT sends W_hhᵀ dzₜ₊₁ back to hₜ, and sums dzₜ xₜᵀ and dzₜ hₜ₋₁ᵀ "
          "over the steps into the weight gradients.",
    "probe": "A loss that reads a single unit k of the last hidden state, L = h_T[k] (so ∂L/∂h_T is 1 at unit k "
             "and 0 elsewhere): it measures how much each earlier step can still move that one unit.",
    "error carousel": "The cell path cₜ₋₁ → cₜ. Along it BPTT multiplies the gradient only by the forget gate: "
                      "∂L/∂cₜ₋₁ receives fₜ ⊙ ∂L/∂cₜ, so over many steps the product ∏ f. It is a constant "
                      "error carousel only when f ≡ 1 (the 1997 LSTM, without a forget gate).",
    "BPTT": "Backpropagation through time: ordinary backpropagation through the network unrolled over its T steps. "
            "Truncated BPTT with window k sends no gradient further back than k steps.",
}


def markdown() -> str:
    """The whole glossary as a Markdown list, terms in bold, in the order of TERMS."""
    return "\n".join(f"- **{term}**: {text}" for term, text in TERMS.items())


# What a large study found about the 1997 LSTM's missing piece, shown wherever the app offers or describes that model.
GREFF_2017 = (
    "Greff et al. 2017 (*LSTM: A Search Space Odyssey*) compared eight variants of the LSTM on speech, handwriting "
    "and music: none improved significantly on the vanilla LSTM; the forget gate and the output activation were its "
    "most critical parts, while coupling the input and forget gates or removing the peepholes did not significantly "
    "hurt. (This app's LSTM has no peepholes, like PyTorch's `nn.LSTM`.)"
)
