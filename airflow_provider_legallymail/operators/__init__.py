"""Operators: LegallyMail sends (operators.legallymail) and Legitmailer sends (operators.legitmailer)."""
