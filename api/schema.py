"""Schema helpers: the error responses every operation can give, path ids described."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse

from api.errors import ERROR_DESCRIPTIONS, ERROR_EXAMPLES, ErrorSerializer


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error responses every operation can give."""

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
        if self.method == "DELETE":
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
                response = OpenApiResponse(
                    ErrorSerializer,
                    description=ERROR_DESCRIPTIONS[code],
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
    return result
