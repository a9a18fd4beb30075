"""Across the areas: the overview's items and headline numbers (summary) and the cross-area signals (signals)."""
