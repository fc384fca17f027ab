"""Language selection: Chinese first, English available, remembered per user."""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    """The user's saved language, else the session's choice, else the configured default.

    A page answered without the database (:func:`answer_without_database`) takes the session's
    choice only: the login copies the user's saved language into the session, so the user
    still reads it, and loading the user would query the database that just failed.
    """
    if not has_request_context():  # CLI commands and background work: the company's language
        return current_app.config["LANGUAGE"]
    if not g.get("without_database") and current_user and current_user.is_authenticated \
            and current_user.locale in LANGUAGE_NAMES:
        return current_user.locale
    if session.get("lang") in LANGUAGE_NAMES:
        return session["lang"]
    return current_app.config["LANGUAGE"]


def answer_without_database() -> None:
    """The rest of this request must not query the database (it is down, locked, or its session
    failed): the language comes from the session, and the layout leaves out the menu (which
    needs the user and the unread count)."""
    g.without_database = True


def html_lang() -> str:
    """The value for ``<html lang>``: ``zh-CN`` or ``en``."""
    locale = get_locale()
    return f"{locale.language}-{locale.territory}" if locale.territory else locale.language


def current_language() -> str:
    """The active language code as used in LANGUAGE_NAMES (``zh_CN`` or ``en``)."""
    locale = get_locale()
    return "zh_CN" if locale.language == "zh" else locale.language


def current_translations():
    """The translations of the active locale, looked up once per locale and request.

    Flask-Babel resolves its domain, the locale and its cache key on every call: about 900
    calls on the 89-item checklist page, a third of its rendering. The answer changes only with
    the locale, so it is kept on Flask-Babel's own per-context namespace beside the locale object
    it was found for; ``force_locale`` (a notification in the recipient's language) sets another
    locale object and so gets its own translations, and gets the old ones back when it ends.
    """
    holder = g.get("_flask_babel") if g else None
    if holder is not None:
        kept = getattr(holder, "portal_translations", None)
        if kept is not None and kept[0] is getattr(holder, "babel_locale", None):
            return kept[1]
    translations = get_translations()
    holder = g.get("_flask_babel") if g else None
    if holder is not None:
        holder.portal_translations = (getattr(holder, "babel_locale", None), translations)
    return translations


def _template_gettext(translate):
    """Jinja's new-style ``gettext`` (escaped, ``%(name)s`` filled in) over ``translate``.

    As Jinja's own, every text is a format string ("%%" is "%"); one without "%" is returned as it
    is, without the formatting pass that would find nothing to do (the checklist page translates
    ~900 texts, most of them plain labels).
    """
    @pass_context
    def gettext(context, string: str, **variables):
        text = translate(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text
    return gettext


def _template_ngettext(translate):
    """Jinja's new-style ``ngettext`` over ``translate`` (``num`` is filled in as in Jinja's own)."""
    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables):
        variables.setdefault("num", num)
        text = translate(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables
    return ngettext


def template_translations() -> dict:
    """Context processor: ``gettext``/``ngettext`` bound to the translations of this render's locale.

    Templates rendered with a context (pages, fragments, and a notification rendered inside
    ``force_locale``) translate without looking the translations up again per text; a macro module
    imported without context falls back to the environment's callables (same result, slower).
    """
    translations = current_translations()
    return {"gettext": _template_gettext(translations.ugettext),
            "ngettext": _template_ngettext(translations.ungettext)}


def init_app(app: Flask) -> None:
    """Expose the language helpers to templates; templates translate through :func:`current_translations`."""
    app.jinja_env.globals.update(html_lang=html_lang, language_names=LANGUAGE_NAMES,
                                 current_locale=current_language)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.context_processor(template_translations)
