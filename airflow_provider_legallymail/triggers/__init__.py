"""Triggers that wait for LegallyMail outcomes in the triggerer, sharing one poller per connection."""
