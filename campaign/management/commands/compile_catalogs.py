from django.core.management.base import BaseCommand, CommandError

from campaign import i18n


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) with polib; no gettext needed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if a catalogue is incomplete or stale.")

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            problems = []
            for path in i18n.catalogues():
                state = i18n.inspect(path)
                if state.untranslated or state.fuzzy or state.stale:
                    problems.append(
                        f"{path}: {len(state.untranslated)} untranslated, {len(state.fuzzy)} fuzzy,"
                        f" {'stale .mo' if state.stale else '.mo up to date'}"
                    )
            if problems:
                raise CommandError("\n".join(problems))
            self.stdout.write("Catalogues complete and compiled.")
            return
        for mo in i18n.compile_all():
            self.stdout.write(f"Compiled {mo}")
