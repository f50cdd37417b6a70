import { createServer } from 'node:http';
import { BENCH_CONFIG_ANSWER } from './bench-config';

/** Baseline (b): node:http serving the same JSON, serialised per request like the others. */
createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(BENCH_CONFIG_ANSWER));
}).listen(Number(process.env.PORT), '127.0.0.1');
