"""Notifiers for task and DAG callbacks: LegallyMail certified email and SMS (notifications.legallymail)."""
