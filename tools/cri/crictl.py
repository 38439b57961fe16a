#!/usr/bin/python3
"""A small CRI client with crictl's command line and output, for machines where crictl cannot be had.

Run it through `tools/cri.sh ctl ARGS...`, which points it at the node's containerd and at the
runtime.v1 Python module compiled from tools/cri/runtime_v1.proto. Commands (crictl's syntax):

  version | info
  runp [--runtime|-r H] POD.json                 prints the pod id
  create POD CTR.json POD.json                   prints the container id (images are never pulled)
  start|stop [-t N]|rm [-f] [-a] ID...           prints each id
  stopp ID... | rmp [-f] [-a] ID...              "Stopped sandbox ID" / "Removed sandbox ID"
  exec [-s] [-i] [-t] [--timeout N] ID CMD...    stdout/stderr, exit status passed through
  logs [--tail N] [-t] [-f] ID
  stats [-a] [-o json|yaml|table] [--id ID] [-p POD] [ID]
  images [-q] [-o json|yaml] [--no-trunc] [REPO[:TAG]]
  update [--cpu-period N --cpu-quota N --cpu-share N --cpuset-cpus S --cpuset-mems S --memory N] ID...
  inspect ID... | inspectp ID... | inspecti IMAGE...     JSON, as crictl's default
  ps [-a] [-q] [-p POD] [--name RE] [--state S] [-o json] | pods [-q] [--name RE] [--state S] [-o json]

Where it differs from crictl, on purpose:
  - `exec -s` exits with the command's status (crictl >= 1.24 prints an error and exits 1 instead);
    stdout and stderr are printed as crictl does, each followed by a newline, both on stdout.
  - exec streams over the WebSocket flavour of the Kubernetes streaming protocol (v4.channel.k8s.io),
    which containerd's streaming server accepts beside SPDY; crictl uses SPDY by default. With
    `-i` but no `-t`, the end of stdin cannot be signalled over v4 (only v5 has a close channel).
  - create never pulls (nothing can be pulled here); `--with-pull` is refused.
"""
import base64
import datetime
import fcntl
import hashlib
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import termios
import time
import tty
import urllib.parse
import uuid

import grpc
from google.protobuf import json_format

sys.path.insert(0, os.environ.get("CRI_PY", os.path.join(os.path.dirname(__file__), "gen")))
import runtime_v1_pb2 as pb  # noqa: E402  (generated at setup from runtime_v1.proto)

TRUNC = 13


class Fatal(Exception):
    """An error that ends the command: printed as crictl (logrus) prints its fatal errors."""


def fatal_line(msg):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return 'time="%s" level=fatal msg=%s' % (now, json.dumps(msg))


def rpc_text(e):
    """grpc-go's error text: `rpc error: code = NotFound desc = ...`."""
    name = "".join(w.capitalize() for w in e.code().name.split("_"))
    fixes = {"Ok": "OK", "Cancelled": "Canceled"}
    return "rpc error: code = %s desc = %s" % (fixes.get(name, name), e.details())


# ---------------------------------------------------------------------------------------------------
# gRPC


class Client:
    def __init__(self, endpoint, timeout):
        if endpoint.startswith("unix://"):
            target = endpoint
        elif endpoint.startswith("/"):
            target = "unix://" + endpoint
        else:
            target = endpoint
        self.channel = grpc.insecure_channel(target)
        self.timeout = timeout

    def call(self, method, req, what, service="RuntimeService"):
        resp_cls = getattr(pb, method + "Response")
        stub = self.channel.unary_unary(
            "/runtime.v1.%s/%s" % (service, method),
            request_serializer=type(req).SerializeToString,
            response_deserializer=resp_cls.FromString,
        )
        try:
            return stub(req, timeout=self.timeout)
        except grpc.RpcError as e:
            raise Fatal("%s: %s" % (what, rpc_text(e))) from None

    def image(self, method, req, what):
        return self.call(method, req, what, service="ImageService")


# ---------------------------------------------------------------------------------------------------
# Argument parsing in urfave/cli's manner: flags first (long or short, `--f v` or `--f=v`, short bools
# may be combined: -it), then positional arguments; the first positional stops flag parsing.


