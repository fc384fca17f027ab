"""``flask`` CLI commands: create-user and seed-demo."""
from __future__ import annotations

import gc
import time
from pathlib import Path

import click
from flask import Flask

from portal.auth.roles import Role
from portal.extensions import db


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name, e.g. 王建国")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]),
              help="Role; repeat for several")
@click.option("--phone", default=None)
@click.password_option(help="Asked for when not given")
def create_user_command(username: str, display_name: str, roles: tuple[str, ...], phone: str | None, password: str):
    """Create a user account."""
    from portal.auth.services import create_user

    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    try:
        user = create_user(username, display_name, password, {Role(r) for r in roles}, phone)
    except ValueError as exc:
        raise click.ClickException(f"username {username!r} is taken") from exc
    db.session.commit()
    click.echo(f"created user {user.username} ({', '.join(sorted(roles))})")


@click.command("seed-demo")
def seed_demo_command():
    """Load the demo data (idempotent: a second run changes nothing). Refused in production."""
    from flask import current_app

    from portal.demo import seed_demo

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("the demo data (accounts with a published password) is never loaded "
                                   "in production; run it with PORTAL_ENV=development")
    started = time.perf_counter()
    # A one-shot process: what the app has loaded lives until it exits, so the cyclic garbage
    # collector need not walk it again at every full collection the year's PDFs and rows set off.
    gc.freeze()
    created = seed_demo()
    db.session.commit()
    click.echo(f"demo data loaded in {time.perf_counter() - started:.1f} s" if created
               else "demo data already present, nothing changed")


@click.command("load-checklist")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The company's own checklist (JSON, the shape of portal/checklists/data/default_checklist.json) "
                   "instead of the built-in one")
def load_checklist_command(path: Path | None):
    """Load the checklist (version 1) unless one is there already; a bad file is refused whole, with every problem."""
    from portal.checklists.checklist_file import ChecklistFileError, read_checklist
    from portal.checklists.services import DEFAULT_FAMILY, family_versions, load_default_template

    try:
        checklist = read_checklist(path) if path else read_checklist()
    except ChecklistFileError as exc:
        raise click.ClickException(str(exc)) from exc
    already_there = bool(family_versions(DEFAULT_FAMILY))
    template = load_default_template(checklist)
    db.session.commit()
    click.echo(f"default checklist: version {template.version}, {template.status}"
               + (f" (it was there already; {path} was not loaded)" if already_there and path else ""))


@click.command("cleanup-uploads")
@click.option("--older-than", default=3600, show_default=True, help="Seconds; younger files may be uploads in flight")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed")
def cleanup_uploads_command(older_than: int, dry_run: bool):
    """Remove photo, marked-version and plan files without a database row, temp files left by
    interrupted writes, and the folders that are left empty."""
    from portal.photos.services import finished_files, orphaned_folders, orphaned_markup_files
    from portal.plans.services import orphaned_plan_folders
    from portal.storage import get_storage

    storage = get_storage()
    folders = orphaned_folders(storage, older_than) + orphaned_plan_folders(storage, older_than)
    orphans = finished_files(storage, folders) + orphaned_markup_files(storage, older_than)
    temps = storage.stale_temp_files(older_than)
    for key in orphans:
        click.echo(f"orphan {key}")
        if not dry_run:
            storage.delete(key)
    for path in temps:
        click.echo(f"temp {path}")
        if not dry_run:
            path.unlink(missing_ok=True)
    for key in folders:
        # Also folders that were empty already: an upload killed between creating its folder
        # and its first file, or one whose files were removed again after a failed commit.
        folder = storage.path(key)
        if dry_run or not any(folder.iterdir()):
            click.echo(f"folder {key}")
            if not dry_run:
                folder.rmdir()
    click.echo(f"{len(orphans)} orphaned files, {len(temps)} temp files {'found' if dry_run else 'removed'}")


@click.command("send-reminders")
def send_reminders_command():
    """Notify about notices due tomorrow and overdue ones (run daily from cron; repeats nothing)."""
    from portal.rectification.notify import send_deadline_reminders

    sent = send_deadline_reminders()
    db.session.commit()
    click.echo(f"{sent} reminders sent")


@click.command("send-aftercare-reminders")
def send_aftercare_reminders_command():
    """Notify about overdue repair and complaint steps (run every 15 minutes from cron; repeats nothing)."""
    from portal.aftercare.notify import send_aftercare_reminders

    sent = send_aftercare_reminders()
    db.session.commit()
    click.echo(f"{sent} after-sales reminders sent")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(load_checklist_command)
    app.cli.add_command(cleanup_uploads_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(send_aftercare_reminders_command)
