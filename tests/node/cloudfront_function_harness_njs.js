// Runs a CloudFront Function (runtime cloudfront-js-2.0, viewer-request) under njs, nginx's
// JavaScript engine: ECMAScript 5.1 with selected later features and a `crypto` module with
// createHash/createHmac, the family CloudFront Functions belong to. The Node harness beside it
// runs the same cases under Node; a feature only Node has fails here.
//
// njs imports modules only from files (no dynamic import(), no data: URLs, no source strings), so
// the caller lays the modules out on njs's module path (-p) and runs:
//
//   njs -p tests/node/njs_modules -p DIR tests/node/cloudfront_function_harness_njs.js DIR/cases.json
//
// DIR/cfcookies_function.js: the function source, unchanged, followed by `export default handler;`
// tests/node/njs_modules/cloudfront: the stand-in for `import cf from 'cloudfront'`
// DIR/cases.json: {"cases": [{"event": {...}, "kvs": {"key": "value"}, "now": <epoch seconds>,
//                  "fail": ["keys whose reads fail with an error"]}]}
// stdout: [{"result": <what handler returned>, "reads": ["kvs keys read, in order"]}, ...]
//
// The `crypto` the function imports is njs's own. `Date.now()` returns the case's `now`, as
// CloudFront's Date returns the time the function started. Timers, which CloudFront Functions
// lack and the njs shell has, throw. njs has no top-level await: the cases run in a promise chain.

import fs from 'fs';
import handler from 'cfcookies_function.js';

var input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
var state = { store: {}, reads: [], fail: [] };
globalThis.__cfcookiesHarness = state;

function unavailable(name) {
    return function () { throw new Error(name + ' is not available in CloudFront Functions'); };
}

['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout'].forEach(function (name) {
    globalThis[name] = unavailable(name);
});

var realNow = Date.now;
var results = [];

function run(index) {
    if (index === input.cases.length) {
        console.log(JSON.stringify(results));
        return;
    }
    var testCase = input.cases[index];
    state.store = testCase.kvs || {};
    state.fail = testCase.fail || [];
    state.reads = [];
    var now = testCase.now;
    Date.now = function () { return now * 1000; };
    return handler(testCase.event).then(
        function (result) { results.push({ result: result, reads: state.reads }); },
        function (error) {
            results.push({ error: String(error && error.message || error), reads: state.reads });
        }
    ).then(function () {
        Date.now = realNow;
        return run(index + 1);
    });
}

run(0);
