"""Per-tenant plugin settings: which plugins a province switched on, and their settings."""
