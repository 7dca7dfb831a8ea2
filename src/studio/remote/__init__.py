"""Studio over the network, without Qt: the wire codec and the client of ``studio serve``.

- :mod:`studio.remote.codec`: requests and results of every job kind <-> JSON + binary blobs
  (allow-listed types only; nothing is ever unpickled).
- :mod:`studio.remote.client`: :class:`~studio.remote.client.StudioClient` (HTTP + SSE) and
  :class:`~studio.remote.client.RemoteRunner`, a runner with the local signature
  ``run(request, ctx)`` that runs the job on a server.
- :mod:`studio.remote.cli_support`: the ``--server URL --token T`` options of the CLI.
"""
