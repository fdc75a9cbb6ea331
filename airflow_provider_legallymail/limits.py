"""The documented limits of both APIs, in one place for the hooks' checks and the sandbox."""

MAX_RECIPIENTS_DEFAULT = 10
SMS_MAX_CHARS = 300
PDF_MAX_BYTES = 10 * 1024 * 1024
MAX_SIGNERS = 5
SIGNATURE_LANGUAGES = ("es", "en", "fr", "it")
LIST_LIMIT_MIN = 1
LIST_LIMIT_MAX = 25
LEGALLYMAIL_REQUESTS_PER_MINUTE = 10
LEGITMAILER_CONTENT_TYPES = ("text/html", "text/plain")
