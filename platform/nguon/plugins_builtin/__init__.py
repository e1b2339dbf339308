"""Plugins that ship with Nguồn; each is switched on per tenant."""
