"""Interactive explorers (pure ipywidgets + matplotlib, offline), one module per concept."""
