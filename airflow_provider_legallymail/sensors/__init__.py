"""Sensors that wait for certified emails to be delivered or read, signatures signed and SMS delivered."""
