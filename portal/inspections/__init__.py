"""On-site pre-acceptance inspections."""