def parse(args, bools=(), values=(), aliases=None):
    aliases = aliases or {}
    flags, rest = {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i + 1:])
            break
        if not a.startswith("-") or a == "-":
            rest.extend(args[i:])
            break
        name, eq, val = a.lstrip("-").partition("=")
        names = [name]
        if not a.startswith("--") and len(name) > 1 and not eq:
            names = list(name)  # -it
        for n in names:
            n = aliases.get(n, n)
            if n in bools:
                flags[n] = True
            elif n in values:
                if eq:
                    flags[n] = val
                else:
                    i += 1
                    if i >= len(args):
                        raise Fatal("flag needs an argument: -%s" % n)
                    flags[n] = args[i]
            else:
                raise Fatal("flag provided but not defined: -%s" % n)
        i += 1
    return flags, rest


def load_config(path, cls):
    """A pod or container config in crictl's format: JSON (or YAML) with the API's field names."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        raise Fatal("config at %s not found" % path) from None
    try:
        data = json.loads(text)
    except ValueError:
        import yaml  # python3-yaml; crictl also takes YAML

        data = yaml.safe_load(text)
    msg = cls()
    try:
        json_format.ParseDict(data, msg, ignore_unknown_fields=True)
    except json_format.ParseError as e:
        raise Fatal("load %s: %s" % (path, e)) from None
    if not msg.HasField("metadata"):
        raise Fatal("metadata is not set")
    return msg


def load_pod_config(path):
    cfg = load_config(path, pb.PodSandboxConfig)
    if not cfg.metadata.uid:
        cfg.metadata.uid = str(uuid.uuid4())
    if not cfg.metadata.name or not cfg.metadata.namespace:
        raise Fatal("name or namespace is not in metadata %s" % json.dumps(json_format.MessageToDict(cfg.metadata)))
    return cfg


def load_container_config(path):
    cfg = load_config(path, pb.ContainerConfig)
    if not cfg.metadata.name:
        raise Fatal("name is not in metadata %s" % json.dumps(json_format.MessageToDict(cfg.metadata)))
    return cfg


# ---------------------------------------------------------------------------------------------------
# Output helpers


def to_json(msg):
    return json_format.MessageToJson(msg, including_default_value_fields=True, indent=2)


def to_dict(msg):
    return json_format.MessageToDict(msg, including_default_value_fields=True)


def emit(msg, fmt):
    if fmt == "yaml":
        import yaml

        print(yaml.safe_dump(to_dict(msg), default_flow_style=False))
    else:
        print(to_json(msg))


def table(rows, minwidth=20, padding=3):
    """Go's text/tabwriter with crictl's settings (minwidth 20, padding 3, last cell unpadded)."""
    if not rows:
        return
    ncols = max(len(r) for r in rows)
    widths = [0] * ncols
    for r in rows:
        for i, c in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(c) + padding, minwidth)
    for r in rows:
        line = "".join(c.ljust(widths[i]) for i, c in enumerate(r[:-1])) + r[-1]
        print(line)


def human_size(size, precision=3):
    """docker/go-units HumanSizeWithPrecision: decimal units, %.*g."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    i = 0
    size = float(size)
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return "%.*g%s" % (precision, size, units[i])


def trunc(id_, prefix=""):
    if prefix and id_.startswith(prefix):
        id_ = id_[len(prefix):]
    return id_[:TRUNC]


def rfc3339(ns):
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    frac = ("%09d" % (ns % 10**9)).rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def ago(ns):
    secs = max(0, int(time.time() - ns / 1e9))
    for unit, n in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if secs >= n:
            return "%d %s ago" % (secs // n, unit)
    return "%d seconds ago" % secs if secs > 1 else "About a second ago"


# ---------------------------------------------------------------------------------------------------
# Pods


def cmd_runp(c, args):
    fl, rest = parse(args, values=("runtime", "cancel-timeout"), aliases={"r": "runtime", "T": "cancel-timeout"})
    if len(rest) != 1:
        raise Fatal("usage: runp [--runtime H] pod-config.json")
    cfg = load_pod_config(rest[0])
    req = pb.RunPodSandboxRequest(config=cfg, runtime_handler=fl.get("runtime", ""))
    print(c.call("RunPodSandbox", req, "run pod sandbox").pod_sandbox_id)


def stop_pod(c, pod):
    c.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=pod), 'stopping the pod sandbox "%s"' % pod)
    print("Stopped sandbox %s" % pod)


