"""Messages that repeat a user's text (a file name, a key, a CSV header, a typed cell), made inert for Streamlit.

st.success / st.error / st.warning / st.caption render their text as Markdown: links, images (which the browser
fetches from any address), colours ``:red[…]``, icons, KaTeX ``$…$``, bare URLs. A file named
``[x](http://host/)![i](http://host/i.png).csv`` must appear as those characters, so every message that holds a
user's text goes through ``inert`` before it is shown, and also messages of ours that quote one (lstm_core's errors).
No Streamlit import: these are pure functions of text (a callback's message reaches its section through
ui.state.flash and ui.widgets.flashed).
"""

from __future__ import annotations

import re

from lstm_core.validate import shorten

MESSAGE_CHARS = 600  # longest message shown (lstm_core's are shorter; this is the guarantee)
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character: CommonMark escapes them all
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u2060]+")
# GFM's bare-URL links (http://…, www.…, a@b.c, mailto:…) are found in the text after escapes are resolved, so a
# backslash does not stop them: an invisible WORD JOINER (U+2060) after ':' and '@' and inside 'www.' does.
_AUTOLINK = re.compile(r"(:|@|(?<![^\W_])www(?=\.))", re.IGNORECASE)
JOINER = "\u2060"


def inert(text, limit: int = MESSAGE_CHARS) -> str:
    """``text`` as Markdown that shows its characters: cut to ``limit`` (with "…"), line breaks and other control
    characters as one space, every ASCII punctuation character backslash-escaped (so nothing in it starts a link, an
    image, emphasis, code, a colour, an icon, a formula or a heading) and a WORD JOINER where a bare URL would
    become a link."""
    joined = _AUTOLINK.sub(lambda m: m.group(0) + JOINER, _CONTROL.sub(" ", shorten(text, limit)))
    return _PUNCTUATION.sub(r"\\\1", joined)


def file_name(name: str) -> str:
    """An uploaded file's name for a message: at most 60 characters, inert."""
    return inert(name, limit=60)
