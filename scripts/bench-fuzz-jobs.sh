#!/usr/bin/env bash
# Benchmark of `ssec-conform fuzz --jobs`: 200 differential cases against an endpoint that answers
# every response DELAY_MS late (a reference server behind a delaying TCP proxy, like a small Python
# S3 server), with 1 job and with JOBS jobs. Prints the wall time of each run.
#
#   CASES=200 DELAY_MS=5 JOBS=8 bash scripts/bench-fuzz-jobs.sh
#   BIN=target/debug/ssec-conform ...   use an already built binary instead of a release build
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${CASES:-200}"
delay="${DELAY_MS:-5}"
jobs="${JOBS:-8}"
bin="${BIN:-}"
if [[ -z "$bin" ]]; then
    cargo build --release --quiet
    bin=target/release/ssec-conform
fi
work="$(mktemp -d)"
"$bin" serve --http 127.0.0.1:19080 --https 127.0.0.1:19443 --allow-ssec-over-http >"$work/serve.log" 2>&1 &
serve=$!
python3 - "$delay" >"$work/proxy.log" 2>&1 <<'PY' &
import asyncio, sys
delay = int(sys.argv[1]) / 1000
async def pipe(reader, writer, wait):
    try:
        while data := await reader.read(65536):
            if wait:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", 19080)
    await asyncio.gather(pipe(client_reader, server_writer, False), pipe(server_reader, client_writer, True))
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 19081)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
proxy=$!
trap 'kill $serve $proxy 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 3
export AWS_ACCESS_KEY_ID=ssec-conform AWS_SECRET_ACCESS_KEY=ssec-conform-secret-key
for j in 1 "$jobs"; do
    start=$(date +%s.%N)
    "$bin" fuzz --endpoint-url http://127.0.0.1:19081 --cases "$cases" --seed 1 --jobs "$j" --time 600 \
        --report-dir "$work/jobs-$j" | tail -n 1 || true
    end=$(date +%s.%N)
    printf 'fuzz --cases %s --jobs %-3s against a %s ms endpoint: %.1f s\n' "$cases" "$j" "$delay" "$(echo "$end - $start" | bc)"
done
