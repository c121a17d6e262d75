"""Exports of an incident: the EIDO for other public-safety systems, and the printable report."""
