from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.accounts.fake_oidc_provider import FakeOidcProvider

CALLBACK_PATH = "/dang-nhap/oidc/callback/"


class Command(BaseCommand):
    help = "Run a fake OpenID Connect provider on this machine, for development (never production)."
    # A stand-alone development server: it needs none of the project's checks to pass.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8020)
        parser.add_argument("--client-id", default=settings.MOTCUA_OIDC_CLIENT_ID or "motcua-dev")
        parser.add_argument(
            "--client-secret", default=settings.MOTCUA_OIDC_CLIENT_SECRET or "dev-oidc-secret"
        )
        parser.add_argument(
            "--redirect-uri",
            action="append",
            help=f"a registered callback (repeatable; default: SITE_URL + {CALLBACK_PATH})",
        )
        parser.add_argument("--algorithm", choices=["RS256", "ES256"], default="RS256")

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        client_id: str,
        client_secret: str,
        redirect_uri: list[str] | None,
        algorithm: str,
        **options: Any,
    ) -> None:
        redirect_uris = redirect_uri or [settings.SITE_URL.rstrip("/") + CALLBACK_PATH]
        provider = FakeOidcProvider(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=redirect_uris,
            host=host,
            port=port,
            algorithm=algorithm,
            id_number_claim=settings.MOTCUA_OIDC_ID_NUMBER_CLAIM,
        )
        provider.verbose = True
        self.stdout.write(
            "Fake OpenID Connect provider; run the app with\n"
            f"  MOTCUA_OIDC_ISSUER={provider.issuer} MOTCUA_OIDC_CLIENT_ID={client_id} "
            f"MOTCUA_OIDC_CLIENT_SECRET={client_secret}\n"
            f"Registered callbacks: {', '.join(redirect_uris)}. Ctrl-C stops it."
        )
        try:
            provider.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            provider.server.server_close()
