"""`create_demo_users`: an editor and a viewer for the local demo, with fresh passwords printed once."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = (("editor", "Editors", True), ("viewer", "Viewers", True))


class Command(BaseCommand):
    help = "Create (or reset) the demo accounts 'editor' and 'viewer' and print their passwords."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Also when DEBUG is off (never in production).")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo accounts are for local work: run with DEBUG=1 (or --force).")
        for username, group, staff in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = staff
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=group))
            self.stdout.write(f"{group[:-1]:>7}: username {username!r}, password {password!r}")
        self.stdout.write("Open http://127.0.0.1:8000/ and log in (admin: http://127.0.0.1:8000/admin/).")
