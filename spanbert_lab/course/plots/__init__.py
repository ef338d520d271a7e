"""Matplotlib figures for the course, one module per concept; every function returns a Figure."""
