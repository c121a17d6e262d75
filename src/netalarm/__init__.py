"""netalarm: network alarm and disposal system for police."""

__version__ = "0.1.0"
