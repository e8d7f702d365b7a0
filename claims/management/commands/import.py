"""Read an NDJSON export into the database (docs/interchange.md)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from claims.interchange import ImportRefused, import_file, import_lines


class Command(BaseCommand):
    help = (
        "Import a file written by `export`: every line is checked first, and any bad line "
        "(listed by number) stops the import before anything is written. Then what the "
        "database lacks is added in one transaction; stored records are never overwritten "
        "(those that differ from the file are kept and reported). Importing twice changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to read, or - for standard input")

    def handle(self, *args, path: str, **options):
        progress = self.stderr.write
        try:
            if path == "-":
                if hasattr(sys.stdin, "reconfigure"):
                    sys.stdin.reconfigure(encoding="utf-8")  # whatever the locale
                report = import_lines(sys.stdin, progress=progress)
            else:
                with open(path, encoding="utf-8", newline="") as file:
                    report = import_file(file, progress=progress)
        except ImportRefused as refused:
            raise CommandError(str(refused)) from refused
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        for message in report.kept:
            self.stderr.write(self.style.WARNING(message))
        self.stdout.write(self.style.SUCCESS(f"Imported {report.summary()}."))
