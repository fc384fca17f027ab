"""Photo evidence: concealed works, checklist items, rectification "after" photos."""
