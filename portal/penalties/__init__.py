"""Penalties (一般过失, 严重过失, replacement) recorded against foremen and project managers."""
