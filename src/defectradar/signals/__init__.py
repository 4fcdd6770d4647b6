"""Early warning: disproportionality and temporal detectors, scans of the store, and alerts."""
