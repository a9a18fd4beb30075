"""Ads: formulas and periods (metrics), pause / CPA / budget rules (rules), the channel-campaign-day
report with blended figures (report).
"""
