/**
 * Test-only helpers that build message bytes by hand (never with the encoder under test): hex parsing
 * and a header wrapper that computes the length field.
 */

/** Bytes from hex text; spaces, newlines and `|` separators are ignored. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Hex text of bytes. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A whole message: marker, length computed from the body, type, body (given as hex). */
export function frame(type: number, bodyHex: string): Uint8Array {
  const body = hex(bodyHex);
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = (out.length >>> 8) & 0xff;
  out[17] = out.length & 0xff;
  out[18] = type;
  out.set(body, 19);
  return out;
}

/** An attribute by hand: flags, code, one-octet length (or two with flag 0x10), value hex. */
export function attr(flags: number, code: number, valueHex: string): string {
  const v = hex(valueHex);
  const len = flags & 0x10 ? v.length.toString(16).padStart(4, '0') : v.length.toString(16).padStart(2, '0');
  return flags.toString(16).padStart(2, '0') + code.toString(16).padStart(2, '0') + len + toHex(v);
}

/** An UPDATE body by hand: withdrawn hex, attributes hex, NLRI hex; lengths computed. */
export function updateBody(withdrawnHex: string, attrsHex: string, nlriHex: string): string {
  const w = hex(withdrawnHex);
  const a = hex(attrsHex);
  return w.length.toString(16).padStart(4, '0') + toHex(w) + a.length.toString(16).padStart(4, '0') + toHex(a) + toHex(hex(nlriHex));
}
