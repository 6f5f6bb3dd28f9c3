"""Background work: rq jobs on Redis, the timer sweeper, and an in-process runner for the embedded
default. Jobs stay thin: each calls one use case in :mod:`engine.services`."""
