"""Renovation projects (one per contract / 档案号)."""
