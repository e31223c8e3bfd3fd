"""A berth client in Python, from stubs generated off proto/ at test time: pulls an image from
the image service and runs a container on the runtime service over TCP + mutual TLS, without the
gateway. Prints one JSON object with what happened. Used by test/src/grpc-python.test.ts."""
import json
import sys

import grpc

cfg = json.loads(sys.argv[1])
sys.path.insert(0, cfg["stubs"])

from berth.image.v1 import image_pb2, image_pb2_grpc  # noqa: E402
from berth.runtime.v1 import runtime_pb2, runtime_pb2_grpc  # noqa: E402
from berth.types.v1 import types_pb2  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


def channel(address, with_cert=True):
    if with_cert:
        creds = grpc.ssl_channel_credentials(read(cfg["ca"]), read(cfg["key"]), read(cfg["cert"]))
    else:
        creds = grpc.ssl_channel_credentials(read(cfg["ca"]))
    return grpc.secure_channel(address, creds)


out = {}
images = image_pb2_grpc.ImagesStub(channel(cfg["image"]))
last = None
statuses = []
for progress in images.PullImage(image_pb2.PullImageRequest(reference=cfg["ref"]), timeout=60):
    statuses.append(progress.status)
    last = progress
out["image_id"] = last.image.id
out["statuses"] = statuses

containers = runtime_pb2_grpc.ContainersStub(channel(cfg["runtime"]))
spec = runtime_pb2.ContainerSpec(
    image=cfg["ref"],
    cmd=types_pb2.StringList(values=["sh", "-c", "echo from-python; exit 5"]),
    network_mode="none",
    labels={"client": "python"},
)
created = containers.CreateContainer(runtime_pb2.CreateContainerRequest(name="py-client", spec=spec), timeout=30)
cid = created.container.id
containers.StartContainer(runtime_pb2.StartContainerRequest(id=cid), timeout=30)
waited = containers.WaitContainer(runtime_pb2.WaitContainerRequest(id=cid, condition="not-running"), timeout=30)
out["exit_code"] = waited.exit_code
logs = containers.ContainerLogs(runtime_pb2.ContainerLogsRequest(id=cid, stdout=True, stderr=True, tail="all"), timeout=30)
out["logs"] = b"".join(entry.data for entry in logs).decode()
containers.RemoveContainer(runtime_pb2.RemoveContainerRequest(id=cid, force=True), timeout=30)

try:
    image_pb2_grpc.ImagesStub(channel(cfg["image"], with_cert=False)).GetImage(
        image_pb2.GetImageRequest(reference=cfg["ref"]), timeout=5
    )
    out["anonymous"] = "accepted"
except grpc.RpcError as err:
    out["anonymous"] = err.code().name

print(json.dumps(out))
