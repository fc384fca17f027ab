"""The base of every form: how fields render where several forms share one page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.widgets import Select


class PortalForm(FlaskForm):
    """A Flask-WTF form whose fields render valid HTML however many forms a page holds.

    - The CSRF token's hidden input has no id: a page with several forms (a list with a form
      per row, the menu's logout) would repeat ``id="csrf_token"``, and nothing refers to it
      by id (the form posts it by name, scripts read it by name).
    - A required single-choice ``<select>`` starts with an empty "Choose…" option (the HTML
      placeholder option): without one the browser picks the first choice by itself, so
      ``required`` could never stop a form sent without a choice, and the page is not valid HTML.
    """

    class Meta:
        def render_field(self, field, render_kw):
            """Render ``field`` with the two rules above; everything else as WTForms does."""
            if field.type == "CSRFTokenField":
                render_kw = {"id": False, **render_kw}
            elif isinstance(field.widget, Select) and not field.widget.multiple and field.flags.required:
                return _with_placeholder(super().render_field(field, render_kw), field)
            return super().render_field(field, render_kw)


def _with_placeholder(html: Markup, field) -> Markup:
    """``html`` (a rendered ``<select>``) with an empty first option, selected when no choice is."""
    chosen = any(choice[2] for choice in field.iter_choices())
    option = Markup('<option value=""{}>{}</option>').format(Markup("") if chosen else Markup(" selected"),
                                                               escape(_l("Choose…")))
    end_of_tag = html.index(">") + 1  # attribute values are escaped, so the first ">" closes <select>
    return Markup(html[:end_of_tag]) + option + Markup(html[end_of_tag:])


class ManyOptionsSelect(Select):
    """A ``<select>`` that writes its options directly, as WTForms would.

    The dashboard's filters list every foreman of the company (hundreds in a large one), and
    WTForms' general attribute builder, called once per option, took half of the page's time.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        """``<option [selected ]value="…">label</option>``; options with extra attributes as WTForms does."""
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')
