"""Headless CLI command groups, one module per area. They import services, never Textual."""
