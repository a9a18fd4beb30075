"""Team: the RACI matrix and ticket routing (matrix), working hours, checks (gaps, overload, sign-
offs), every change (ops), stage templates, the screen's view model.
"""
