"""Key 5: the audit log."""
