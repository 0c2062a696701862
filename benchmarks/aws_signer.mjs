// Times AWS's @aws-sdk/cloudfront-signer inside one Node process, for benchmarks/aws.py.
//
// Reads one JSON document on stdin:
//   {"pem": "<RSA private key PEM>", "keyPairId": "...", "policy": "<policy JSON>",
//    "url": "https://...", "dateLessThan": <epoch seconds>, "iterations": N, "rounds": R}
// and prints {"cookies": [ns per call, one per round], "url": [...], "sample": {...}}: the
// per-call nanoseconds of getSignedCookies (custom policy) and getSignedUrl (canned policy),
// measured with process.hrtime.bigint() after one warm-up round.
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/node/package.json", import.meta.url));
const { getSignedCookies, getSignedUrl } = require("@aws-sdk/cloudfront-signer");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function perCall(fn, iterations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const input = JSON.parse(await readStdin());
const cookies = () =>
  getSignedCookies({ keyPairId: input.keyPairId, privateKey: input.pem, policy: input.policy });
const url = () =>
  getSignedUrl({
    url: input.url,
    keyPairId: input.keyPairId,
    privateKey: input.pem,
    dateLessThan: new Date(input.dateLessThan * 1000),
  });

const result = { cookies: [], url: [], sample: { cookies: cookies(), url: url() } };
perCall(cookies, Math.max(1, input.iterations >> 2));
perCall(url, Math.max(1, input.iterations >> 2));
for (let r = 0; r < input.rounds; r++) {
  result.cookies.push(perCall(cookies, input.iterations));
  result.url.push(perCall(url, input.iterations));
}
process.stdout.write(JSON.stringify(result));
