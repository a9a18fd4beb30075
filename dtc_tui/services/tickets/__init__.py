"""Tickets and SLA: the clock rules (sla), business hours, policies from rows (sla_policies),
recorded breaches (sla_breaches), stored summaries (sla_store), the queue source, every ticket
change (ops), one ticket's detail, KPIs.
"""
