"""Durable background jobs: procrastinate on Postgres, an in-process runner on SQLite.

Other code enqueues with ``nguon.jobs.enqueue`` (inside its own transaction, so a job
exists only if the change that asked for it commits); ``nguon worker`` runs them.
"""
