"""motcua's domain and BPMN runtime.

Nothing in this package knows about Flask, HTTP, rq or Redis: the web application (webui/), the
background workers (workers/) and the command line (motcua/) call the use cases in
:mod:`engine.services` and pass configuration in.
"""
