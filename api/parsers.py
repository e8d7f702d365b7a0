"""Request body parsing for the API."""

from rest_framework import exceptions, parsers


def contains_nul(data) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(contains_nul(key) or contains_nul(value) for key, value in data.items())
    if isinstance(data, list):
        return any(contains_nul(item) for item in data)
    return False


class JSONParser(parsers.JSONParser):
    """JSON, minus NUL characters, which no text column can store."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise exceptions.ParseError("JSON strings may not contain NUL characters (\\u0000).")
        return data
