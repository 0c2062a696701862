// Batch driver for @aws-sdk/cloudfront-signer, used by tests/test_interop.py.
//
// Reads one JSON document on stdin:
//   {"keys": {"<name>": "<private key PEM>", ...},
//    "cases": [{"id": "...", "fn": "getSignedCookies" | "getSignedUrl", "key": "<name>",
//               "keyPairId": "...", "algorithm": "SHA1" | "SHA256",
//               "url"?: "...", "policy"?: "<JSON text>",
//               "dateLessThan"?: <epoch seconds>, "dateGreaterThan"?: <epoch seconds>,
//               "ipAddress"?: "..."},
//              {"id": "...", "fn": "verify", "publicKey": "<PEM>", "algorithm": "SHA1" | "SHA256",
//               "data": "<utf-8 text>", "signature": "<CloudFront base64>"}]}
// and prints {"results": [{"id": "...", "ok": true, "value": ...} | {"id", "ok": false,
// "error": "..."}]} on stdout, so that one Node process handles a whole batch.
import { createPublicKey, verify } from "node:crypto";
import { getSignedCookies, getSignedUrl } from "@aws-sdk/cloudfront-signer";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function fromCloudFrontBase64(value) {
  return Buffer.from(value.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64");
}

function signerInput(item, keys) {
  const input = {
    keyPairId: item.keyPairId,
    privateKey: keys[item.key],
    algorithm: item.algorithm,
  };
  if (item.url !== undefined) input.url = item.url;
  if (item.policy !== undefined) input.policy = item.policy;
  // The signer's Date constructor reads a number as milliseconds.
  if (item.dateLessThan !== undefined) input.dateLessThan = new Date(item.dateLessThan * 1000);
  if (item.dateGreaterThan !== undefined) {
    input.dateGreaterThan = new Date(item.dateGreaterThan * 1000);
  }
  if (item.ipAddress !== undefined) input.ipAddress = item.ipAddress;
  return input;
}

function run(item, keys) {
  switch (item.fn) {
    case "getSignedCookies":
      return getSignedCookies(signerInput(item, keys));
    case "getSignedUrl":
      return getSignedUrl(signerInput(item, keys));
    case "verify":
      return verify(
        item.algorithm === "SHA256" ? "sha256" : "sha1",
        Buffer.from(item.data, "utf8"),
        createPublicKey(item.publicKey),
        fromCloudFrontBase64(item.signature),
      );
    default:
      throw new Error(`unknown fn ${item.fn}`);
  }
}

const batch = JSON.parse(await readStdin());
const results = batch.cases.map((item) => {
  try {
    return { id: item.id, ok: true, value: run(item, batch.keys) };
  } catch (error) {
    return { id: item.id, ok: false, error: String(error && error.message ? error.message : error) };
  }
});
process.stdout.write(JSON.stringify({ results }));
