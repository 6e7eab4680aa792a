from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The toolbox every app uses and that is not the organisation: imports, Excel,
    background jobs, histories, workflows. It imports no other app of the project."""

    name = "core"

    def ready(self) -> None:
        from core import checks  # noqa: F401 (registers the system checks)
