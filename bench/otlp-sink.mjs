// A minimal OTLP/HTTP trace receiver on loopback, so "tracing on" in the benchmark really serialises and
// exports every sampled span (the service cannot tell it from a collector). Accepts POST /v1/traces with
// JSON or protobuf bodies (gzip too), answers 200 with an empty ExportTraceServiceResponse, and counts
// requests, bytes and (for JSON) spans. Spans are counted by scanning for the `"spanId":` key instead of
// JSON.parse, so the sink costs little CPU on a machine whose cores the benchmark shares.
//
//   node bench/otlp-sink.mjs [port]        standalone: prints {"port":N} and, on SIGINT, its counters
//
// bench/product-get.mjs forks this file: it sends {type:'listening', port} once up and answers
// {type:'stats'} messages with {type:'stats', stats}.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const SPAN_KEY = Buffer.from('"spanId":');

function countSpans(body) {
  let count = 0;
  for (let at = body.indexOf(SPAN_KEY); at !== -1; at = body.indexOf(SPAN_KEY, at + SPAN_KEY.length)) count++;
  return count;
}

/** Starts the receiver; resolves once it listens. `port` 0 picks a free one. */
export function startOtlpSink({ port = 0, host = '127.0.0.1' } = {}) {
  const stats = { requests: 0, bytes: 0, spans: 0, protobufRequests: 0, rejected: 0 };
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/traces')) {
      stats.rejected++;
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      stats.requests++;
      stats.bytes += body.length;
      const json = (req.headers['content-type'] ?? '').includes('json');
      if (json) {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        stats.spans += countSpans(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        // Protobuf: an empty message is a valid ExportTraceServiceResponse; spans are not decoded.
        stats.protobufRequests++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: server.address().port,
        stats: () => ({ ...stats }),
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const sink = await startOtlpSink({ port: Number(process.argv[2] ?? 0) });
  if (process.send) {
    process.send({ type: 'listening', port: sink.port });
    process.on('message', (message) => {
      if (message?.type === 'stats') process.send({ type: 'stats', stats: sink.stats() });
    });
    process.on('disconnect', () => process.exit(0));
  } else {
    process.stdout.write(`${JSON.stringify({ port: sink.port })}\n`);
  }
  const stop = () => {
    if (!process.send) process.stdout.write(`${JSON.stringify(sink.stats())}\n`);
    void sink.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
