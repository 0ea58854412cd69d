// Draws the extension icon (images/icon.png, 128x128): three hexagonal nodes joined
// into a cluster inside a hexagon ring, on a rounded dark square. Writes the PNG bytes
// itself (node:zlib only) so the icon can be rebuilt without image tools.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZE = 128;
const SAMPLES = 4; // per axis: 16 samples per pixel smooth the edges
const BACKGROUND = [0x17, 0x24, 0x3a]; // deep navy
const ACCENT = [0x2e, 0xc4, 0xb6]; // teal

// Signed distance to a pointy-top regular hexagon of circumradius r centred at (cx, cy):
// negative inside. Its edge normals point at 0 and +-60 degrees; taking the largest
// projection onto them is exact along the edges, which is all the fill and ring need.
function hexagonDistance(x, y, cx, cy, r) {
  const apothem = r * Math.cos(Math.PI / 6);
  const dx = Math.abs(x - cx);
  const dy = Math.abs(y - cy);
  const slanted = dx * Math.cos(Math.PI / 3) + dy * Math.sin(Math.PI / 3);
  return Math.max(dx, slanted) - apothem;
}

function roundedSquareDistance(x, y, half, radius) {
  const qx = Math.abs(x - SIZE / 2) - (half - radius);
  const qy = Math.abs(y - SIZE / 2) - (half - radius);
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - radius;
}

function segmentDistance(x, y, [ax, ay], [bx, by]) {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
}

const CENTER = SIZE / 2;
// Three nodes on a triangle: one on top, two below.
const NODES = [90, 210, 330].map((degrees) => {
  const angle = (degrees * Math.PI) / 180;
  return [CENTER + 27 * Math.cos(angle), CENTER - 27 * Math.sin(angle) + 3];
});

// Which colour covers a sample point: null (transparent), 'background' or 'accent'.
function paint(x, y) {
  if (roundedSquareDistance(x, y, 62, 22) > 0) return null;
  const ring = Math.abs(hexagonDistance(x, y, CENTER, CENTER, 50)) < 3.5;
  const node = NODES.some(([nx, ny]) => hexagonDistance(x, y, nx, ny, 12) < 0);
  const link = NODES.some((a, i) => segmentDistance(x, y, a, NODES[(i + 1) % NODES.length]) < 2.5);
  return ring || node || link ? 'accent' : 'background';
}

function render() {
  const rows = [];
  for (let py = 0; py < SIZE; py++) {
    const row = Buffer.alloc(1 + SIZE * 4); // leading 0: PNG filter type "None"
    for (let px = 0; px < SIZE; px++) {
      let red = 0, green = 0, blue = 0, covered = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const colour = paint(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
          if (colour === null) continue;
          const [r, g, b] = colour === 'accent' ? ACCENT : BACKGROUND;
          red += r; green += g; blue += b; covered++;
        }
      }
      const offset = 1 + px * 4;
      if (covered > 0) {
        row[offset] = Math.round(red / covered);
        row[offset + 1] = Math.round(green / covered);
        row[offset + 2] = Math.round(blue / covered);
      }
      row[offset + 3] = Math.round((255 * covered) / (SAMPLES * SAMPLES));
    }
    rows.push(row);
  }
  return Buffer.concat(rows);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // RGBA
  // bytes 10-12: deflate compression, adaptive filtering, no interlace (all 0)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'images', 'icon.png');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, encodePng(render()));
console.log(`wrote ${target}`);
