"""The accounting system's JSON API."""
