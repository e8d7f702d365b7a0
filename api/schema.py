"""Schema helpers: resource tags, exact response components, every error, path ids."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object, force_instance
from drf_spectacular.utils import OpenApiResponse

from api.errors import ERROR_DESCRIPTIONS, ERROR_EXAMPLES, ErrorSerializer
from api.filters import non_empty

# A schema says what a request looks like, not which records exist or what a text says.
REFUSED_ON_MERITS = (
    "Also for a well-formed request refused on its merits: an id or slug that names no "
    "record, a quote that is not in the source text, a status change the workflow does not "
    "allow, a period that ends before it starts."
)

# Operations under these paths are tagged apart from the resource their path starts with.
PATH_TAGS = {("claims", "lookup"): "lookup", ("claims", "check-document"): "lookup"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error responses every operation can give.

    Operations are tagged by the resource their path names (`claims`, `sources`…).
    Response components mark as required every property the API always returns: a
    serializer writes each of its fields, whatever their `required` says about input.
    A serializer whose output leaves some out names them in `optional_in_response`.
    """

    def get_tags(self):
        tokens = self._tokenize_path()
        return [PATH_TAGS.get(tuple(tokens[:2]), tokens[0] if tokens else "api")]

    def _get_filter_parameters(self):
        return non_empty(super()._get_filter_parameters())  # an empty filter value is a 400

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            optional = getattr(force_instance(serializer), "optional_in_response", ())
            required = [name for name in schema["properties"] if name not in optional]
            if required:
                schema["required"] = required
        return schema

    def get_auth(self):
        auths = super().get_auth()
        anonymous = any(
            getattr(permission, "allows_anonymous", lambda method: False)(self.method)
            for permission in self.view.get_permissions()
        )
        if anonymous and {} not in auths:
            auths.append({})  # credentials are optional here
        return auths

    def _error_codes(self) -> list[str]:
        codes = ["400", "404", "405", "406", "414", "429"]
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes += ["401", "403", "415"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("413")
        elif not settings.CLAIMBASE_PUBLIC_READS:
            codes += ["401", "403"]
        if self.method in ("DELETE", "PATCH"):
            codes.append("409")
        if getattr(self.view, "versioned", False):
            if self.method in ("PATCH", "DELETE") or (
                self.method == "POST" and self.view.action in ("retract", "reinstate")
            ):
                codes += ["412", "428"]
            elif self.method == "POST" and "409" not in codes:
                codes.append("409")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                description = ERROR_DESCRIPTIONS[code]
                if code == "400" and self.method in ("POST", "PATCH"):
                    description += " " + REFUSED_ON_MERITS
                response = OpenApiResponse(
                    ErrorSerializer,
                    description=description,
                    examples=ERROR_EXAMPLES.get(code, []),
                )
                # Errors are JSON whatever the operation's media types (api.errors).
                responses[code] = self._get_response_for_code(
                    response, code, media_types=["application/json"]
                )
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    """The API token, documented as `tokenAuth`: `Authorization: Token <token>`."""

    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


PATH_ID_DESCRIPTIONS = {
    "claims": "The claim's public id (a UUID).",
    "citations": "The citation's numeric id.",
    "sources": "The source's numeric id.",
    "passages": "The passage's numeric id.",
    "authors": "The author's numeric id.",
}


def describe_path_ids(result, generator, request, public):
    """Schema post-processing: describe every `{id}` path parameter by its resource."""
    for path, operations in result.get("paths", {}).items():
        parts = path.strip("/").split("/")
        resource = parts[2] if len(parts) > 2 else ""
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and not parameter.get("description"):
                    parameter["description"] = PATH_ID_DESCRIPTIONS.get(resource, "Identifier.")
                if parameter["in"] == "path" and resource == "claims":
                    parameter["schema"]["format"] = "uuid"
    return result


# Where a created record leads: the operations that take its id (and its ETag as If-Match).
FOLLOW_UPS = {
    "claims": ["retrieve", "partial_update", "destroy", "history", "retract", "reinstate"],
    "citations": ["retrieve", "partial_update", "destroy"],
    "sources": ["retrieve", "partial_update", "destroy", "anchor"],
    "passages": ["retrieve"],
    "authors": ["retrieve", "partial_update", "destroy"],
}
WRITES_WITH_IF_MATCH = {"partial_update", "destroy", "retract", "reinstate"}


def link_created_records(result, generator, request, public):
    """Schema post-processing: OpenAPI links from each create to what takes the new id.

    Clients and stateful testers follow them: `POST /claims/` → `GET /claims/{id}/`,
    with the created record's `ETag` as the `If-Match` of the writes.
    """
    operation_ids = {
        operation["operationId"]
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            resource, _, action = operation["operationId"].partition("_")
            created = operation["responses"].get("201")
            if action != "create" or created is None:
                continue
            links = {}
            for follow_up in FOLLOW_UPS.get(resource, []):
                target = f"{resource}_{follow_up}"
                if target not in operation_ids:
                    continue
                parameters = {"path.id": "$response.body#/id"}
                if follow_up in WRITES_WITH_IF_MATCH:
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[follow_up] = {
                    "operationId": target,
                    "parameters": parameters,
                    "description": f"The created record's `id` as `{{id}}` of {target}.",
                }
            if links:
                created["links"] = links
    return result
