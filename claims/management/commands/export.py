"""Write the whole database as NDJSON (docs/interchange.md)."""

from django.core.management.base import BaseCommand

from claims.interchange import export_lines


class Command(BaseCommand):
    help = (
        "Export every author, topic, source (with its text), passage, claim, citation and "
        "corpus-loader record as NDJSON, one record per line, in a fixed order: importing it "
        "into an empty database and exporting again gives the same bytes."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to write, or - for standard output")

    def handle(self, *args, path: str, **options):
        progress = self.stderr.write
        if path == "-":
            reconfigure = getattr(self.stdout, "reconfigure", None)  # a real stdout
            if reconfigure:
                reconfigure(encoding="utf-8")  # the file is UTF-8, whatever the locale
            self.write(self.stdout, progress)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as file:
                self.write(file, progress)

    def write(self, file, progress) -> None:
        for line in export_lines(progress=progress):
            file.write(line)
        file.flush()
