'use strict';
// Live oracle: random inputs signed by the official SDK (COS.getAuthorization)
// and by our C code (cos_tool), compared line by line; random POST policies
// compared with the Node reference in refs.js.
//
//   node live_oracle.js path/to/cos_tool
//   env: SGW_ORACLE_SEED  (reproduce a run; printed at start)
//        SGW_ORACLE_CASES (request cases, default 400; policies get half)
//
// Prints every mismatch with its inputs and a final "N passed, N failed";
// exits 1 on any failure.
const { sdkAuthorization, postPolicy, sdkVersion } = require('./refs.js');
const tools = require('./tool.js');

const tool = tools.toolArg('live_oracle.js', 'cos_tool');
const seed = tools.seedFromEnv();
const nAuth = Math.max(200, Number(process.env.SGW_ORACLE_CASES) || 400);
const nPolicy = Math.max(200, nAuth >> 1);
console.log(`seed ${seed} (rerun with SGW_ORACLE_SEED=${seed}); ` +
  `${nAuth} requests, ${nPolicy} policies; SDK ${sdkVersion}`);

const {
  randAuthCase, randPolicyCase, toolInput,
} = require('./gen.js').makeGen(seed);

// ---------------------------------------------------------------- run
const runTool = (inputs) => tools.runTool(tool, inputs);
const { parseLine } = tools;

let passed = 0;
let failed = 0;
function report(kind, i, input, want, got) {
  failed++;
  console.log(`MISMATCH ${kind} #${i}\n  input: ${JSON.stringify(input)}\n` +
    `   want: ${JSON.stringify(want)}\n    got: ${JSON.stringify(got)}`);
}

function checkAuth() {
  const cases = Array.from({ length: nAuth }, randAuthCase);
  const lines = runTool(cases.map(toolInput));
  cases.forEach((c, i) => {
    const want = sdkAuthorization(c);
    const got = parseLine(lines[i]);
    if (got === want && !lines[i].includes(c.secretKey)) passed++;
    else report('authorization', i, toolInput(c), want, got);
  });
}

function checkPolicy() {
  const cases = Array.from({ length: nPolicy }, randPolicyCase);
  const lines = runTool(cases.map((p) => ({ policy: p })));
  cases.forEach((p, i) => {
    const want = postPolicy(p);
    const got = parseLine(lines[i]);
    const same = ['policy', 'policyB64', 'keyTime', 'signature'].every((k) => got[k] === want[k]);
    if (same && !lines[i].includes(p.secretKey)) passed++;
    else report('policy', i, p, want, got);
  });
}

checkAuth();
checkPolicy();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
