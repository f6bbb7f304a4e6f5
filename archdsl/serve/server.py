"""`archdsl serve SPEC`: a local web server (127.0.0.1 only) showing the live explorer, the summary
table and the diagnostics; a thread watches the spec and the files it imports, and every re-check is
pushed to open pages as a server-sent event.

Routes: `/` the page, `/_archdsl/events` the event stream; any other path is a file of the spec's own
folder, and anything outside that folder (`..`, absolute paths, links pointing out) is 404.
"""

from __future__ import annotations

import json
import mimetypes
import queue
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..explorer.page import page
from .state import Request, Snapshot, take

EVENTS = "/_archdsl/events"
KEEPALIVE_S = 15.0
DEBOUNCE_MS = 150  # watchfiles waits this long for a burst of writes (an editor's save) to end


class Hub:
    """The latest message, and a queue per open page to push new ones to."""

    def __init__(self) -> None:
        self.latest: Snapshot | None = None
        self.lock = threading.Lock()
        self.listeners: set[queue.Queue] = set()

    def publish(self, snapshot: Snapshot) -> None:
        with self.lock:
            self.latest = snapshot
            for listener in self.listeners:
                listener.put(snapshot.message)

    def subscribe(self) -> queue.Queue:
        with self.lock:
            listener: queue.Queue = queue.Queue()
            if self.latest is not None:
                listener.put(self.latest.message)
            self.listeners.add(listener)
            return listener

    def unsubscribe(self, listener: queue.Queue) -> None:
        with self.lock:
            self.listeners.discard(listener)

    def close(self) -> None:
        with self.lock:
            for listener in self.listeners:
                listener.put(None)


def _handler(root: Path, hub: Hub, title: str, stopping: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page(None, title, live=True).encode("utf-8"), "text/html; charset=utf-8")
            elif path == EVENTS:
                self._events()
            else:
                self._file(path)

        def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _file(self, path: str) -> None:
            try:
                target = (root / path.lstrip("/")).resolve()
                found = target.is_relative_to(root) and target.is_file()
            except (OSError, ValueError):  # a NUL byte, a name too long: nothing there either
                found = False
            if not found:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
                return
            kind = mimetypes.guess_type(target.name)[0] or "text/plain"
            self._send(
                HTTPStatus.OK, target.read_bytes(), kind + ("; charset=utf-8" if kind.startswith("text") else "")
            )

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            listener = hub.subscribe()
            try:
                while not stopping.is_set():
                    try:
                        message = listener.get(timeout=KEEPALIVE_S)
                    except queue.Empty:
                        self.wfile.write(b": keep-alive\n\n")  # finds pages that went away
                        self.wfile.flush()
                        continue
                    if message is None:
                        break
                    self.wfile.write(b"data: " + json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                hub.unsubscribe(listener)
                self.close_connection = True

        def log_message(self, format: str, *args) -> None:  # quiet: the terminal shows re-checks only
            pass

    return Handler


def _watch(request: Request, hub: Hub, stopping: threading.Event, on_check) -> None:
    """Re-check whenever the spec or a file it imports changes, until `stopping` is set."""
    from watchfiles import watch

    files = hub.latest.files if hub.latest else {request.spec.resolve()}
    version = 1
    while not stopping.is_set():
        folders = sorted({str(path.parent) for path in files})
        watched = set(files)
        for _ in watch(
            *folders,
            watch_filter=lambda _change, path, watched=watched: Path(path).resolve() in watched,
            stop_event=stopping,
            debounce=DEBOUNCE_MS,
            step=50,
            raise_interrupt=False,
        ):
            version += 1
            snapshot = take(request, version, files)
            hub.publish(snapshot)
            on_check(snapshot)
            if snapshot.files != files:  # a new import, maybe in another folder: watch again
                files = snapshot.files
                break


def serve(request: Request, port: int = 8000, announce=print) -> None:
    """Serve until Ctrl-C (or until the server is shut down), then stop the watcher and every stream."""
    root = request.spec.resolve().parent
    hub = Hub()
    stopping = threading.Event()

    def report(snapshot: Snapshot) -> None:
        state = "ok" if snapshot.message["ok"] else "has errors"
        sys.stderr.write(f"checked {request.spec} (version {snapshot.message['version']}): {state}\n")

    hub.publish(take(request, 1, set()))
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(root, hub, request.spec.stem, stopping))
    server.daemon_threads = True
    watcher = threading.Thread(target=_watch, args=(request, hub, stopping, report), name="archdsl-watch", daemon=True)
    watcher.start()
    announce(f"serving {request.spec} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        hub.close()
        server.server_close()
        watcher.join(timeout=2)
        announce("stopped")
