"""The worker: periodic jobs (notification delivery, and the sweeps other domains add) run in a loop.

``minhu worker`` runs it in the foreground; ``minhu serve`` runs it in a background thread unless
``MINHU_IN_PROCESS_WORKER=false``. The jobs are listed in one place, ``jobs.default_jobs``.
"""
