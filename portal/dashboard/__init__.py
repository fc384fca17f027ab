"""The office dashboard."""
