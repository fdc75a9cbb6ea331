"""Every request example of the vendor docs (/work/shared/seeds/), verbatim: method, path and JSON body text.

The bodies are the ``curl -d '...'`` texts byte for byte (the PHP, Python, Go... samples send the same
data). What the docs mark as a placeholder is listed in ``PLACEHOLDERS``: the contract tests put a real value
there (the sandbox's sample PDF, an id an earlier example returned) and send everything else unchanged.
Authentication (``YOUR_TOKEN_HERE``, ``${API-KEY}``) goes in the header, as every example shows it.

Two Legitmailer bodies are not valid JSON in the docs; ``typo`` names the one change that makes them JSON.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocRequest:
    source: str
    method: str
    path: str
    body: str | None = None
    typo: tuple[str, str] | None = None  # (as documented, as meant)

    def text(self, values: dict[str, str], *, fix_typo: bool = True) -> tuple[str, str | None]:
        """The path and body with placeholders filled in (and the typo fixed unless told otherwise)."""
        path, body = self.path, self.body
        if body is not None and self.typo is not None and fix_typo:
            body = body.replace(*self.typo)
        for placeholder, value in values.items():
            path = path.replace(placeholder, value)
            body = body.replace(placeholder, value) if body is not None else None
        return path, body


# Placeholder -> what the docs say belongs there.
PLACEHOLDERS = {
    "base64_encoded_file_content_here": "a file, base64 (the sandbox's sample PDF)",
    "BASE64_CONTENT_HERE": "the PDF to sign, base64 (the sandbox's sample PDF)",
    "cm_abc123": "a tracking id returned by POST /api/send",
    "YOUR_UUID_HERE": "a uuid returned by POST /api/signature/send",
    "uhjxzc788": "a requestId returned by POST /api/email/delayed",
}

# -- LegallyMail (000 English, 001 Spanish, 002 Italian, 003 Arabic), in the order of the docs -------------
LM_SEND_MULTI = DocRequest(
    "001/003 POST /api/send (multiple recipients)",
    "POST",
    "/api/send",
    """{
    "recipient": "recipient1@example.com, recipient2@example.com, recipient3@example.com",
    "subject": "Test Email with Multiple Recipients",
    "message": "<h1>Hello World</h1><p>This email is sent to multiple recipients.</p>",
    "attachments": [
      {
        "filename": "document.pdf",
        "content": "base64_encoded_file_content_here",
        "mime_type": "application/pdf"
      }
    ]
  }""",
)
LM_SEND_SINGLE = DocRequest(
    "000/002 POST /api/send (one recipient, attachment)",
    "POST",
    "/api/send",
    """{
"recipient": "example@example.com",
"subject": "Test Email with Attachment",
"message": "<h1>Hello World</h1><p>This email contains an attachment.</p>",
"attachments": [
{
"filename": "document.pdf",
"content": "base64_encoded_file_content_here",
"mime_type": "application/pdf"
}
]
}""",
)
LM_INFO = DocRequest("GET /api/info", "GET", "/api/info")
LM_EMAILS = DocRequest("GET /api/emails", "GET", "/api/emails?limit=10")
LM_EMAIL = DocRequest("GET /api/email", "GET", "/api/email?tracking_id=cm_abc123")
LM_SIGNATURE_SEND = DocRequest(
    "001/003 POST /api/signature/send",
    "POST",
    "/api/signature/send",
    """{
    "signer_name": "John Doe",
    "signer_email": "john.doe@example.com",
    "document": "BASE64_CONTENT_HERE",
    "document_name": "Contract.pdf",
    "language": "es"
  }""",
)
LM_SIGNATURE_SEND_MULTI = DocRequest(
    "001/003 POST /api/signature/send (several signers)",
    "POST",
    "/api/signature/send",
    """{
    "signers": [
        {"name": "Firmante 1", "email": "firmante1@example.com"},
        {"name": "Firmante 2", "email": "firmante2@example.com", "phone": "+34600000000"}
    ],
    "document": "BASE64_CONTENT_HERE",
    "document_name": "Contract.pdf",
    "language": "es"
  }""",
)
LM_SIGNATURES = DocRequest("GET /api/signatures", "GET", "/api/signatures?limit=10")
LM_SIGNATURE = DocRequest("GET /api/signature", "GET", "/api/signature?uuid=YOUR_UUID_HERE")

LEGALLYMAIL = (
    LM_SEND_MULTI,
    LM_SEND_SINGLE,
    LM_INFO,
    LM_EMAILS,
    LM_EMAIL,
    LM_SIGNATURE_SEND,
    LM_SIGNATURE_SEND_MULTI,
    LM_SIGNATURES,
    LM_SIGNATURE,
)  # The SMS endpoints have no request example.

# -- Legitmailer (004), in the order of the docs -------------------------------------------------------------
_CONTACT = "/api/contactlist/c2Rmc2Rmc2Rm/contact/43223"
LT_SEND = DocRequest(
    "POST /api/email",
    "POST",
    "/api/email",
    """{ "validate": "true",
"fromAddress":"info@legitmailer.com",
"toAddress":"contact@legitmailer.com",
"subject":"hello",
"body":"FYI",
"contentType":"text/plain"
}""",
)
LT_SEND_TEMPLATE = DocRequest(
    "POST /api/email/template",
    "POST",
    "/api/email/template",
    """{ "validate": "false",
"template":"welcome",
"email":"contact@legitmailer.com",
"tokenMap":{
"name": "legitmailer"
}
}""",
)
LT_BATCH = DocRequest(
    "POST /api/batch/email/template",
    "POST",
    "/api/batch/email/template",
    """{
"validate": "true",
"template": "registration",
"emailList":[
{
"email": "contact@legitmailer.com",
"tokenMap":{
"username" :"legitmailer"
}
}
]
}""",
)
LT_QUEUE = DocRequest(
    "POST /api/email/delayed",
    "POST",
    "/api/email/delayed",
    """{
"validate": "true",
"fromAddress":"info@legitmailer.com",
"toAddress":"contact@legitmailer.com",
"subject":"hello",
"body":"FYI",
"contentType":"text/plain",
"delay":300
}""",
)
LT_QUEUE_TEMPLATE = DocRequest(
    "POST /api/email/template/delayed",
    "POST",
    "/api/email/template/delayed",
    """{ "validate": "false",
"template":"welcome",
"email":"contact@legitmailer.com",
"delay":300
"tokenMap":{
"name": "legitmailer"
}
}""",
    typo=('"delay":300\n', '"delay":300,\n'),
)
LT_CANCEL = DocRequest("DELETE /api/email/delayed/{requestId}", "DELETE", "/api/email/delayed/uhjxzc788")
LT_TEMPLATES = DocRequest("GET /api/template/list", "GET", "/api/template/list")
LT_TEMPLATE = DocRequest("GET /api/template/{templateId}", "GET", "/api/template/cmVnaXN0cmF0aW9u")
LT_CONTACT_LISTS = DocRequest("GET /api/contactlist", "GET", "/api/contactlist")
LT_ADD_CONTACT = DocRequest(
    "POST /api/contactlist/{contactListId}/contact/{customerId}",
    "POST",
    _CONTACT,
    """{
"email": "contact@legitmailer.com",
"data":[
{
"name": "contact"
}
]
}""",
)
LT_GET_CONTACT = DocRequest("GET /api/contactlist/{contactListId}/contact/{customerId}", "GET", _CONTACT)
LT_UPDATE_CONTACT = DocRequest(
    "PUT /api/contactlist/{contactListId}/contact/{customerId}",
    "PUT",
    _CONTACT,
    """{
"email": "info@legitmailer.com",
"data": [
{
"name": "info"
}
}""",
    typo=("}\n}", "}\n]\n}"),
)
LT_DELETE_CONTACT = DocRequest("DELETE /api/contactlist/{contactListId}/contact/{customerId}", "DELETE", _CONTACT)

LEGITMAILER = (
    LT_SEND,
    LT_SEND_TEMPLATE,
    LT_BATCH,
    LT_QUEUE,
    LT_QUEUE_TEMPLATE,
    LT_CANCEL,
    LT_TEMPLATES,
    LT_TEMPLATE,
    LT_CONTACT_LISTS,
    LT_ADD_CONTACT,
    LT_GET_CONTACT,
    LT_UPDATE_CONTACT,
    LT_DELETE_CONTACT,
)
