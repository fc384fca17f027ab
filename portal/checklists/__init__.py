"""Checklist templates for pre-acceptance (预验收) inspections."""
