'use strict';
// gw.ip against Node's net.BlockList, an independent implementation of
// the same rules: random IPv4 and IPv6 networks of every prefix length,
// addresses inside, just outside and anywhere, IPv4-mapped IPv6 forms;
// every membership answer must agree, and every address gw.ip.parse
// accepts must be one node:net accepts (and the other way round).
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const crypto = require('node:crypto');
const h = require('./lib/harness.js');

const v4 = (b) => [...b].join('.');
const v6 = (b) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');

function masked(bytes, bits) {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length * 8; i++) if (i >= bits) out[i >> 3] &= ~(0x80 >> (i & 7));
  return out;
}

function flipBit(bytes, bit) {
  const out = Buffer.from(bytes);
  out[bit >> 3] ^= 0x80 >> (bit & 7);
  return out;
}

test('gw.ip agrees with net.BlockList', async (t) => {
  const gw = await h.start();
  t.after(() => gw.stop());
  const cidrs = [];
  const list = new net.BlockList();
  const addrs = [];
  for (let i = 0; i < 40; i++) {
    const six = i % 2 === 1;
    const len = six ? 16 : 4;
    const bits = crypto.randomInt(0, len * 8 + 1);
    const netBytes = masked(crypto.randomBytes(len), bits);
    const text = six ? v6(netBytes) : v4(netBytes);
    cidrs.push(`${text}/${bits}`);
    list.addSubnet(text, bits, six ? 'ipv6' : 'ipv4');
    const inside = Buffer.from(netBytes);
    for (let b = bits; b < len * 8; b++) if (crypto.randomInt(2)) inside[b >> 3] |= 0x80 >> (b & 7);
    addrs.push(inside);
    if (bits > 0) addrs.push(flipBit(netBytes, bits - 1)); // just outside
    addrs.push(crypto.randomBytes(len));
  }
  const texts = [];
  for (const a of addrs) {
    if (a.length === 4) {
      texts.push(v4(a), `::ffff:${v4(a)}`);
    } else {
      texts.push(v6(a));
    }
  }
  texts.push('', 'junk', '1.2.3', '::g', '1.2.3.4/8', '01.2.3.4');
  const r = await h.request(gw.base, '/ip', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ cidrs, addrs: texts }),
  });
  assert.equal(r.status, 200, r.text);
  const diffs = [];
  texts.forEach((a, i) => {
    const kind = net.isIP(a);
    const want = kind === 0 ? false : list.check(a, kind === 6 ? 'ipv6' : 'ipv4');
    if (r.json.contains[i] !== want) diffs.push(`${a}: gw.ip ${r.json.contains[i]}, BlockList ${want}`);
    if ((r.json.parsed[i] !== false) !== (kind !== 0)) diffs.push(`${a}: parse ${r.json.parsed[i]}, node:net isIP ${kind}`);
  });
  assert.deepEqual(diffs, [], diffs.join('\n'));
  assert.ok(texts.length > 150);

  // IPv6 networks that span the IPv4-mapped range ::ffff:0:0/96 hold the
  // IPv4 addresses too (random networks reach it only rarely).
  for (const cidr of ['::/0', '::/80', '::ffff:0:0/96', '::ffff:0:0/97', '::ffff:8000:0/97', '2001:db8::/32']) {
    const [addr, bits] = cidr.split('/');
    const bl = new net.BlockList();
    bl.addSubnet(addr, Number(bits), 'ipv6');
    const probe = ['1.2.3.4', '200.1.1.1', '::ffff:1.2.3.4', '::1', '2001:db8::1'];
    const m = await h.request(gw.base, '/ip', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ cidrs: [cidr], addrs: probe }),
    });
    probe.forEach((a, i) => {
      const want = bl.check(a, net.isIP(a) === 6 ? 'ipv6' : 'ipv4');
      assert.equal(m.json.contains[i], want, `${a} in ${cidr}`);
    });
  }
});
