"""motcua's entry points: the wiring (bootstrap) and the ``motcua`` command line."""
