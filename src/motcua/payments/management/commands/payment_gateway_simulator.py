from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from motcua.payments.gateway_simulator import GatewaySimulator


class Command(BaseCommand):
    help = (
        "Run a local payment gateway simulator (the protocol of the real one), for development "
        "and demos (never production)."
    )
    # A stand-alone development server: it needs none of the project's checks to pass.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8010)
        parser.add_argument(
            "--site-url",
            default=settings.SITE_URL,
            help="our public base URL, where the IPN is sent (default: SITE_URL)",
        )
        parser.add_argument(
            "--ledger",
            type=Path,
            default=settings.VAR_DIR / "payment-gateway-ledger.json",
            help="JSON file that keeps the simulator's transactions between runs",
        )

    def handle(
        self, *args: Any, host: str, port: int, site_url: str, ledger: Path, **options: Any
    ) -> None:
        ipn_url = f"{site_url.rstrip('/')}{reverse('portal:payment_ipn')}"
        simulator = GatewaySimulator(
            tmn_code=settings.MOTCUA_PAYMENT_MERCHANT_CODE,
            secret=str(settings.MOTCUA_PAYMENT_HASH_SECRET),
            ipn_url=ipn_url,
            host=host,
            port=port,
            ledger_path=ledger,
        )
        simulator.verbose = True
        self.stdout.write(
            f"Payment gateway simulator on {simulator.url} (merchant "
            f"{simulator.tmn_code}); IPN to {ipn_url}.\n"
            f"The app must have MOTCUA_PAYMENT_GATEWAY_URL={simulator.url}. Ctrl-C stops it."
        )
        try:
            simulator.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            simulator.server.server_close()
