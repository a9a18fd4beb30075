"""Key 4: the RACI grid, its forms."""
