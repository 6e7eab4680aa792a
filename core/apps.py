from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The toolbox every app uses and that is not the organisation: imports, Excel,
    background jobs, histories, workflows. It imports no other app of the project."""

    name = "core"
