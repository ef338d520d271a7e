"""Lay a course explorer out for the projector: a title, one prompt per control, large fonts.

Each classroom dashboard (a small notebook in this folder, served by ``make classroom``) builds one
explorer from the shipped data and checkpoints and ends with ``dashboard(explorer, title, prompts)``.
The controls keep their explorer (the callbacks are the explorer's own); only the layout changes:
controls with their prompts on the left, the view on the right, fonts sized to be read from the
back of a room. Everything is plain ipywidgets + CSS: nothing is fetched from the network.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as w

# ipywidgets 8 sizes its controls from these CSS variables; set them for the dashboard only.
STYLE = """<style>
.classroom {
  --jp-widgets-font-size: 22px;
  --jp-widgets-inline-height: 40px;
  --jp-widgets-inline-label-width: 150px;
  --jp-widgets-slider-handle-size: 22px;
  --jp-widgets-slider-track-thickness: 8px;
  font-size: 22px;
}
.classroom h1 { font-size: 44px; margin: 0.2em 0 0.1em 0; }
.classroom .classroom-intro { font-size: 24px; color: #333; margin-bottom: 0.6em; }
.classroom .classroom-prompt { font-size: 22px; line-height: 1.3; color: #1a4d80; margin-top: 0.8em; }
.classroom select, .classroom input, .classroom textarea, .classroom .widget-readout {
  font-size: 22px !important;
}
.classroom .widget-image img, .classroom img { width: 100%; height: auto; }
</style>"""


def dashboard(explorer: Any, title: str, prompts: Mapping[str, str], *, intro: str = "") -> w.VBox:
    """The projector layout of ``explorer``.

    Args:
        explorer: a :class:`spanbert_lab.course.widgets.base.Explorer` (``controls``, ``image``, ``status``).
        title: the dashboard's heading.
        prompts: one short question per control, by control name, in display order; every
            control must have one.
        intro: one sentence under the title.

    Raises:
        ValueError: a prompt names no control, or a control has no prompt.
    """
    head = f"<h1>{html.escape(title)}</h1>"
    if intro:
        head += f"<div class='classroom-intro'>{html.escape(intro)}</div>"
    if isinstance(explorer, str):
        page = w.VBox([w.HTML(f"{STYLE}{head}<p>{html.escape(explorer)}</p>")])
        page.add_class("classroom")
        return page
    controls = explorer.controls
    unknown = [name for name in prompts if name not in controls]
    if unknown:
        raise ValueError(f"prompts name unknown controls {unknown}; controls: {list(controls)}")
    unprompted = [name for name in controls if name not in prompts]
    if unprompted:
        raise ValueError(f"controls {unprompted} have no prompt")
    rows: list[w.Widget] = []
    for name, prompt in prompts.items():
        control = controls[name]
        control.style.description_width = "initial"
        control.layout.width = "95%"
        label = w.HTML(f"<div class='classroom-prompt'>{html.escape(prompt)}</div>")
        rows.append(w.VBox([label, control]))
    explorer.image.layout = w.Layout(width="100%")
    left = w.VBox(rows, layout=w.Layout(width="34%", padding="0 1em 0 0"))
    right = w.VBox([explorer.image, explorer.status], layout=w.Layout(width="66%"))
    page = w.VBox([w.HTML(STYLE + head), w.HBox([left, right])])
    page.add_class("classroom")
    return page
