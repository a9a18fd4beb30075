"""dtc-tui: a keyboard-driven console for a small direct-to-consumer e-commerce team."""

__version__ = "0.1.0"
