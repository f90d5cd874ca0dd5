'use strict';
// Drives cos_tool (see cos_tool.c): one JSON input line, one output line.
const { spawnSync } = require('node:child_process');

// Runs the tool on all inputs at once; exits the process if it fails or
// answers a different number of lines.
function runTool(tool, inputs) {
  const r = spawnSync(tool, [], {
    input: inputs.map((o) => JSON.stringify(o)).join('\n') + '\n',
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    console.error(`cos_tool failed: ${r.error || 'exit ' + r.status + ' ' + r.signal}\n${r.stderr}`);
    process.exit(1);
  }
  const lines = r.stdout.split('\n');
  lines.pop(); // after the final newline
  if (lines.length !== inputs.length) {
    console.error(`cos_tool printed ${lines.length} lines for ${inputs.length} inputs`);
    process.exit(1);
  }
  return lines;
}

function parseLine(line) {
  try {
    return JSON.parse(line);
  } catch (e) {
    return { error: line };
  }
}

module.exports = { runTool, parseLine };
