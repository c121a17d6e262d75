"""Exports of an incident: the printable report (and, later, EIDO)."""
