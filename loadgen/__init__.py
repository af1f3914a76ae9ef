"""The load generator: what runs inside Locust, for locustfile.py.

Measurement windows, server probes, the experiment shapes and the typed step
log they write. It imports the shared core (scoring/) and Locust, never the
harness, so the Locust image installs it without the rest of the project.
"""
