"""A TLS front for a plain-HTTP server on loopback: accept TLS on one port, forward bytes.

    python3 tls_front.py LISTEN_PORT UPSTREAM_PORT CERT_PEM KEY_PEM

Listens on 127.0.0.1:LISTEN_PORT, terminates TLS (HTTP/1.1 only: ALPN offers
nothing else) with CERT_PEM/KEY_PEM, and copies bytes both ways to
127.0.0.1:UPSTREAM_PORT. Requests reach the upstream unchanged, Host header
included, so SigV4 signatures made for the front's address still verify.
Standard library only; used by garage.sh, as Garage speaks plain HTTP.
"""

import asyncio
import ssl
import sys


async def pump(reader, writer):
    """Copy until EOF, then half-close the other side."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, ssl.SSLError, OSError):
        pass


async def handle(client_reader, client_writer, upstream_port):
    try:
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", upstream_port), timeout=10
        )
    except (OSError, asyncio.TimeoutError):
        client_writer.close()
        return
    try:
        await asyncio.gather(pump(client_reader, up_writer), pump(up_reader, client_writer))
    finally:
        for w in (up_writer, client_writer):
            try:
                w.close()
            except (ConnectionError, ssl.SSLError, OSError):
                pass


async def main():
    listen_port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    ctx.set_alpn_protocols(["http/1.1"])
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, upstream_port), "127.0.0.1", listen_port, ssl=ctx
    )
    print(f"tls_front: https 127.0.0.1:{listen_port} -> http 127.0.0.1:{upstream_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
