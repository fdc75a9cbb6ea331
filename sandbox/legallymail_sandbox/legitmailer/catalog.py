"""The seeded Legitmailer account: its templates (with ``${token}`` placeholders) and contact lists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from legallymail_sandbox.checks import name_id

PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Template:
    name: str
    subject: str
    body: str
    content_type: str = "text/html"
    from_email: str = "noreply@sandbox.legitmailer.test"

    @property
    def template_id(self) -> str:
        return name_id(self.name)

    @property
    def tokens(self) -> list[str]:
        return list(dict.fromkeys(PLACEHOLDER.findall(self.subject + "\n" + self.body)))

    def render(self, token_map: dict[str, str]) -> tuple[str, str]:
        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: token_map.get(m.group(1), m.group(0)), text)

        return fill(self.subject), fill(self.body)


@dataclass(frozen=True)
class ContactListSeed:
    name: str
    description: str
    columns: tuple[str, ...]
    created_on: str
    list_id: str | None = None

    @property
    def contact_list_id(self) -> str:
        """The documented id when the vendor docs show one, else an id derived from the name."""
        return self.list_id or name_id(self.name)


# ``welcome`` and ``registration`` are the templates the vendor's request examples name, with the tokens those
# examples send (``name``, ``username``); ``registration`` is the documented template detail, verbatim.
TEMPLATES = (
    Template("welcome", "Welcome aboard", "<p>Hi ${name}, welcome aboard!</p>"),
    Template(
        "registration",
        "Welcome to legitmailer",
        "<h3>hi ${username},</h3>\r\n<br/>\r\nWelcome to legitmailer. Discover new things\r\n<br/>\r\n\r\n\r\n"
        "Best,<br/>\r\nTeam Legitmailer",
        from_email="contact@legitmailer.com",
    ),
    Template(
        "contract-reminder",
        "Reminder: contract ${contract}",
        "<p>Dear ${name},</p><p>your contract ${contract} is due on ${due_date}.</p>",
    ),
)

CONTACT_LISTS = (
    ContactListSeed(
        "newsletter", "Monthly newsletter subscribers", ("first_name", "city"), "2019-06-26T05:11:47.000+0000"
    ),
    ContactListSeed("customers", "Customers with a plan", ("name", "plan"), "2019-06-25T20:18:16.000+0000"),
    # The list the vendor's contact examples address (``/api/contactlist/c2Rmc2Rmc2Rm/contact/43223``, column
    # ``name``), with the name, description and date of the documented list answer.
    ContactListSeed("first", "My first list", ("name",), "2019-06-26T05:11:47.000+0000", list_id="c2Rmc2Rmc2Rm"),
)


def template_by_name(name: str) -> Template | None:
    return next((t for t in TEMPLATES if t.name == name), None)


def template_by_id(template_id: str) -> Template | None:
    return next((t for t in TEMPLATES if t.template_id == template_id), None)


def contact_list(contact_list_id: str) -> ContactListSeed | None:
    return next((c for c in CONTACT_LISTS if c.contact_list_id == contact_list_id), None)
