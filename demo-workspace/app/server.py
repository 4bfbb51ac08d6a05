"""HTTP entry point of the inventory service."""

from http.server import BaseHTTPRequestHandler, HTTPServer
import json

from app import settings
from app.store import Store

store = Store()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/items":
            self.send_error(404)
            return
        body = json.dumps(store.list(limit=settings.PAGE_SIZE)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def main():
    HTTPServer(("127.0.0.1", 8000), Handler).serve_forever()


if __name__ == "__main__":
    main()
