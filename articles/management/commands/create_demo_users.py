"""`create_demo_users`: an editor and a viewer for the local demo, created once with their passwords printed.

`make run` calls it on every start. Setting a new password logs its user out of every open session, so
existing accounts keep theirs unless `--reset` asks for new ones.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = (("editor", "Editors", True), ("viewer", "Viewers", True))
RESET_HINT = "DEBUG=1 .venv/bin/python manage.py create_demo_users --reset"


def ensure_demo_user(username: str, group: str, *, staff: bool, reset: bool) -> str | None:
    """The demo account `username` in `group`: its new password when it was created (or `reset`), else None."""
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
    password = None
    if created or reset:
        password = secrets.token_urlsafe(9)
        user.is_staff = staff
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name=group))
    return password


class Command(BaseCommand):
    help = "Create the demo accounts 'editor' and 'viewer' once and print their passwords (--reset: new passwords)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true",
            help="Give existing demo accounts new passwords (logs them out of every open session).",
        )
        parser.add_argument("--force", action="store_true", help="Also when DEBUG is off (never in production).")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo accounts are for local work: run with DEBUG=1 (or --force).")
        kept = []
        for username, group, staff in DEMO_USERS:
            password = ensure_demo_user(username, group, staff=staff, reset=options["reset"])
            if password is None:
                kept.append(username)
            else:
                self.stdout.write(f"{group[:-1]:>7}: username {username!r}, password {password!r}")
        if kept:
            names = " and ".join(repr(name) for name in kept)
            self.stdout.write(
                f"Demo account{'s' if len(kept) > 1 else ''} {names} already exist{'' if len(kept) > 1 else 's'}: "
                f"passwords unchanged (as printed when created). New passwords: {RESET_HINT}"
            )
