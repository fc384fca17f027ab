"""Access-matrix rows for the checklist editor (office only).

The matrix knows no template ids, so routes that need one use an id that does not exist:
office gets 404, every other role 403, anonymous the login page. The same routes on real
versions are checked role by role in ``test_editor.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import HIDDEN, expect

OFFICE = {Role.OFFICE}
NO_VERSION = "/checklists/999999"
NO_ITEM = f"{NO_VERSION}/items/999999"

ROWS = [
    ("GET", "/checklists/", "checklists.index", expect(OFFICE)),
    ("GET", NO_VERSION, "checklists.detail", expect(OFFICE, ok=HIDDEN)),
    ("POST", "/checklists/no-such-family/draft", "checklists.draft", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_VERSION}/publish", "checklists.publish", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_VERSION}/retire", "checklists.retire", expect(OFFICE, ok=HIDDEN)),
    ("GET", f"{NO_VERSION}/items/new", "checklists.new_item", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_VERSION}/items/new", "checklists.new_item", expect(OFFICE, ok=HIDDEN)),
    ("GET", f"{NO_ITEM}/edit", "checklists.edit_item", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_ITEM}/edit", "checklists.edit_item", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_ITEM}/move", "checklists.move_item", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_ITEM}/retire", "checklists.retire_item", expect(OFFICE, ok=HIDDEN)),
    ("POST", f"{NO_ITEM}/restore", "checklists.restore_item", expect(OFFICE, ok=HIDDEN)),
]
