"""Early warning: disproportionality and temporal detectors, trending, and alerts.

The scans of the store that run them (and the back-test, evidence rules, known issues and
emerging terms) are in :mod:`defectradar.analyses`.
"""
