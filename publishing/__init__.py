"""publishing package."""
