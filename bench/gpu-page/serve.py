"""Static server for the GPU check page: serves a folder with the studio's cross-origin isolation headers (so wasm can
run threaded) and appends each POST /log body as one line to a file. Usage: serve.py <folder> <port> <log file>"""
import http.server
import sys

folder, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, '.wasm': 'application/wasm',
                      '.js': 'text/javascript', '.json': 'application/json'}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=folder, **kwargs)

    def end_headers(self):
        self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
        self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
        self.send_header('Cache-Control', 'no-store')
        super().end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0))).decode('utf-8', 'replace')
        with open(log, 'a') as f:
            f.write(body.replace('\n', ' ') + '\n')
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
