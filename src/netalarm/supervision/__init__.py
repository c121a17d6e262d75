"""Supervision: who is on duty, what they hold, and how fast the centre answers."""
