from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "motcua.api"
    label = "api"

    def ready(self) -> None:
        from motcua.api.messages import drf_messages_install

        drf_messages_install()
