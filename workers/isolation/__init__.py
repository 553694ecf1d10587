"""Running untrusted bytes where a crash, a hang or a memory blow-up costs one job.

`pool.IsolationPool` keeps warm child processes (fresh interpreters, never forks of a threaded
worker) that run `pipeline.run.process_chunk` and a document's sniff, chunk and plan under a
wall-clock deadline and an address-space limit; `runners.make_runner(settings, …)` picks it or
the in-process runner (`GREENHOUSE_ISOLATION=off`). Nothing is imported here: a child imports
`workers.isolation.child` before PyMuPDF is set up.
"""
