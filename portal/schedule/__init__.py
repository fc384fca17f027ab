"""The weekly pre-acceptance schedule."""
