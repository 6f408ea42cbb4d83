// Writes small valid PNG files for avatar uploads: the server decodes what
// it gets, so the bytes must be a real image.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** png is a width×height RGB image of one colour. */
function png(width, height, [r, g, b] = [200, 80, 40]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3); // filter byte 0, then pixels
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** tempImage writes a PNG (or any bytes) where chooseAvatar would put it; returns the path. */
function tempImage(bytes = png(64, 48), name = 'avatar.png') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniauth-avatar-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

module.exports = { png, tempImage };
