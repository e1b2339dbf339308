"""Durable background jobs: procrastinate on Postgres, an in-process runner on SQLite.

- ``nguon.jobs.enqueue.enqueue(task, tenant_id, **args)``: queue a task in the caller's
  transaction (a rollback leaves no job); ``lock=``, ``queueing_lock=``, ``at=``.
- ``nguon.portal.jobs.start_reevaluation`` / ``start_person_reevaluation`` / ``get_job``:
  a unit's re-evaluation with progress in the shared store, one person's.
- ``nguon.jobs.tasks``: the tasks (``TASKS``) and periodic jobs; ``nguon worker`` runs them.
- ``nguon.jobs.stats.queue_stats``: what is waiting, running and failed.
"""
