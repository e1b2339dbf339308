"""``nguon serve`` and ``nguon check``: the production server and its start-up checks."""
