"""demodata package."""
