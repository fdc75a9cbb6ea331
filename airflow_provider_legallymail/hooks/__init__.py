"""Hooks: ``LegallyMailHook`` (hooks.legallymail) and ``LegitmailerHook`` (hooks.legitmailer)."""
