"""The path prefixes the listener serves without its own bearer token, each with a check
of its own (the API's tokens, the feedback links' signatures, WebSub's per-subscription
secrets). Defined here, below the subpackages that route them, so that the early
responder (decision 0057) leaves the very same prefixes to their own checks."""

from typing import Final

API_PREFIX: Final = "/api/v1"
FEEDBACK_PREFIX: Final = "/feedback/"
WEBSUB_CALLBACK_PREFIX: Final = "/websub/"
PUBLIC_PREFIXES: Final = (API_PREFIX, FEEDBACK_PREFIX, WEBSUB_CALLBACK_PREFIX)
