/**
 * A small seeded generator (sfc32) so a sample day is the same on every
 * machine and every run: `Math.random` cannot be seeded.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number
  /** A float from `min` to `max`, spread evenly over the logarithm. */
  logUniform(min: number, max: number): number
  chance(probability: number): boolean
  pick<T>(items: readonly T[]): T
}

/** A generator seeded from any text, e.g. the day and the seed number together. */
export function createRng(seedText: string): Rng {
  let [a, b, c, d] = seedWords(seedText)
  const next = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4_294_967_296
  }
  for (let i = 0; i < 15; i++) next()

  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    logUniform: (min, max) => Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min))),
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
  }
}

/** Four 32-bit words from the text, through FNV-1a with four different bases. */
function seedWords(text: string): [number, number, number, number] {
  const bases = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b]
  return bases.map((base) => {
    let hash = base >>> 0
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i)
      hash = Math.imul(hash, 0x01000193) >>> 0
    }
    return hash
  }) as [number, number, number, number]
}
