"""The JSON examples of ../shared/API.md, verbatim: unit tests parse them, contract tests compare against them."""

from __future__ import annotations

from typing import Any

LM_SEND_SINGLE: dict[str, Any] = {
    "success": True,
    "message": "Email sent successfully",
    "data": {
        "tracking_id": "cm_xxx",
        "recipient": "example@example.com",
        "subject": "Test Email",
        "sent_at": "2024-01-01 12:00:00",
        "mailsender_id": "xxx",
    },
}

LM_SEND_MULTI: dict[str, Any] = {
    "success": True,
    "message": "Email sent to 2 of 2 recipients",
    "data": {
        "tracking_id": "cm_parent_abc123",
        "recipients": [
            {"email": "recipient1@example.com", "status": "sent", "tracking_id": "cm_rec1_xyz", "error_details": None},
            {"email": "recipient2@example.com", "status": "sent", "tracking_id": "cm_rec2_abc", "error_details": None},
        ],
        "subject": "Test Email",
        "sent_at": "2024-01-15 10:30:00",
        "success_count": 2,
        "fail_count": 0,
        "error_status": None,
    },
}

LM_INFO: dict[str, Any] = {
    "name": "LegallyMail API",
    "version": "1.0.0",
    "user": {
        "email": "usuario@example.com",
        "name": "Nombre Usuario",
        "plan": "professional",
        "plan_name": "Profesional",
        "plan_limit": 100,
        "extra_emails": 0,
        "remaining_emails": 75,
    },
}

LM_EMAILS: dict[str, Any] = {
    "success": True,
    "count": 2,
    "limit": 10,
    "max_limit": 25,
    "emails": [
        {
            "id": 123,
            "tracking_id": "cm_abc123",
            "recipient": "example@example.com",
            "subject": "Test Email",
            "status": "read",
            "sent_at": "2024-01-15 10:30:00",
            "read_at": "2024-01-15 11:00:00",
            "created_at": "2024-01-15 10:30:00",
            "mailsender_id": "mail_xyz789",
            "is_multi_recipient": False,
            "recipient_count": 1,
            "error_status": None,
        },
        {
            "id": 122,
            "tracking_id": "cm_def456",
            "recipient": "Multiple Recipients",
            "subject": "Group Email",
            "status": "pending",
            "sent_at": "2024-01-14 15:20:00",
            "read_at": None,
            "created_at": "2024-01-14 15:20:00",
            "mailsender_id": "mail_uvw012",
            "is_multi_recipient": True,
            "recipient_count": 5,
            "error_status": "Soft Bounce",
        },
    ],
}

LM_EMAIL: dict[str, Any] = {
    "success": True,
    "email": {
        "id": 123,
        "tracking_id": "cm_abc123",
        "recipient": "Multiple Recipients",
        "subject": "Group Email",
        "status": "pending",
        "sent_at": "2024-01-15 10:30:00",
        "read_at": None,
        "created_at": "2024-01-15 10:30:00",
        "mailsender_id": "mail_xyz789",
        "is_multi_recipient": True,
        "recipient_count": 2,
        "error_status": None,
        "certificates": [],
        "recipients": [
            {
                "email": "recipient1@example.com",
                "name": "Recipient One",
                "status": "read",
                "tracking_id": "cm_rec1_xyz",
                "sent_at": "2024-01-15 10:30:05",
                "delivered_at": "2024-01-15 10:30:10",
                "read_at": "2024-01-15 11:00:00",
                "error_details": None,
                "certificates": [
                    {
                        "certificate_type": "read",
                        "file_hash": "sha256_hash_read_1",
                        "confirmed_at": "2024-01-15 11:00:00",
                        "has_tsr": True,
                        "has_tsq": True,
                        "pdf_download_url": "https://legallymail.com/emails/download-certificate?id=cm_rec1_xyz&status=read",
                    }
                ],
            },
            {
                "email": "recipient2@example.com",
                "name": "Recipient Two",
                "status": "delivered",
                "tracking_id": "cm_rec2_abc",
                "sent_at": "2024-01-15 10:30:05",
                "delivered_at": "2024-01-15 10:30:12",
                "read_at": None,
                "error_details": "Recipient inbox full",
                "certificates": [
                    {
                        "certificate_type": "delivered",
                        "file_hash": "sha256_hash_del_2",
                        "confirmed_at": "2024-01-15 10:30:12",
                        "has_tsr": True,
                        "has_tsq": True,
                        "pdf_download_url": "https://legallymail.com/emails/download-certificate?id=cm_rec2_abc&status=delivered",
                    }
                ],
            },
        ],
    },
}

