"""Prepare the database, start the demo CRMs and serve the console: `python manage.py crmsync_demo`."""

import signal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from crmsync import demo_emulators, demo_processes
from crmsync.demo import ensure_demo_admin

# The emulators started by the last `--no-serve` run, still serving on their
# threads, so that a caller in the same process (a test) can stop them.
running = []


class Command(BaseCommand):
    help = (
        "Migrate, create the demo administrator, start the Salesforce and Dynamics emulators with "
        "their demo data and an external account for each, print the login and serve the console."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to serve on")
        parser.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")
        parser.add_argument("--no-emulators", action="store_true", help="do not start the demo CRMs")
        parser.add_argument("--salesforce-port", type=int, default=demo_emulators.SALESFORCE_PORT,
                            help="loopback port of the Salesforce emulator (0: any free port)")
        parser.add_argument("--dynamics-port", type=int, default=demo_emulators.DYNAMICS_PORT,
                            help="loopback port of the Dynamics emulator (0: any free port)")

    def handle(self, *args, addr, no_serve, no_emulators, salesforce_port, dynamics_port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        username, password = ensure_demo_admin()
        emulators = None if no_emulators else self.start_emulators(salesforce_port, dynamics_port)
        self.stdout.write(self.style.SUCCESS(f"crmsync console: http://{addr}/admin/"))
        self.stdout.write(f"login: {username} / {password}")
        for account in [] if emulators is None else emulators.accounts:
            self.stdout.write(f"external account '{account.name}' ({account.crm_label}): {account.server_url}")
        if no_serve:
            if emulators is not None:
                running.append(emulators)
            return
        self.serve(addr, emulators)

    def serve(self, addr: str, emulators) -> None:
        """Serve until Ctrl-C (SIGINT) or SIGTERM, then stop everything started here."""
        # SIGINT too: a shell starting us in the background hands it down ignored.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        children = [] if settings.CRMSYNC_IN_PROCESS_TASKS else self.start_children()
        try:
            call_command("runserver", addr, use_reloader=False)
        except KeyboardInterrupt:
            pass
        finally:
            demo_processes.stop(children)
            if emulators is not None:
                emulators.stop()
            self.stdout.write("stopped the console" + "".join(f", the {c.name}" for c in children)
                              + (" and the emulators" if emulators is not None else ""))

    def start_children(self) -> list[demo_processes.Child]:
        children = demo_processes.start_worker_and_beat(settings.VAR_DIR, settings.BASE_DIR)
        for child in children:
            self.stdout.write(f"celery {child.name}: pid {child.process.pid}, log {child.log_path}")
        return children

    def start_emulators(self, salesforce_port: int, dynamics_port: int) -> demo_emulators.DemoEmulators:
        try:
            emulators = demo_emulators.start_emulators(settings.VAR_DIR, salesforce_port, dynamics_port)
        except OSError as exc:
            raise CommandError(
                f"cannot start the demo emulators ({exc}); choose other ports with --salesforce-port / "
                "--dynamics-port, or skip them with --no-emulators"
            ) from None
        emulators.accounts = demo_emulators.ensure_demo_accounts(emulators)
        return emulators


def _interrupt(signum, frame):
    raise KeyboardInterrupt
