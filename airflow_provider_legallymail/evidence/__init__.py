"""Keeping the legal evidence: certificates, signed documents and actas, downloaded, verified and archived."""
