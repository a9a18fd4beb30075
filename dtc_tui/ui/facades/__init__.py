"""The UI's door to the database: one thin facade per area, built with (engine, operator, clock)."""
