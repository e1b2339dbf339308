"""An example Nguồn plugin, written only against the documented hooks."""
