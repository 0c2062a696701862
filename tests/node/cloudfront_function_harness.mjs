// Runs a CloudFront Function (runtime cloudfront-js-2.0, viewer-request) under Node.
//
// stdin: {"code": "<function source>", "cases": [{"event": {...}, "kvs": {"key": "value"},
//         "now": <epoch seconds>, "fail": ["keys whose reads fail with an error"]}]}
// stdout: [{"result": <what handler returned>, "reads": ["kvs keys read, in order"]}, ...]
//
// The function's `import cf from 'cloudfront'` is pointed at a stand-in whose kvs() handle
// behaves like CloudFront's: get() rejects when the key is missing, exists() resolves to a
// boolean, meta() describes the store. Node's `crypto` stands in for CloudFront's (same
// createHmac/createHash API). `Date.now()` returns the case's `now`, as CloudFront's Date returns
// the time the function started. Timers and fetch, which CloudFront Functions lack, throw.

import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const state = { store: new Map(), reads: [], fail: new Set() };
globalThis.__cfcookiesHarness = state;

const standIn = `
const state = globalThis.__cfcookiesHarness;
function kvs() {
    return {
        async get(key, options) {
            const format = (options && options.format) || 'string';
            state.reads.push(key);
            if (state.fail.has(key)) {
                throw new Error('KeyValueStore: internal error');
            }
            if (!state.store.has(key)) {
                throw new Error('KeyValueStore: key not found');
            }
            const value = state.store.get(key);
            if (format === 'json') { return JSON.parse(value); }
            if (format === 'bytes') { return Buffer.from(value, 'utf8'); }
            if (format !== 'string') { throw new Error('unknown format ' + format); }
            return value;
        },
        async exists(key) {
            state.reads.push(key);
            if (state.fail.has(key)) {
                throw new Error('KeyValueStore: internal error');
            }
            return state.store.has(key);
        },
        async meta() {
            return {
                creationDateTime: '2024-01-01T00:00:00Z',
                lastUpdatedDateTime: '2024-01-01T00:00:00Z',
                keyCount: state.store.size,
            };
        },
    };
}
export default { kvs };
`;

const IMPORT_CF = "import cf from 'cloudfront';";
const code = input.code;
if (code.split(IMPORT_CF).length !== 2) {
    throw new Error('the function must import cf from \'cloudfront\' exactly once');
}
const standInUrl = 'data:text/javascript;base64,' + Buffer.from(standIn).toString('base64');
const rewritten = code.replace(IMPORT_CF, `import cf from '${standInUrl}';`) +
    '\nexport { handler };\n';
const moduleUrl = 'data:text/javascript;base64,' + Buffer.from(rewritten).toString('base64');

function unavailable(name) {
    return () => { throw new Error(name + ' is not available in CloudFront Functions'); };
}

const { handler } = await import(moduleUrl);
for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'fetch', 'queueMicrotask']) {
    globalThis[name] = unavailable(name);
}

const realNow = Date.now;
const results = [];
for (const testCase of input.cases) {
    state.store = new Map(Object.entries(testCase.kvs || {}));
    state.fail = new Set(testCase.fail || []);
    state.reads = [];
    const now = testCase.now;
    Date.now = () => now * 1000;
    try {
        const result = await handler(testCase.event);
        results.push({ result, reads: state.reads });
    } catch (error) {
        results.push({ error: String(error && error.message || error), reads: state.reads });
    } finally {
        Date.now = realNow;
    }
}
process.stdout.write(JSON.stringify(results));
