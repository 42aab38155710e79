"""moto's S3 served on two listeners of ONE process: HTTPS and plain HTTP.

`moto_server` binds one port, either TLS or not, and keeps its state in
memory, so two `moto_server` processes would not share buckets. The
`transport/*` scenarios PUT over HTTPS and then read over HTTP (and the
reverse), so both listeners must see the same objects: this runs moto's own
WSGI application (what `moto_server` runs) on two Werkzeug servers in one
process. Used by moto.sh when SSEC_MOTO_HTTP_PORT is set.

    python moto_dual.py HOST HTTPS_PORT HTTP_PORT CERT KEY
"""

import os
import signal
import sys
import threading

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    host, https_port, http_port, cert, key = sys.argv[1:6]
    # moto_server sets this too (used to build some URLs it returns).
    os.environ.setdefault("MOTO_PORT", https_port)
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto_server does
    servers = [
        make_server(host, int(https_port), app, threaded=True,
                    request_handler=MotoRequestHandler, ssl_context=(cert, key)),
        make_server(host, int(http_port), app, threaded=True,
                    request_handler=MotoRequestHandler),
    ]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"moto on https://{host}:{https_port} and http://{host}:{http_port} (one state)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for srv in servers:
        srv.shutdown()


if __name__ == "__main__":
    main()
