"""Targets: the monthly re-decomposition assets (schema ``plan``) and their invariant checks."""
