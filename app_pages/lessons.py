"""Lessons: six guided lessons for one class. Each step loads its preset and page and shows, above the page, the
text to read aloud, what to point at and a question for the class. The lessons are files in assets/lessons/."""

import streamlit as st

from ui import presenter

lessons, errors = presenter.catalogue()
total = sum(lesson.minutes or 0 for lesson in lessons)
st.caption(
    f"{len(lessons)} guided lessons" + (f", about {total} minutes in all" if total else "") + ". Each step opens "
    "its own page and settings and shows, above the page, a sentence or two to read aloud, what to point at, and a "
    "question for the class. **Present** starts in presenter mode: larger type, no controls, back / next only."
)
for err in errors:
    st.error(f"This lesson file can't be used — {err}", icon=":material/error:")
if not lessons and not errors:
    st.info("No lesson files found (assets/lessons/*.md).")

for number, lesson in enumerate(lessons, start=1):
    with st.container(border=True):
        text, buttons = st.columns([5, 1.4], vertical_alignment="center")
        with text:
            minutes = f" · {lesson.minutes} min" if lesson.minutes else ""
            st.markdown(f"#### {number}. {lesson.title}")
            st.markdown(lesson.summary)
            st.caption(f"{len(lesson.steps)} steps{minutes}: " + " → ".join(step.title for step in lesson.steps))
        with buttons:
            st.button("Present", icon=":material/present_to_all:", key=f"lesson_present_{lesson.id}",
                      on_click=presenter.go, args=(lesson.id, 1, True), type="primary", width="stretch")
            st.button("Start", icon=":material/play_arrow:", key=f"lesson_start_{lesson.id}",
                      on_click=presenter.go, args=(lesson.id, 1, False), width="stretch")
        with st.expander("Link to present this lesson"):
            st.code(presenter.step_link(lesson, 1), language=None, wrap_lines=True)
