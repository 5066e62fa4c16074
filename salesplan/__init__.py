"""salesplan package."""
