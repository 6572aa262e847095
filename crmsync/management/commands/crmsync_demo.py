"""Prepare the database and start the console: `python manage.py crmsync_demo`."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from crmsync.demo import ensure_demo_admin


class Command(BaseCommand):
    help = "Migrate, create the demo administrator, print the login and serve the console."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to serve on")
        parser.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")

    def handle(self, *args, addr, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        username, password = ensure_demo_admin()
        self.stdout.write(self.style.SUCCESS(f"crmsync console: http://{addr}/admin/"))
        self.stdout.write(f"login: {username} / {password}")
        if not no_serve:
            call_command("runserver", addr, use_reloader=False)
