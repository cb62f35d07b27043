# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP side: the ESB front (/api/c/compapi/v2/cc/<api>/), the control API (/__sim__/) and `Simulator`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import esb
from .errors import ApiError
from .faults import replaces_reply
from .handlers import HANDLERS
from .state import State

API_PREFIX = "/api/c/compapi/v2/cc/"
CONTROL_PREFIX = "/__sim__/"
NOT_FOUND_PAGE = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"


class _NoRoute(Exception):
    """No control endpoint for this method and path."""


class Reply:
    """An HTTP reply to write: status, headers and the body bytes."""

    def __init__(self, status=200, body=b"", content_type="application/json", headers=None):
        if isinstance(body, (dict, list)) or body is None:
            body = json.dumps(body, ensure_ascii=False)
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = {"Content-Type": content_type}
        self.headers.update(headers or {})


def api_name(path: str):
    """The ESB component name in an API path, or None for any other path."""
    if not path.startswith(API_PREFIX):
        return None
    name = path[len(API_PREFIX):].strip("/")
    return name if name and "/" not in name else None


def call_api(state: State, api: str, raw_body: str) -> Reply:
    """What the ESB answers to one POST: always HTTP 200, success or failure envelope."""
    try:
        if api not in HANDLERS:
            raise esb.component_not_found(api)
        body = esb.parse_body(raw_body)
        with state.lock:
            data = HANDLERS[api](state, esb.authenticate(state, api, body))
        return Reply(body=esb.success(data))
    except ApiError as exc:
        return Reply(body=esb.failure(exc))
    except Exception:  # pylint: disable=broad-exception-caught
        # A simulator bug must be loud in the test that hit it, not a hung client.
        return Reply(500, "simulator error:\n" + traceback.format_exc(), "text/plain")


def canned_reply(fault: dict) -> Reply:
    status = fault.get("status", 200)
    if "envelope" in fault:
        body = {"result": False, "code": 1306000, "message": "", "permission": None, "request_id": esb.request_id(), "data": None}
        body.update(fault["envelope"])
        if esb.is_esb_code(body["code"]) and "permission" not in fault["envelope"]:
            # The ESB's own failures carry no permission key (contract §1.2); only CMDB's replies do.
            del body["permission"]
        return Reply(status, body, fault.get("content_type", "application/json"), fault.get("headers"))
    body = fault.get("body", "")
    default_type = "text/plain" if isinstance(body, str) else "application/json"
    return Reply(status, body, fault.get("content_type", default_type), fault.get("headers"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Tests restart simulators quickly; don't wait for TIME_WAIT.
    allow_reuse_address = True
    # socketserver's default backlog of 5 overflows when a client opens many connections at
    # once (parallel workers, a burst of retries): the kernel then resets them or retries the
    # SYN after ~1 s. A real server's backlog is far larger.
    request_queue_size = 128

    def __init__(self, address, simulator):
        self.simulator = simulator
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        # Clients that hang up, time out or refuse our certificate are part of the tests.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bk-cmdb-sim"
    # Headers and body are written separately; without this Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            # The handshake runs here, in this connection's thread, so a stuck client blocks no one.
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.request)

    def finish(self):
        with self.server.connections_lock:
            self.server.connections.discard(self.request)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Request details are in the request log; stderr stays quiet.
        pass

    def do_GET(self):  # pylint: disable=invalid-name
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, reply: Reply):
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _serve(self):
        raw_body = self._read_body().decode("utf-8", errors="replace")
        url = urlsplit(self.path)
        if url.path.startswith(CONTROL_PREFIX):
            self._write(self.server.simulator.control(self.command, url, raw_body))
            return
        reply = self._answer(url.path, raw_body)
        if reply is None:
            self.close_connection = True
        else:
            self._write(reply)

    def _answer(self, path, raw_body):
        """Log the request, apply a queued fault, answer; None means drop the connection."""
        simulator = self.server.simulator
        state = simulator.state
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            body = None
        api = api_name(path)
        entry = state.log_request({
            "method": self.command, "path": path, "api": api, "headers": dict(self.headers.items()),
            "body": body, "raw_body": raw_body, "status": None,
        })
        fault = state.next_fault(api) if api else None
        # "apply" commits before the delay: a server that finished the work and whose answer is
        # late or lost, the case a client that timed out must settle by reading the state back.
        handled = self._handle(api, raw_body) if fault and fault.get("apply") else None
        if fault and fault.get("delay"):
            # Wakes early when the simulator stops, so stop() never waits out a long delay.
            if simulator.stopping.wait(fault["delay"]):
                return None
        if fault and replaces_reply(fault):
            if fault.get("drop"):
                return None
            reply = canned_reply(fault)
        else:
            reply = handled if handled is not None else self._handle(api, raw_body)
        with state.lock:
            entry["status"] = reply.status
        return reply

    def _handle(self, api, raw_body) -> Reply:
        if api is None:
            return Reply(404, NOT_FOUND_PAGE, "text/html")
        if self.command != "POST":
            return Reply(405, "405: Method Not Allowed", "text/plain")
        return call_api(self.server.simulator.state, api, raw_body)


