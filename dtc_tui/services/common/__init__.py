"""What every area shares: the audit log and change counters, domain settings, untrusted-text cleaning,
presence, database maintenance and information, table export.
"""
