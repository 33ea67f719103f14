// A small, stable, non-cryptographic string hash (32-bit FNV-1a): for ids,
// shard slices and signature suffixes that must be the same on every run and
// machine. Never for anything that needs to resist an adversary.

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
