"""Nguồn: building the source of new Party members, one province per tenant."""

__version__ = "0.1.0"
