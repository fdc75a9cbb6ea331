"""Campaigns: one certified email or signature request per input row, checked first and sent once each."""
