"""Input that has the JSON types the schema states: `"text": 0` is a 400, not the text "0".

DRF's fields coerce what they can (a number into a CharField, "5" into an
IntegerField); the schema promises strings and integers, so a client sending
anything else gets the same 400 from the API as from a validator of the schema.
"""

from rest_framework import relations, serializers

EXPECTED = [
    ((serializers.BooleanField,), (bool,), "Must be true or false."),
    # Each in turn takes JSON integers only (True and False are not numbers here).
    (
        (serializers.IntegerField, relations.PrimaryKeyRelatedField),
        (int,),
        "Must be a whole number.",
    ),
    (
        (
            serializers.CharField,
            serializers.ChoiceField,
            serializers.DateField,
            serializers.DateTimeField,
            relations.SlugRelatedField,
        ),
        (str,),
        "Must be a string.",
    ),
]


def type_error(field: serializers.Field, value) -> str | None:
    """Why `value` does not have the JSON type `field` takes, or None."""
    if value is None:
        return None  # null or not: the field's allow_null says
    if isinstance(field, serializers.ListField | relations.ManyRelatedField):
        if not isinstance(value, list):
            return "Must be a list."
        child = getattr(field, "child", None) or field.child_relation
        for item in value:
            if error := type_error(child, item):
                return f"Each item: {error[0].lower()}{error[1:]}"
        return None
    for kinds, types, message in EXPECTED:
        if isinstance(field, kinds):
            wrong = isinstance(value, bool) and bool not in types
            return message if wrong or not isinstance(value, types) else None
    return None


class StrictTypes:
    """A serializer mixin: a field given a value of another JSON type is a 400 naming it.

    Nested serializers that take input mix it in too; each checks its own fields.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {
                name: [error]
                for name, field in self.fields.items()
                if not field.read_only
                and field.field_name in data
                and (error := type_error(field, data[field.field_name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
