"""The Textual app. Screens call services; they never build SQL."""
