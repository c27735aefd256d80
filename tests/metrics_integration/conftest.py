"""pytest wiring: the `stack` fixture lives in metrics_stack.py."""

from metrics_stack import stack  # noqa: F401  (a fixture, used by name)
