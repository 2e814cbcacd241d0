"""`preview --watch`: the preview folder served on 127.0.0.1, and a page that reloads
itself after each rebuild.

The page on disk is the one `preview` writes, byte for byte (it is also opened as a
file); the server adds a small script to the copy it sends, which asks VERSION_PATH for
the number of the last rebuild and reloads the page when it changes. Only files inside
the folder are served, only to this machine: the address is 127.0.0.1, and a request
naming another host (a web page using DNS rebinding to reach it) is refused.
"""

from __future__ import annotations

import mimetypes
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .files import inside
from .preview import PAGE_NAME

HOST = "127.0.0.1"
VERSION_PATH = "/__anki-tools/version"
POLL_MS = 400
# Python's own table, not the system's, as the preview's data: URLs use.
MIME_TYPES = mimetypes.MimeTypes()

# A reload keeps the scroll position (the browser's own doing): a reader editing card 40
# stays at card 40.
RELOAD_SCRIPT = """<script>
(function () {
  var seen = "%(version)s";
  function ask() {
    fetch("%(path)s", {cache: "no-store"})
      .then(function (answer) { return answer.text(); })
      .then(function (version) {
        if (version !== seen) {
          window.location.reload();
        } else {
          setTimeout(ask, %(poll)d);
        }
      })
      .catch(function () { setTimeout(ask, %(poll)d); });  // stopped, or between runs
  }
  setTimeout(ask, %(poll)d);
})();
</script>
"""


class PreviewServer:
    """The folder served in a thread; `rebuilt()` tells open pages to reload."""

    def __init__(self, folder: Path, port: int = 0) -> None:
        self.folder = Path(os.path.realpath(folder))
        self._version = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def rebuilt(self) -> None:
        with self._lock:
            self._version += 1

    def __enter__(self) -> PreviewServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def hosts(self) -> set[str]:
        return {f"{HOST}:{self.port}", f"localhost:{self.port}"}

    def file_for(self, url_path: str) -> Path | None:
        """The file a request names, if it is a file inside the folder."""
        parts = unquote(urlsplit(url_path).path).split("/")
        if any(part in ("..", ".") or "\\" in part or "\0" in part for part in parts):
            return None
        wanted = self.folder.joinpath(*[part for part in parts if part]) if parts else self.folder
        if wanted == self.folder:
            wanted = self.folder / PAGE_NAME
        if not wanted.is_file() or not inside(wanted, self.folder):
            return None
        return wanted

    def page(self, file: Path) -> bytes:
        """A file as sent: the page with the reload script, anything else as it is."""
        data = file.read_bytes()
        if file != self.folder / PAGE_NAME:
            return data
        script = RELOAD_SCRIPT % {"version": self.version, "path": VERSION_PATH, "poll": POLL_MS}
        end = data.rfind(b"</body>")
        at = end if end >= 0 else len(data)
        return data[:at] + script.encode("utf-8") + data[at:]


def _handler_for(server: PreviewServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            if self.headers.get("Host") not in server.hosts():
                self._send(HTTPStatus.FORBIDDEN, b"only this machine's own address", send_body)
                return
            if urlsplit(self.path).path == VERSION_PATH:
                self._send(HTTPStatus.OK, str(server.version).encode(), send_body)
                return
            file = server.file_for(self.path)
            if file is None:
                self._send(HTTPStatus.NOT_FOUND, b"not in the preview", send_body)
                return
            try:
                body = server.page(file)
            except OSError:  # removed while the preview is written again
                self._send(HTTPStatus.NOT_FOUND, b"not in the preview", send_body)
                return
            kind = MIME_TYPES.guess_type(file.name)[0] or "application/octet-stream"
            if kind.startswith("text/"):
                kind += "; charset=utf-8"
            # A media file opened by its address (an SVG from someone's notes) runs no
            # script in the server's origin; the page shows images from data: URLs.
            sandbox = file.name != PAGE_NAME
            self._send(HTTPStatus.OK, body, send_body, kind, sandbox)

        def _send(
            self,
            status: HTTPStatus,
            body: bytes,
            send_body: bool,
            kind: str = "text/plain; charset=utf-8",
            sandbox: bool = True,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if sandbox:
                self.send_header("Content-Security-Policy", "sandbox; default-src 'none'")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the watch's status lines are what the user reads."""

    return Handler
