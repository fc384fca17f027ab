"""Finance: settlement lookup."""
