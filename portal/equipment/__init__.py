"""The register of calibrated inspection equipment."""
