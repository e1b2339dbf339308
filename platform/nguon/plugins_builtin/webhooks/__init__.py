"""Webhooks: POST signed JSON to a tenant's endpoints on list events, with retries."""
