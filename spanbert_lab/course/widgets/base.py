"""The shape every course explorer shares, so that one test helper can drive any of them.

An explorer owns its state (callbacks close over ``self``, never over notebook globals), exposes its
controls by name in :attr:`Explorer.controls`, redraws a matplotlib figure on every change, keeps a
short text :meth:`Explorer.summary` of what is shown (what a test compares), and can save the
current view as PNG (the "save PNG" button, or :meth:`Explorer.save_png`).
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure


class Explorer(ABC):
    """Base class: subclasses build ``self.controls`` and implement :meth:`draw`."""

    def __init__(
        self, controls: dict[str, w.ValueWidget], *, png_name: str = "explorer.png"
    ) -> None:
        self.controls = controls
        self.figure: Figure | None = None
        self.status = w.HTML()
        # The view is a PNG in an Image widget: no output routing through the frontend, so it
        # behaves the same in JupyterLab, in nbclient/nbval and in a static render.
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.png_name = png_name
        self.save_button = w.Button(
            description="save PNG", icon="download", tooltip="save view as PNG"
        )
        self.save_button.on_click(lambda _button: self.save_png(self.png_name))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = w.VBox(
            [
                w.HBox(list(self.controls.values())[:3]),
                w.HBox(list(self.controls.values())[3:]),
                w.HBox([self.save_button, self.status]),
                self.image,
            ]
        )
        self.refresh()

    @property
    def values(self) -> dict[str, Any]:
        """Current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    @abstractmethod
    def draw(self, **values: Any) -> tuple[Figure, str]:
        """Draw the view for these control values; return the figure and a text summary."""

    def refresh(self) -> None:
        """Redraw from the current control values."""
        if self.figure is not None:
            plt.close(self.figure)
        self.figure, self._summary = self.draw(**self.values)
        plt.close(self.figure)  # shown through the Image widget; keep pyplot's registry empty
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        self.image.value = buffer.getvalue()

    def summary(self) -> str:
        """Text of what is currently shown (what tests compare across control values)."""
        return self._summary

    def save_png(self, path: str | Path) -> Path:
        """Save the current view as a PNG and return its path."""
        path = Path(path)
        assert self.figure is not None
        self.figure.savefig(path, dpi=120, bbox_inches="tight")
        self.status.value = f"saved <code>{path.name}</code>"
        return path

    def route_control(self, name: str, handler: Any) -> None:
        """Send changes of control ``name`` to ``handler`` instead of the plain redraw.

        For a control that changes the other controls' ranges (a new sentence has new tokens):
        the handler updates them first and then calls :meth:`_on_change` once.
        """
        self.controls[name].unobserve(self._on_change, names="value")
        self.controls[name].observe(handler, names="value")

    def _on_change(self, _change: dict[str, Any]) -> None:
        try:
            self.refresh()
            self.status.value = ""
        except ValueError as err:  # a combination of controls that cannot be drawn: say why
            self.status.value = f"<span style='color:#b00'>{err}</span>"

    def _ipython_display_(self) -> None:

        display(self.widget)
