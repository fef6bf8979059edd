"""The replay's gevent I/O: the modules here import `gevent` (and `sender`, Locust's exception).

`sender` (deliveries over geventhttpclient), `flight` (the bounded pool of in-flight
greenlets), `agents` (the agents' greenlets claiming and answering through the back end's API).
Imported by the Locust entry points only.
"""

__all__: list[str] = []
