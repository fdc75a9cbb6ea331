"""Sending at most once across task tries: the send ledgers, the deliverer and the look-up of lost LegallyMail sends."""
