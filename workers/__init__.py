"""Background work on RQ: the Redis connection, named queues, job functions and the worker."""
