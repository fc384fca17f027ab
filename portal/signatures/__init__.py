"""Signatures on records: on site with a signature pad, at a distance with single-use links."""
