"""The base form: hidden CSRF inputs without an id, required selects with an empty first option."""
import re

from flask import request
from flask_babel import lazy_gettext
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import Select

from portal.forms import ManyOptionsSelect, PortalForm
from portal.web import db_id


class PickForm(PortalForm):
    inspector_id = SelectField("Inspector", coerce=db_id, validators=[InputRequired()],
                               choices=[SelectChoice(3, "王建国"), SelectChoice(4, "李检")])
    studio = SelectField("Studio", validators=[Optional()], choices=[SelectChoice("", "—"), SelectChoice("A", "A 曲江")])


def test_csrf_input_has_no_id_so_forms_can_share_a_page(app):
    with app.test_request_context("/"):
        html = str(PickForm().hidden_tag()) + str(PickForm().hidden_tag())
    assert html.count('name="csrf_token"') == 2
    assert "id=" not in html


def test_required_select_starts_with_a_selected_empty_choice(app):
    with app.test_request_context("/"):
        html = str(PickForm().inspector_id())
    assert re.match(r'<select id="inspector_id" name="inspector_id" required><option value="" selected>请选择…</option>'
                    r'<option value="3">王建国</option>', html)


def test_a_chosen_value_stays_chosen_and_the_placeholder_is_not(app):
    with app.test_request_context("/"):
        html = str(PickForm(inspector_id=4).inspector_id())
    assert '<option value="">请选择…</option>' in html
    assert '<option selected value="4">李检</option>' in html


def test_optional_select_is_left_alone(app):
    with app.test_request_context("/"):
        html = str(PickForm().studio())
    assert "请选择" not in html and "required" not in html


def test_sending_the_placeholder_is_refused_as_missing(app):
    with app.test_request_context("/", method="POST", data={"inspector_id": ""}):
        form = PickForm(meta={"csrf": False})
        assert not form.validate()
    assert form.inspector_id.data is None
    assert form.inspector_id.errors == ["该字段是必填字段。"]  # the one message, not "not a valid choice" too


def test_many_options_select_writes_what_wtforms_writes(app):
    """The dashboard's filters render hundreds of people with ManyOptionsSelect: same HTML, less work."""
    choices = [SelectChoice("", lazy_gettext("All")), SelectChoice(3, '王 "建国" <&>'), SelectChoice("A&B", "A 曲江"),
               SelectChoice(True, "yes"), SelectChoice(7, "with attributes", render_kw={"disabled": True})]

    class Plain(PortalForm):
        who = SelectField("Who", validators=[Optional()], choices=choices, coerce=str)

    class Fast(PortalForm):
        who = SelectField("Who", validators=[Optional()], choices=choices, coerce=str, widget=ManyOptionsSelect())

    for chosen in ("", "3", "A&B", "True"):
        with app.test_request_context(f"/?who={chosen}"):
            plain, fast = Plain(formdata=request.args), Fast(formdata=request.args)
            assert isinstance(plain.who.widget, Select)
            assert str(fast.who()) == str(plain.who()), chosen
    assert 'value="A&amp;B"' in str(fast.who()) and "&lt;&amp;&gt;" in str(fast.who())
