"""Key 0: the overview screen."""
