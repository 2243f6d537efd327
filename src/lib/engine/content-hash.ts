/**
 * A content hash for model packages: the same topology and weight bytes give the same key wherever they were read
 * from (files, a URL, the browser's storage). It names a model's renders in the cache, so it must be stable, not
 * secret: two 32-bit multiply-xorshift lanes over 32-bit words (crypto.subtle is missing outside secure contexts).
 */
export class ContentHash {
  private h1 = 0x9e3779b9;
  private h2 = 0x85ebca6b;
  private length = 0;

  update(bytes: Uint8Array): this {
    const words = Math.floor(bytes.byteLength / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < words; i++) {
      const k = view.getUint32(i * 4, true);
      h1 = Math.imul(h1 ^ k, 0x85ebca77);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 ^ k, 0xc2b2ae3d);
      h2 = (h2 << 17) | (h2 >>> 15);
    }
    for (let i = words * 4; i < bytes.byteLength; i++) {
      h1 = Math.imul(h1 ^ bytes[i], 0x27d4eb2f);
      h2 = Math.imul(h2 ^ bytes[i], 0x165667b1);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.length += bytes.byteLength;
    return this;
  }

  /** 16 hex digits. */
  digest(): string {
    let h1 = this.h1 ^ this.length;
    let h2 = this.h2 ^ Math.floor(this.length / 2 ** 32);
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    return hex(h1) + hex(h2);
  }
}
