"""The pre-acceptance (预验收) portal: application factory."""
from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import PROJECT_ROOT, load_config


def create_app(env: dict | None = None, config: dict | None = None) -> Flask:
    """Create the portal from the environment ``env`` (default ``os.environ``).

    ``config`` overrides Flask settings after validation (tests use it).
    """
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(dict(os.environ if env is None else env), app.instance_path))
    app.config.update(config or {})
    register_compression(app)
    register_extensions(app)
    from portal.web import install_id_converter

    install_id_converter(app)
    register_blueprints(app)
    register_features(app)
    register_permissions(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security(app)
    register_static_files(app)
    register_transactions(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def register_compression(app: Flask) -> None:
    """Gzip text responses. Registered first: after-request hooks run in reverse, so it sees the final body."""
    from portal import compression

    compression.init_app(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of :mod:`portal.extensions` to ``app``."""
    from portal import database, i18n, models  # noqa: F401  (models: the whole schema for migrations)
    from portal.auth import sessions
    from portal.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    database.configure_engine_events(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    sessions.init_login(app, login_manager)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per feature."""
    from portal.admin.views import bp as admin_bp
    from portal.aftercare.call_views import bp as return_calls_bp
    from portal.aftercare.owner_views import bp as owner_bp
    from portal.aftercare.views import bp as aftercare_bp
    from portal.api.views import bp as api_bp
    from portal.auth.views import bp as auth_bp
    from portal.certificates.views import bp as certificates_bp
    from portal.checklists.views import bp as checklists_bp
    from portal.dashboard.views import bp as dashboard_bp
    from portal.equipment.views import bp as equipment_bp
    from portal.finance.views import bp as finance_bp
    from portal.health.views import bp as health_bp
    from portal.home.views import bp as home_bp
    from portal.inspections.views import bp as inspections_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.offline.views import bp as offline_bp
    from portal.penalties.views import bp as penalties_bp
    from portal.photos.views import bp as photos_bp
    from portal.plans.views import bp as plans_bp
    from portal.projects.views import bp as projects_bp
    from portal.rectification.views import bp as rectification_bp
    from portal.schedule.views import bp as schedule_bp
    from portal.signatures.views import bp as signatures_bp

    for bp in (auth_bp, home_bp, health_bp, admin_bp, projects_bp, inspections_bp,
               rectification_bp, dashboard_bp, schedule_bp, finance_bp, checklists_bp, equipment_bp, photos_bp,
               plans_bp, signatures_bp, penalties_bp, notifications_bp, certificates_bp, api_bp, offline_bp,
               aftercare_bp, owner_bp, return_calls_bp):
        app.register_blueprint(bp)


def register_features(app: Flask) -> None:
    """Features plug into the packages below them: signal receivers, record types, registry entries.

    Every ``register()`` is idempotent (create_app may run more than once per process).
    Receivers of one signal run in this order: on finishing, the inspection's own handbook
    penalty comes before rectification's notice and round penalties, as it always did.
    """
    from portal.aftercare import hooks as aftercare_hooks
    from portal.aftercare import signing as aftercare_signing
    from portal.certificates import hooks as certificate_hooks
    from portal.dashboard import freshness as dashboard_freshness
    from portal.finance import hooks as finance_hooks
    from portal.inspections import hooks as inspection_hooks
    from portal.inspections import signing as inspection_signing
    from portal.penalties import hooks as penalty_hooks
    from portal.photos import signing as photo_signing
    from portal.rectification import hooks as rectification_hooks
    from portal.rectification import signing as rectification_signing

    for feature in (inspection_hooks, rectification_hooks, inspection_signing, photo_signing,
                    rectification_signing, certificate_hooks, finance_hooks, penalty_hooks, aftercare_signing,
                    aftercare_hooks, dashboard_freshness):
        feature.register()


def register_permissions(app: Flask) -> None:
    """Each feature registers the access rules for its own objects; templates get ``can`` and the menu."""
    from portal.admin import permissions as admin_rules
    from portal.aftercare import permissions as aftercare_rules
    from portal.auth import navigation, permissions
    from portal.certificates import permissions as certificate_rules
    from portal.checklists import permissions as checklist_rules
    from portal.equipment import permissions as equipment_rules
    from portal.inspections import permissions as inspection_rules
    from portal.photos import permissions as photo_rules
    from portal.plans import permissions as plan_rules
    from portal.projects import permissions as project_rules
    from portal.rectification import permissions as notice_rules
    from portal.schedule import permissions as schedule_rules
    from portal.signatures import permissions as signature_rules

    for feature in (project_rules, admin_rules, checklist_rules, equipment_rules, inspection_rules, photo_rules,
                    plan_rules, notice_rules, schedule_rules, signature_rules, certificate_rules, aftercare_rules):
        feature.register()
    permissions.init_app(app)
    navigation.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """Render every error by its status code, as a page or an htmx fragment."""
    from portal import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` CLI commands (create-user, seed-demo)."""
    from portal import commands

    commands.init_app(app)


def register_security(app: Flask) -> None:
    """Security headers and the per-request Secure flag on the session cookie."""
    from portal import security

    security.init_app(app)


def register_static_files(app: Flask) -> None:
    """Versioned static URLs cached for a year, and /favicon.ico."""
    from portal import static_files

    static_files.init_app(app)


def register_transactions(app: Flask) -> None:
    """One commit per request, at the edge. Registered last: its after-request hook runs first."""
    from portal import transaction

    transaction.init_app(app)
