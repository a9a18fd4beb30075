"""Key 1: the ticket queue, one ticket's view, the KPI screen and the actions both share."""
