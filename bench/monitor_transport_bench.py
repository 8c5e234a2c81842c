"""Transport benchmark: the planning monitor's calls over gRPC against sahab's framed Unix socket.

Why the planner does not use gRPC itself (docs/decisions.md): the program makes one monitor call
per resource, so the client's cost per call lands on every plan. This sends N RegisterResource
calls (a request the size of a typical one, with a 15-frame stack trace) from 1 and 6 threads (the
SDK's executor) to a server in another process that answers at once, over
``grpc.insecure_channel("unix:...")`` and over :class:`sahab.planner.harness.channel.Stub` against
:class:`sahab.planner.monitor_server.MonitorServer`, and prints the client's wall and CPU time.

    .venv/bin/python bench/monitor_transport_bench.py            # 5,000 calls
    .venv/bin/python bench/monitor_transport_bench.py --calls 20000
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Tuple

WORKERS = (1, 6)


def _request():
    from pulumi.runtime.proto import resource_pb2, source_pb2

    frames = [source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri="file:///work/app/infra/module_%d.py" % i, line=40 + i))
              for i in range(15)]
    request = resource_pb2.RegisterResourceRequest(
        type="aws:s3/bucket:Bucket", name="data-bucket", parent="urn:pulumi:dev::app::pulumi:pulumi:Stack::app-dev",
        custom=True, stackTrace=source_pb2.StackTrace(frames=frames))
    request.object.update({"bucket": "data-bucket", "tags": {"team": "ml", "env": "dev"}, "forceDestroy": False})
    return request


def _grpc_server(address: str, ready) -> None:
    from concurrent import futures

    import grpc
    from pulumi.runtime.proto import resource_pb2, resource_pb2_grpc

    class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
        def RegisterResource(self, request, context):  # noqa: N802 - gRPC method name
            return resource_pb2.RegisterResourceResponse(urn="urn:pulumi:dev::app::" + request.type + "::" + request.name)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(Monitor(), server)
    server.add_insecure_port("unix:" + address)
    server.start()
    ready.set()
    server.wait_for_termination()


def _framed_server(address: str, ready) -> None:
    from pulumi.runtime.proto import resource_pb2

    from sahab.planner.monitor_server import MonitorServer

    def register(payload: bytes) -> bytes:
        request = resource_pb2.RegisterResourceRequest.FromString(payload)
        return resource_pb2.RegisterResourceResponse(urn="urn:pulumi:dev::app::" + request.type + "::" + request.name
                                                     ).SerializeToString()

    with MonitorServer(address) as server:
        server.serve({"RegisterResource": register})
        ready.set()
        time.sleep(3600)


def _measure(call: Callable[[], object], calls: int, workers: int) -> Tuple[float, float]:
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: call(), range(calls)))
    after = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - start, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    calls = parser.parse_args().calls
    request = _request()
    folder = tempfile.mkdtemp(prefix="sahab-transport-")
    print("python %s, %d CPUs, %d RegisterResource calls of %d bytes each"
          % (sys.version.split()[0], os.cpu_count() or 0, calls, request.ByteSize()))
    print("%-8s %8s %8s %8s %12s" % ("client", "threads", "wall s", "CPU s", "CPU ms/call"))
    context = multiprocessing.get_context("spawn")
    for name, serve in (("grpc", _grpc_server), ("framed", _framed_server)):
        address = os.path.join(folder, name + ".sock")
        ready = context.Event()
        server = context.Process(target=serve, args=(address, ready), daemon=True)
        server.start()
        try:
            ready.wait(60)
            call = _client(name, address, request)
            call()  # connect once before measuring
            for workers in WORKERS:
                wall, cpu = _measure(call, calls, workers)
                print("%-8s %8d %8.2f %8.2f %12.3f" % (name, workers, wall, cpu, 1000 * cpu / calls))
        finally:
            server.kill()
            server.join()
    return 0


def _client(name: str, address: str, request) -> Callable[[], object]:
    if name == "grpc":
        import grpc
        from pulumi.runtime.proto import resource_pb2_grpc

        stub = resource_pb2_grpc.ResourceMonitorStub(grpc.insecure_channel("unix:" + address))
    else:
        from sahab.planner.harness.channel import Stub, message_types

        stub = Stub(address, message_types())
    return lambda: stub.RegisterResource(request)


if __name__ == "__main__":
    sys.exit(main())
