'use strict';
// multipart/form-data bodies as the stand-ins (cos_standin.js,
// s3_standin.js) receive them from browsers and SDKs.

// The parts of `body` (a Buffer), in order: { name, filename (undefined
// for a field), type (its Content-Type, '' when none), data (a Buffer) };
// null when the body is not a well-formed form of that boundary.
function multipartParts(body, contentType) {
  const b = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || '');
  if (!b) return null;
  const delim = Buffer.from('--' + (b[1] || b[2]));
  const next = Buffer.concat([Buffer.from('\r\n'), delim]);
  const parts = [];
  let pos = body.indexOf(delim);
  if (pos !== 0) return null;
  for (;;) {
    pos += delim.length;
    const tail = body.subarray(pos, pos + 2).toString('latin1');
    if (tail === '--') return parts;
    if (tail !== '\r\n') return null;
    const end = body.indexOf(next, pos);
    const sep = body.indexOf('\r\n\r\n', pos);
    if (end < 0 || sep < 0 || sep > end) return null;
    const head = body.subarray(pos + 2, sep).toString('utf8');
    const disp = /^content-disposition:(.*)$/im.exec(head);
    const name = disp && /;\s*name="([^"]*)"/i.exec(disp[1]);
    if (!name) return null;
    const filename = /;\s*filename="([^"]*)"/i.exec(disp[1]);
    const type = /^content-type:\s*(.*)$/im.exec(head);
    parts.push({
      name: name[1],
      filename: filename ? filename[1] : undefined,
      type: type ? type[1].trim() : '',
      data: body.subarray(sep + 4, end),
    });
    pos = end + 2;
  }
}

module.exports = { multipartParts };
