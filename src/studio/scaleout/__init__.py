"""Studio on many GPUs: Celery workers (one per GPU) behind a gateway, over Redis (issue 14).

- :mod:`~studio.scaleout.broker`: the Celery app, queues, priorities, Redis keys;
- :mod:`~studio.scaleout.records`: job records and their event streams in Redis;
- :mod:`~studio.scaleout.files`: inputs by hash and result files through Redis;
- :mod:`~studio.scaleout.task`: what a worker does with one job (the shared executor);
- :mod:`~studio.scaleout.worker`: the ``studio worker`` process;
- :mod:`~studio.scaleout.gateway`: ``studio serve --broker``'s queue backend;
- :mod:`~studio.scaleout.batches`: many packs as one batch that survives restarts;
- :mod:`~studio.scaleout.registry`: live workers, their GPUs, queues, warm models; metrics.

No Qt anywhere here; Celery and redis are imported only by these modules.
"""
