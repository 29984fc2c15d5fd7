from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.notifications.fake_sms_gateway import FakeSmsGateway


class Command(BaseCommand):
    help = "Run a fake brandname-SMS gateway on this machine, for development (never production)."
    # A stand-alone development server: it needs none of the project's checks to pass.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--api-key",
            default=settings.MOTCUA_SMS_API_KEY or "dev-sms-key",
            help="the bearer key it accepts (default: MOTCUA_SMS_API_KEY, else dev-sms-key)",
        )

    def handle(self, *args: Any, host: str, port: int, api_key: str, **options: Any) -> None:
        gateway = FakeSmsGateway(api_key=api_key, host=host, port=port)
        gateway.verbose = True
        self.stdout.write(
            f"Fake SMS gateway; run the app and its worker with\n"
            f"  MOTCUA_SMS_URL={gateway.url} MOTCUA_SMS_API_KEY={api_key}\n"
            f"GET {gateway.url} lists what was accepted. Ctrl-C stops it."
        )
        try:
            gateway.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.server.server_close()