def cmd_stopp(c, args):
    _, rest = parse(args)
    if not rest:
        raise Fatal("usage: stopp POD-ID [POD-ID...]")
    for pod in rest:
        stop_pod(c, pod)


def cmd_rmp(c, args):
    fl, rest = parse(args, bools=("force", "all"), aliases={"f": "force", "a": "all"})
    if fl.get("all"):
        rest = [p.id for p in c.call("ListPodSandbox", pb.ListPodSandboxRequest(), "list pods").items]
    for pod in rest:
        st = c.call("PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=pod),
                    'getting sandbox status of pod "%s"' % pod)
        if st.status.state == pb.SANDBOX_READY:
            if not fl.get("force"):
                raise Fatal('pod sandbox "%s" is running, please stop it first' % pod)
            stop_pod(c, pod)
        c.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=pod), 'removing the pod sandbox "%s"' % pod)
        print("Removed sandbox %s" % pod)


def cmd_pods(c, args):
    fl, _ = parse(args, bools=("quiet", "verbose", "no-trunc", "latest"),
                  values=("name", "namespace", "state", "id", "output"),
                  aliases={"q": "quiet", "v": "verbose", "s": "state", "o": "output", "l": "latest"})
    flt = pb.PodSandboxFilter(id=fl.get("id", ""))
    if "state" in fl:
        flt.state.state = pb.SANDBOX_READY if fl["state"].lower() == "ready" else pb.SANDBOX_NOTREADY
    items = list(c.call("ListPodSandbox", pb.ListPodSandboxRequest(filter=flt), "listing pod sandboxes").items)
    items = [p for p in items if re.search(fl.get("name", ""), p.metadata.name)
             and re.search(fl.get("namespace", ""), p.metadata.namespace)]
    items.sort(key=lambda p: -p.created_at)
    if fl.get("latest"):
        items = items[:1]
    if fl.get("output") in ("json", "yaml"):
        emit(pb.ListPodSandboxResponse(items=items), fl["output"])
        return
    if fl.get("quiet"):
        for p in items:
            print(p.id)
        return
    rows = [["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]]
    for p in items:
        rows.append([p.id if fl.get("no-trunc") else trunc(p.id), ago(p.created_at),
                     "Ready" if p.state == pb.SANDBOX_READY else "NotReady", p.metadata.name, p.metadata.namespace,
                     str(p.metadata.attempt), p.runtime_handler or "(default)"])
    table(rows)


def status_json(status, info, times):
    d = to_dict(status)
    for key, ns in times.items():
        d[key] = rfc3339(ns) if ns else "1970-01-01T00:00:00Z"
    out = {"status": d}
    for k in sorted(info):
        v = info[k]
        out[k] = json.loads(v) if v.startswith("{") else v.strip('"')
    return out


def print_statuses(results):
    print(json.dumps(results[0] if len(results) == 1 else results, indent=2))


def cmd_inspectp(c, args):
    fl, rest = parse(args, bools=("quiet",), values=("output",), aliases={"q": "quiet", "o": "output"})
    out = []
    for pod in rest:
        r = c.call("PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=pod, verbose=not fl.get("quiet")),
                   "get pod sandbox status")
        out.append(status_json(r.status, r.info, {"createdAt": r.status.created_at}))
    print_statuses(out)


# ---------------------------------------------------------------------------------------------------
# Containers


def cmd_create(c, args):
    fl, rest = parse(args, bools=("no-pull", "with-pull"), values=("cancel-timeout", "pull-timeout"),
                     aliases={"T": "cancel-timeout"})
    if len(rest) != 3:
        raise Fatal("usage: create POD container-config.json pod-config.json")
    if fl.get("with-pull"):
        raise Fatal("creating container: --with-pull: this client never pulls (import images with ctr)")
    cfg = load_container_config(rest[1])
    pod_cfg = load_pod_config(rest[2])
    if not cfg.image.user_specified_image:
        cfg.image.user_specified_image = cfg.image.image
    req = pb.CreateContainerRequest(pod_sandbox_id=rest[0], config=cfg, sandbox_config=pod_cfg)
    print(c.call("CreateContainer", req, "creating container").container_id)


def cmd_start(c, args):
    _, rest = parse(args)
    if not rest:
        raise Fatal("ID cannot be empty")
    for cid in rest:
        c.call("StartContainer", pb.StartContainerRequest(container_id=cid), 'starting the container "%s"' % cid)
        print(cid)


def stop_container(c, cid, timeout):
    c.call("StopContainer", pb.StopContainerRequest(container_id=cid, timeout=timeout),
           'stopping the container "%s"' % cid)
    print(cid)


def cmd_stop(c, args):
    fl, rest = parse(args, bools=("all",), values=("timeout",), aliases={"t": "timeout", "a": "all"})
    if fl.get("all"):
        flt = pb.ContainerFilter(state=pb.ContainerStateValue(state=pb.CONTAINER_RUNNING))
        rest = [x.id for x in c.call("ListContainers", pb.ListContainersRequest(filter=flt), "listing containers").containers]
    if not rest:
        raise Fatal("you must specify at least one CONTAINER-ID or use --all")
    for cid in rest:
        stop_container(c, cid, int(fl.get("timeout", 0)))


def cmd_rm(c, args):
    fl, rest = parse(args, bools=("force", "all", "keep-logs"), aliases={"f": "force", "a": "all", "k": "keep-logs"})
    if fl.get("all"):
        rest = [x.id for x in c.call("ListContainers", pb.ListContainersRequest(), "listing containers").containers]
    if not rest:
        raise Fatal("usage: rm [-f] CONTAINER-ID [CONTAINER-ID...]")
    for cid in rest:
        st = c.call("ContainerStatus", pb.ContainerStatusRequest(container_id=cid),
                    'getting container status "%s"' % cid).status
        if st.state == pb.CONTAINER_RUNNING:
            if not fl.get("force"):
                raise Fatal('container "%s" is running, please stop it first' % cid)
            stop_container(c, cid, 0)
        c.call("RemoveContainer", pb.RemoveContainerRequest(container_id=cid), 'removing container "%s"' % cid)
        if not fl.get("keep-logs") and st.log_path:
            try:
                os.remove(st.log_path)
            except OSError:
                pass
        print(cid)


def cmd_ps(c, args):
    fl, _ = parse(args, bools=("all", "quiet", "verbose", "no-trunc", "latest"),
                  values=("id", "pod", "name", "state", "output", "image", "namespace"),
                  aliases={"a": "all", "q": "quiet", "v": "verbose", "p": "pod", "s": "state", "o": "output",
                           "l": "latest"})
    flt = pb.ContainerFilter(id=fl.get("id", ""), pod_sandbox_id=fl.get("pod", ""))
    if "state" in fl:
        flt.state.state = pb.ContainerState.Value("CONTAINER_" + fl["state"].upper())
    elif not fl.get("all") and not fl.get("latest"):
        flt.state.state = pb.CONTAINER_RUNNING
    ctrs = list(c.call("ListContainers", pb.ListContainersRequest(filter=flt), "listing containers").containers)
    ctrs = [x for x in ctrs if re.search(fl.get("name", ""), x.metadata.name)]
    ctrs.sort(key=lambda x: -x.created_at)
    if fl.get("latest"):
        ctrs = ctrs[:1]
    if fl.get("output") in ("json", "yaml"):
        emit(pb.ListContainersResponse(containers=ctrs), fl["output"])
        return
    if fl.get("quiet"):
        for x in ctrs:
            print(x.id)
        return
    rows = [["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"]]
    pods = {}
    for x in ctrs:
        if x.pod_sandbox_id not in pods:
            try:
                pods[x.pod_sandbox_id] = c.call("PodSandboxStatus", pb.PodSandboxStatusRequest(
                    pod_sandbox_id=x.pod_sandbox_id), "pod status").status.metadata.name
            except Fatal:
                pods[x.pod_sandbox_id] = "unknown"
        nt = fl.get("no-trunc")
        rows.append([x.id if nt else trunc(x.id), x.image_ref if nt else trunc(x.image_ref, "sha256:"),
                     ago(x.created_at), pb.ContainerState.Name(x.state)[len("CONTAINER_"):].capitalize(),
                     x.metadata.name, str(x.metadata.attempt),
                     x.pod_sandbox_id if nt else trunc(x.pod_sandbox_id), pods[x.pod_sandbox_id]])
    table(rows)


def cmd_inspect(c, args):
    fl, rest = parse(args, bools=("quiet",), values=("output",), aliases={"q": "quiet", "o": "output"})
    out = []
    for cid in rest:
        r = c.call("ContainerStatus", pb.ContainerStatusRequest(container_id=cid, verbose=not fl.get("quiet")),
                   "get container status")
        s = r.status
        times = {"createdAt": s.created_at,
                 "startedAt": s.started_at if s.state != pb.CONTAINER_CREATED else 0,
                 "finishedAt": s.finished_at if s.state == pb.CONTAINER_EXITED else 0}
        out.append(status_json(s, r.info, times))
    print_statuses(out)


def cmd_update(c, args):
    ints = ("cpu-period", "cpu-quota", "cpu-share", "memory", "oom-score-adj", "cpu-count", "cpu-maximum")
    fl, rest = parse(args, values=ints + ("cpuset-cpus", "cpuset-mems"))
    if not rest:
        raise Fatal("ID cannot be empty")
    try:
        res = pb.LinuxContainerResources(
            cpu_period=int(fl.get("cpu-period", 0)), cpu_quota=int(fl.get("cpu-quota", 0)),
            cpu_shares=int(fl.get("cpu-share", 0)), memory_limit_in_bytes=int(fl.get("memory", 0)),
            oom_score_adj=int(fl.get("oom-score-adj", 0)),
            cpuset_cpus=fl.get("cpuset-cpus", ""), cpuset_mems=fl.get("cpuset-mems", ""))
    except ValueError as e:
        raise Fatal("invalid value: %s" % e) from None
    for cid in rest:
        c.call("UpdateContainerResources", pb.UpdateContainerResourcesRequest(container_id=cid, linux=res),
               'updating container resources for "%s"' % cid)
        print(cid)


# ---------------------------------------------------------------------------------------------------
# exec


def cmd_exec(c, args):
    fl, rest = parse(args, bools=("sync", "tty", "interactive"), values=("timeout", "transport"),
                     aliases={"s": "sync", "t": "tty", "i": "interactive", "r": "transport"})
    if len(rest) < 2:
        raise Fatal("usage: exec [-s] [-i] [-t] CONTAINER-ID COMMAND [ARG...]")
    cid, cmd = rest[0], rest[1:]
    timeout = int(fl.get("timeout", 0))
    if fl.get("sync"):
        req = pb.ExecSyncRequest(container_id=cid, cmd=cmd, timeout=timeout)
        if timeout:
            c.timeout = timeout + 10
        r = c.call("ExecSync", req, "execing command in container %s synchronously" % cid)
        out = sys.stdout.buffer
        out.write(r.stdout + b"\n")
        out.write(r.stderr + b"\n")
        out.flush()
        return r.exit_code
    want_tty, want_stdin = bool(fl.get("tty")), bool(fl.get("interactive"))
    if want_tty and not want_stdin:
        raise Fatal("execing command in container %s: tty=true must be specified with interactive=true" % cid)
    if want_tty and not os.isatty(0):
        raise Fatal("execing command in container %s: input is not a terminal" % cid)
    req = pb.ExecRequest(container_id=cid, cmd=cmd, tty=want_tty, stdin=want_stdin, stdout=True, stderr=not want_tty)
    url = c.call("Exec", req, "execing command in container %s" % cid).url
    try:
        return stream(url, want_stdin, want_tty)
    except (OSError, ProtocolError) as e:
        raise Fatal("execing command in container %s: %s" % (cid, e)) from None


class ProtocolError(Exception):
    pass


WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
STDIN, STDOUT, STDERR, ERROR, RESIZE = range(5)


class WebSocket:
    """The client half of RFC 6455, as much as the Kubernetes channel protocol needs."""

    def __init__(self, url, protocol):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "ws"):
            raise ProtocolError("unsupported streaming URL %s" % url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
            % (path, u.netloc, key, protocol)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ProtocolError("streaming server closed the connection during the upgrade")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise ProtocolError("streaming server refused the upgrade: %s" % lines[0])
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != accept:
            raise ProtocolError("bad Sec-WebSocket-Accept from the streaming server")
        self.protocol = hdrs.get("sec-websocket-protocol", "")
        self.sock.settimeout(None)
        self.partial = b""
        self.closed = False

    def send(self, payload, opcode=2):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0xFE, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0xFF, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def _frame(self):
        """One complete frame from the buffer, or None."""
        b = self.buf
        if len(b) < 2:
            return None
        fin, opcode, n, off = b[0] & 0x80, b[0] & 0x0F, b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, off = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, off = struct.unpack("!Q", b[2:10])[0], 10
        mask = None
        if b[1] & 0x80:
            mask, off = b[off:off + 4], off + 4
        if len(b) < off + n:
            return None
        data = b[off:off + n]
        if mask:
            data = bytes(x ^ mask[i % 4] for i, x in enumerate(data))
        self.buf = b[off + n:]
        return fin, opcode, data

    def messages(self):
        """Read once from the socket; return the complete data messages now available."""
        chunk = self.sock.recv(65536)
        if not chunk:
            self.closed = True
            return []
        self.buf += chunk
        return self.buffered()

    def buffered(self):
        """The complete data messages already in the buffer (the upgrade's read may hold some)."""
        out = []
        while True:
            f = self._frame()
            if f is None:
                return out
            fin, opcode, data = f
            if opcode == 8:
                self.closed = True
                return out
            if opcode == 9:
                self.send(data, opcode=10)
                continue
            if opcode == 10:
                continue
            self.partial += data
            if fin:
                out.append(self.partial)
                self.partial = b""


def exit_status(err):
    """Exit status from the v4 error channel: a JSON metav1.Status (empty or Success means 0)."""
    if not err:
        return 0, None
    try:
        st = json.loads(err)
    except ValueError:
        return 1, err.decode(errors="replace")
    if st.get("status") == "Success":
        return 0, None
    for cause in (st.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", "1")), None
    return 1, st.get("message", err.decode(errors="replace"))


def stream(url, want_stdin, want_tty):
    ws = WebSocket(url, "v4.channel.k8s.io")
    if ws.protocol != "v4.channel.k8s.io":
        raise ProtocolError("streaming server chose protocol %r, want v4.channel.k8s.io" % ws.protocol)
    out, errout = sys.stdout.buffer, sys.stderr.buffer
    saved = None
    wake_r, wake_w = os.pipe()

    def send_size(*_):
        try:
            rows, cols = struct.unpack("hh", fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 4))
        except OSError:
            return
        ws.send(bytes([RESIZE]) + json.dumps({"Width": cols, "Height": rows}).encode())

    if want_tty:
        saved = termios.tcgetattr(0)
        tty.setraw(0)
        send_size()
        signal.signal(signal.SIGWINCH, lambda *_: os.write(wake_w, b"w"))
    err = b""
    pending = ws.buffered()
    try:
        watch = [ws.sock, wake_r] + ([0] if want_stdin else [])
        while not ws.closed:
            ready, _, _ = select.select(watch, [], [], 0 if pending else None)
            if wake_r in ready:
                os.read(wake_r, 64)
                send_size()
            if 0 in ready:
                data = os.read(0, 65536)
                if data:
                    ws.send(bytes([STDIN]) + data)
                else:
                    watch.remove(0)  # v4 has no way to tell the server stdin ended
            if ws.sock in ready or pending:
                msgs, pending = pending + (ws.messages() if ws.sock in ready else []), []
                for m in msgs:
                    if not m:
                        continue
                    ch, data = m[0], m[1:]
                    if ch == STDOUT:
                        out.write(data)
                        out.flush()
                    elif ch == STDERR:
                        errout.write(data)
                        errout.flush()
                    elif ch == ERROR:
                        err += data
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        ws.sock.close()
    code, msg = exit_status(err)
    if msg:
        raise Fatal(msg)
    return code


# ---------------------------------------------------------------------------------------------------
# logs, stats, images


def cmd_logs(c, args):
    fl, rest = parse(args, bools=("timestamps", "follow", "previous"), values=("tail", "since", "limit-bytes"),
                     aliases={"t": "timestamps", "f": "follow", "p": "previous"})
    if len(rest) != 1:
        raise Fatal("usage: logs [--tail N] [-t] [-f] CONTAINER-ID")
    cid = rest[0]
    path = c.call("ContainerStatus", pb.ContainerStatusRequest(container_id=cid), "get container status").status.log_path
    if not path:
        raise Fatal("The container has not set log path")
    tail = int(fl["tail"]) if "tail" in fl else -1

    def show(lines):
        for line in lines:
            parts = line.split(b" ", 3)
            if len(parts) < 3:
                continue
            ts, which, tag = parts[0], parts[1], parts[2]
            body = parts[3] if len(parts) > 3 else b""
            dest = sys.stderr.buffer if which == b"stderr" else sys.stdout.buffer
            if fl.get("timestamps"):
                dest.write(ts + b" ")
            dest.write(body + (b"" if tag == b"P" else b"\n"))
            dest.flush()

    with open(path, "rb") as f:
        data = f.read()
        lines = data.split(b"\n")
        pending = lines.pop()  # an unfinished last line
        show(lines[max(0, len(lines) - tail):] if tail >= 0 else lines)
        if not fl.get("follow"):
            return 0
        while True:
            more = f.read()
            if more:
                lines = (pending + more).split(b"\n")
                pending = lines.pop()
                show(lines)
                continue
            st = c.call("ContainerStatus", pb.ContainerStatusRequest(container_id=cid), "get container status")
            if st.status.state != pb.CONTAINER_RUNNING:
                return 0
            time.sleep(0.2)


def cmd_stats(c, args):
    fl, rest = parse(args, bools=("all",), values=("id", "pod", "output", "seconds", "label"),
                     aliases={"a": "all", "p": "pod", "o": "output", "s": "seconds"})
    flt = pb.ContainerStatsFilter(id=rest[0] if rest else fl.get("id", ""), pod_sandbox_id=fl.get("pod", ""))
    r = c.call("ListContainerStats", pb.ListContainerStatsRequest(filter=flt), "get container stats")
    stats = sorted(r.stats, key=lambda s: s.attributes.id)
    r = pb.ListContainerStatsResponse(stats=stats)
    if fl.get("output") in ("json", "yaml"):
        emit(r, fl["output"])
        return 0
    first = {s.attributes.id: s for s in r.stats}
    time.sleep(float(fl.get("seconds", 1)))
    r = c.call("ListContainerStats", pb.ListContainerStatsRequest(filter=flt), "get container stats")
    rows = [["CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES"]]
    for s in sorted(r.stats, key=lambda s: s.attributes.id):
        cpu, mem = s.cpu.usage_core_nano_seconds.value, s.memory.working_set_bytes.value
        if not fl.get("all") and cpu == 0 and mem == 0:
            continue
        old = first.get(s.attributes.id)
        perc = 0.0
        if old and cpu and s.cpu.timestamp != old.cpu.timestamp:
            perc = (cpu - old.cpu.usage_core_nano_seconds.value) / (s.cpu.timestamp - old.cpu.timestamp) * 100
        rows.append([trunc(s.attributes.id), s.attributes.metadata.name, "%.2f" % perc, human_size(mem, 4),
                     human_size(s.writable_layer.used_bytes.value, 4), str(s.writable_layer.inodes_used.value)])
    table(rows)
    return 0


def cmd_images(c, args):
    fl, rest = parse(args, bools=("quiet", "verbose", "digests", "no-trunc", "pinned"), values=("output", "filter"),
                     aliases={"q": "quiet", "v": "verbose", "o": "output", "f": "filter"})
    req = pb.ListImagesRequest(filter=pb.ImageFilter(image=pb.ImageSpec(image=rest[0] if rest else "")))
    r = c.image("ListImages", req, "listing images")

    def key(i):
        return (i.repo_tags[0] if i.repo_tags else "", i.repo_digests[0] if i.repo_digests else "", i.id)

    r = pb.ListImagesResponse(images=sorted(r.images, key=key))
    if fl.get("output") in ("json", "yaml"):
        emit(r, fl["output"])
        return 0
    if fl.get("quiet"):
        for i in r.images:
            print(i.id)
        return 0
    rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
    for i in r.images:
        name = i.repo_digests[0].split("@")[0] if i.repo_digests else "<none>"
        tags = i.repo_tags or ["%s:<none>" % name]
        for t in tags:
            repo, _, tag = t.rpartition(":")
            rows.append([repo if repo != "<none>" else name, tag, i.id if fl.get("no-trunc") else trunc(i.id, "sha256:"),
                         human_size(i.size)])
    table(rows)
    return 0


def cmd_inspecti(c, args):
    _, rest = parse(args, bools=("quiet",), values=("output",), aliases={"q": "quiet", "o": "output"})
    out = []
    for img in rest:
        r = c.image("ImageStatus", pb.ImageStatusRequest(image=pb.ImageSpec(image=img), verbose=True),
                    'image status for "%s" request' % img)
        if not r.HasField("image"):
            raise Fatal('no such image "%s" present' % img)
        out.append(status_json(r.image, r.info, {}))
    print_statuses(out)


def cmd_version(c, args):
    r = c.call("Version", pb.VersionRequest(version="v1"), "get the runtime version")
    print("Version:  0.1.0\nRuntimeName:  %s\nRuntimeVersion:  %s\nRuntimeApiVersion:  %s"
          % (r.runtime_name, r.runtime_version, r.runtime_api_version))


def cmd_info(c, args):
    r = c.call("Status", pb.StatusRequest(verbose=True), "getting status of runtime")
    out = {"status": to_dict(r.status)}
    for k in sorted(r.info):
        v = r.info[k]
        out[k] = json.loads(v) if v.startswith("{") else v.strip('"')
    print(json.dumps(out, indent=2))


COMMANDS = {
    "version": cmd_version, "info": cmd_info,
    "runp": cmd_runp, "stopp": cmd_stopp, "rmp": cmd_rmp, "pods": cmd_pods, "inspectp": cmd_inspectp,
    "create": cmd_create, "start": cmd_start, "stop": cmd_stop, "rm": cmd_rm, "ps": cmd_ps,
    "inspect": cmd_inspect, "update": cmd_update, "exec": cmd_exec, "logs": cmd_logs, "stats": cmd_stats,
    "images": cmd_images, "image": cmd_images, "img": cmd_images, "inspecti": cmd_inspecti,
}


def main(argv):
    fl, rest = parse(argv, bools=("debug",), values=("runtime-endpoint", "image-endpoint", "timeout", "config"),
                     aliases={"r": "runtime-endpoint", "i": "image-endpoint", "t": "timeout", "D": "debug",
                              "c": "config"})
    if not rest or rest[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    endpoint = fl.get("runtime-endpoint") or os.environ.get("CONTAINER_RUNTIME_ENDPOINT", "")
    if not endpoint:
        raise Fatal("no runtime endpoint: give --runtime-endpoint unix:///path/containerd.sock")
    client = Client(endpoint, float(fl.get("timeout", "120").rstrip("s")))
    return COMMANDS[rest[0]](client, rest[1:]) or 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Fatal as e:
        sys.stdout.flush()
        print(fatal_line(str(e)), file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(1)