LM_SIGNATURE_SEND: dict[str, Any] = {
    "success": True,
    "message": "Signature request sent successfully",
    "data": {
        "uuid": "550e8400-e29b-41d4-a716-446655440000",
        "signer_name": "John Doe",
        "signer_email": "john.doe@example.com",
        "document_name": "Contract.pdf",
        "status": "pending",
        "created_at": "2024-01-15 10:30:00",
    },
}

LM_SIGNATURES: dict[str, Any] = {
    "success": True,
    "data": [
        {
            "uuid": "550e8400-e29b-41d4-a716-446655440000",
            "signer_name": "John Doe",
            "signer_email": "john.doe@example.com",
            "document_name": "Contract.pdf",
            "status": "signed",
            "created_at": "2024-01-15 10:30:00",
            "signed_at": "2024-01-15 11:00:00",
        }
    ],
}

LM_SIGNATURE: dict[str, Any] = {
    "success": True,
    "data": {
        "uuid": "550e8400-e29b-41d4-a716-446655440000",
        "signer_name": "John Doe",
        "signer_email": "john.doe@example.com",
        "document_name": "Contract.pdf",
        "status": "signed",
        "created_at": "2024-01-15 10:30:00",
        "signed_at": "2024-01-15 11:00:00",
        "expires_at": "2024-01-22 10:30:00",
        "document_hash": "...",
        "signed_document_hash": "...",
        "signers": [
            {
                "signer_name": "John Doe",
                "signer_email": "john.doe@example.com",
                "signer_phone": "+34600000000",
                "status": "signed",
                "signed_at": "2024-01-15 11:00:00",
            }
        ],
        "download_original_url": "https://legallymail.com/dashboard/electronic-signature/download-original/...",
        "download_acta_url": "https://legallymail.com/dashboard/electronic-signature/download-acta/...",
    },
}

LM_SMS_SEND: dict[str, Any] = {
    "success": True,
    "uuid": "...",
    "status": "sent",
    "credits_deducted": 1,
    "message": "Certified SMS sent successfully",
}

LM_SMS: dict[str, Any] = {
    "success": True,
    "data": {
        "uuid": "...",
        "recipient": "+34600000000",
        "message": "Contenido del SMS",
        "status": "delivered",
        "credits": 1,
        "sent_at": "2024-01-15 10:30:00",
        "delivered_at": "2024-01-15 10:30:05",
        "failed_at": None,
        "ts_confirmed_at": "2024-01-15 10:30:10",
        "download_certificate_url": "https://legallymail.com/dashboard/certified-sms/download-certificate/...",
    },
}

LT_TRACKING: dict[str, Any] = {"trackingId": "tr-1"}
LT_REQUEST: dict[str, Any] = {"requestId": "rq-1"}
LT_TEMPLATES: dict[str, Any] = {"count": 2, "templates": [{"name": "registration", "templateId": "cmVn"}]}
LT_TEMPLATE: dict[str, Any] = {
    "contentType": "text/html",
    "fromEmail": "noreply@example.com",
    "name": "registration",
    "subject": "Welcome",
    "body": "<p>Hello ${username}</p>",
    "tokens": ["username"],
}
LT_CONTACT_LISTS: dict[str, Any] = {
    "count": 2,
    "contactLists": [
        {
            "name": "customers",
            "description": "All customers",
            "size": 12,
            "createdOn": "2019-06-26T05:11:47.000+0000",
            "contactListId": "cl-1",
        },
        {
            "name": "leads",
            "description": "Leads",
            "size": 0,
            "createdOn": "2019-06-26T05:11:47.000+0000",
            "contactListId": "cl-2",
        },
    ],
}
LT_CONTACT: dict[str, Any] = {
    "contactListName": "customers",
    "customerId": "c-1",
    "email": "ana@example.com",
    "data": [{"name": "contact"}],
}

# Legitmailer answers exactly as the vendor docs print them (the constants above are shortened for unit tests).
LT_TEMPLATE_DOC: dict[str, Any] = {
    "contentType": "text/html",
    "fromEmail": "contact@legitmailer.com",
    "name": "registration",
    "subject": "Welcome to legitmailer",
    "body": "<h3>hi ${username},</h3>\r\n<br/>\r\nWelcome to legitmailer. Discover new things\r\n<br/>\r\n\r\n\r\n"
    "Best,<br/>\r\nTeam Legitmailer",
    "tokens": ["username"],
}
LT_CONTACT_DOC: dict[str, Any] = {
    "contactListName": "sdfsdfsdf",
    "customerId": "43223",
    "email": "contact@legitmailer.com",
    "data": [{"name": "contact"}],
}