class Simulator:
    """A BlueKing CMDB behind its ESB, on 127.0.0.1, for tests and demos (see README.md)."""

    def __init__(self, state: dict | None = None, tls: bool = False, ca_file: str | None = None):
        self.state = State(state)
        self.tls = tls
        self.url = None
        self.ca_file = None
        self._ca_file_wanted = ca_file
        self._temp_dir = None
        self._server = None
        self._thread = None
        self.stopping = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, port: int = 0) -> Simulator:
        """Listen on 127.0.0.1 (only), on `port` or a free one, and serve in a daemon thread."""
        self.stopping.clear()
        server = _Server(("127.0.0.1", port), self)
        if self.tls:
            server.socket = self._tls_context().wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        scheme = "https" if self.tls else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, server.server_address[1])
        # stop() waits up to one poll interval; tests start and stop a simulator per test.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="bk-cmdb-sim", daemon=True)
        self._thread.start()
        return self

    def _tls_context(self):
        # Imported here so the plain-HTTP simulator needs nothing outside the standard library.
        import trustme  # pylint: disable=import-outside-toplevel

        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        if self._ca_file_wanted:
            self.ca_file = os.path.abspath(self._ca_file_wanted)
        else:
            self._temp_dir = tempfile.mkdtemp(prefix="bk-cmdb-sim-")
            self.ca_file = os.path.join(self._temp_dir, "ca.pem")
        authority.cert_pem.write_to_path(self.ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        return context

    def stop(self) -> None:
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        with self._server.connections_lock:
            connections = list(self._server.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # --- test API -------------------------------------------------------------------------

    def requests(self, api: str | None = None) -> list[dict]:
        return self.state.requests(api)

    def clear_requests(self) -> None:
        self.state.clear_requests()

    def queue_faults(self, api: str, faults: list[dict]) -> None:
        self.state.queue_faults(api, faults)

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def add_instances(self, bk_obj_id: str, records: list[dict], supplier_account: str = "0") -> list[int]:
        """Store records as given (no validation), assigning ids and timestamps; returns the ids."""
        with self.state.lock:
            if self.state.model(bk_obj_id) is None:
                raise ValueError("unknown model %r" % (bk_obj_id,))
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise ValueError("records must be a list of objects")
            id_field = self.state.id_field(bk_obj_id)
            return [self.state.insert(bk_obj_id, r, supplier_account)[id_field] for r in records]

    def add_association(self, obj_id, inst_id, asst_obj_id, asst_inst_id, bk_asst_id="connect", supplier_account="0") -> dict:
        with self.state.lock:
            return dict(self.state.add_association(obj_id, inst_id, asst_obj_id, asst_inst_id, bk_asst_id, supplier_account))

    def bind_host(self, bk_host_id: int, bk_module_id: int, supplier_account: str = "0") -> None:
        """Put a host into a module (what blocks deleting a custom mainline instance above it)."""
        with self.state.lock:
            self.state.bind_host(bk_host_id, bk_module_id, supplier_account)

    def instance_ids(self, bk_obj_id: str, supplier_account: str = "0") -> list[int]:
        with self.state.lock:
            return sorted(self.state.instances.get(str(supplier_account), {}).get(bk_obj_id, {}))

    def instance(self, bk_obj_id: str, inst_id: int, supplier_account: str = "0") -> dict | None:
        with self.state.lock:
            record = self.state.find(bk_obj_id, inst_id, supplier_account)
            return dict(record) if record is not None else None

    def dump(self) -> dict:
        return self.state.dump()

    def load(self, data: dict) -> None:
        self.state.load(data)

    # --- control API over HTTP ------------------------------------------------------------

    def control(self, method: str, url, raw_body: str) -> Reply:
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
            return Reply(body=self._control(method, url.path[len(CONTROL_PREFIX):].strip("/"), parse_qs(url.query), body))
        except _NoRoute as exc:
            return Reply(404, {"error": str(exc)})
        except KeyError as exc:
            return Reply(400, {"error": "missing key %s" % exc})
        except (ValueError, TypeError) as exc:
            return Reply(400, {"error": str(exc)})

    def _control(self, method, resource, params, body):  # pylint: disable=too-many-return-statements
        route = (method, resource)
        if route == ("GET", "requests"):
            return self.requests(params.get("api", [None])[0])
        if route == ("DELETE", "requests"):
            self.clear_requests()
        elif route == ("POST", "faults"):
            self.queue_faults(body["api"], body["faults"])
        elif route == ("DELETE", "faults"):
            self.clear_faults()
        elif route == ("GET", "state"):
            return self.dump()
        elif route == ("PUT", "state"):
            self.load(body)
        elif route == ("POST", "instances"):
            return {"ids": self.add_instances(body["bk_obj_id"], body["records"], str(body.get("bk_supplier_account", "0")))}
        elif route == ("GET", "instances"):
            return {"ids": self.instance_ids(params["bk_obj_id"][0], params.get("bk_supplier_account", ["0"])[0])}
        elif route == ("POST", "associations"):
            return self.add_association(
                body["bk_obj_id"], body["bk_inst_id"], body["bk_asst_obj_id"], body["bk_asst_inst_id"], body.get("bk_asst_id", "connect"),
            )
        elif route == ("POST", "host_modules"):
            # The only way to give a CLI-started simulator a host below a custom mainline level (1101030).
            self.bind_host(body["bk_host_id"], body["bk_module_id"], str(body.get("bk_supplier_account", "0")))
        else:
            raise _NoRoute("no control endpoint %s /__sim__/%s" % route)
        return {"ok": True}
