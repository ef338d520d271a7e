"""Drive every control of an explorer across its range (used by the widget tests)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from spanbert_lab.course.widgets.base import Explorer


def control_values(control: w.ValueWidget, *, max_steps: int = 12) -> list[Any]:
    """A sweep over the control's range: every option, or evenly spaced slider values."""
    if isinstance(
        control, (w.Dropdown, w.RadioButtons, w.ToggleButtons, w.Select, w.SelectionSlider)
    ):
        values = (
            [value for _label, value in control._options_full]
            if hasattr(control, "_options_full")
            else list(control.options)
        )
        return [*values[:: max(1, len(values) // max_steps)], values[-1]]
    if isinstance(control, (w.IntSlider, w.IntText, w.BoundedIntText)):
        lo, hi = control.min, control.max
        step = max(1, (hi - lo) // max_steps)
        return [*range(lo, hi + 1, step), hi]
    if isinstance(control, (w.FloatSlider, w.FloatLogSlider, w.BoundedFloatText)):
        lo, hi = control.min, control.max
        return [lo + (hi - lo) * i / max_steps for i in range(max_steps + 1)]
    if isinstance(control, (w.Checkbox, w.ToggleButton)):
        return [not control.value, control.value]
    if isinstance(control, (w.Text, w.Textarea)):
        return [control.value]  # free text: the widget test supplies its own strings
    raise TypeError(f"no sweep for {type(control).__name__}")


def sweep(explorer: Explorer) -> dict[str, set[str]]:
    """Set each control to each value of its sweep (others at their initial values).

    Returns, per control, the set of distinct summaries seen. Raises whatever a redraw raises.
    """
    seen: dict[str, set[str]] = {}
    for name, control in explorer.controls.items():
        initial = control.value
        summaries = {explorer.summary()}
        for value in control_values(control):
            control.value = value
            assert explorer.status.value == "" or "saved" in explorer.status.value, (
                f"control {name!r} = {value!r} reported: {explorer.status.value}"
            )
            summaries.add(explorer.summary())
        control.value = initial
        seen[name] = summaries
    return seen
