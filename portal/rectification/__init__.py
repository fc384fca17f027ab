"""Rectification notices (限期整改通知单) and reinspection."""
