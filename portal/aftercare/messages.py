"""Labels and refusal texts of after-sales service, in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "general": _l("General renovation work"),
    "waterproofing": _l("Waterproofing of kitchen, bathroom and exterior walls (leaks)"),
    "plumbing": _l("Water supply and drainage pipes"),
    "electrical": _l("Electrical wiring"),
    "tiling": _l("Tiles and stone"),
    "carpentry": _l("Carpentry and wood floors"),
    "painting": _l("Painting and wallpaper"),
    "doors_windows": _l("Doors and windows"),
}

RESPONSIBILITY_LABELS = {
    "crew": _l("The original crew (deducted from its warranty deposit)"),
    "company": _l("The company"),
    "owner": _l("The owner (use, or outside the warranty)"),
}

STATUS_LABELS = {
    "open": _l("Open"),
    "repaired": _l("Repaired, waiting for the owner's signature"),
    "accepted": _l("Accepted, follow-up call due"),
    "closed": _l("Closed"),
}

STEP_NAMES = {
    "contact": _l("Contact the owner (3 h)"),
    "plan": _l("Solution and visit date (24 h)"),
    "follow_up": _l("Follow-up call (48 h after the repair)"),
    "pass_on": _l("Passed on (3 h)"),
    "answer": _l("Answered (48 h)"),
}

ERRORS = {
    "already_accepted": _l("The completion acceptance of this project is recorded already."),
    "not_passed": _l("Completion acceptance needs a passed pre-acceptance with a valid pass certificate."),
    "bad_rating": _l("Ratings go from 1 to 5."),
    "explain_required": _l("Explain the warranty process and the owner's page to the owner first."),
    "before_pass": _l("The completion acceptance cannot be dated before the passed pre-acceptance."),
    "already_handed_over": _l("The project was handed over already."),
    "unsigned": _l("Owner, foreman and inspector must all sign first."),
    "not_handed_over": _l("The project is not handed over yet."),
    "final_payment_missing": _l("The warranty card follows the owner's final payment: office or finance records "
                                "it first."),
    "final_payment_recorded": _l("The final payment is recorded already."),
    "final_payment_before_acceptance": _l("The final payment cannot be dated before the completion acceptance."),
    "final_payment_in_future": _l("The date cannot be in the future."),
    "bad_amount": _l("The amount must be more than zero."),
    "bad_kind": _l("Choose the kind of work."),
    "description_required": _l("Describe the problem."),
    "too_many_photos": _l("At most 6 photos per request."),
    "photos_too_large": _l("The photos are too large together: at most 20 MB in all. Choose fewer photos."),
    "solution_required": _l("Write down the solution."),
    "not_open": _l("This repair is not open any more."),
    "not_planned": _l("Plan the repair (solution, visit date, crew) first."),
    "bad_responsibility": _l("Choose who is responsible."),
    "bad_cost": _l("The cost cannot be negative."),
    "water_test_required": _l("A leak repair needs the result of the water test."),
    "not_repaired": _l("The repair is not recorded as done."),
    "not_accepted": _l("The owner has not accepted the repair yet."),
    "bad_repeat": _l("The first complaint belongs to another project."),
    "first_still_open": _l("The first complaint is still being handled: this is not a second complaint yet."),
    "closed": _l("This complaint is closed."),
    "not_passed_on": _l("Pass the complaint on first."),
    "answer_required": _l("Write down the answer."),
    "not_answered": _l("The complaint has no answer yet."),
    "return_visit_required": _l("Write down what the owner said on the return visit."),
    "call_not_due": _l("This project has no return call due this quarter (its warranty has not reached a new "
                       "quarter, or it has ended)."),
    "call_done": _l("The owner was reached this quarter already; the call is recorded."),
    "call_note_too_long": _l("The note may have at most 1000 characters."),
    "call_note_required": _l("Write down what the owner said."),
}


def error_text(code: str) -> str:
    """The refusal ``code`` as a sentence."""
    return str(ERRORS.get(code, code))


def kind_label(kind: str) -> str:
    """The kind of work in the user's language."""
    return str(KIND_LABELS.get(kind, kind))
