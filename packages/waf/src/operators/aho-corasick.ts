/**
 * Case-insensitive multi-phrase search (Aho–Corasick) for @pm and @pmFromFile: one pass over
 * the input whatever the number of phrases.
 */
export class PhraseMatcher {
  private readonly goto: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  private readonly output: (string | undefined)[] = [undefined];

  constructor(phrases: readonly string[]) {
    for (const phrase of phrases) if (phrase) this.insert(phrase.toLowerCase());
    this.link();
  }

  private insert(phrase: string): void {
    let state = 0;
    for (let i = 0; i < phrase.length; i++) {
      const c = phrase.charCodeAt(i);
      let next = this.goto[state]!.get(c);
      if (next === undefined) {
        next = this.goto.length;
        this.goto.push(new Map());
        this.fail.push(0);
        this.output.push(undefined);
        this.goto[state]!.set(c, next);
      }
      state = next;
    }
    this.output[state] ??= phrase;
  }

  private link(): void {
    const queue: number[] = [];
    for (const s of this.goto[0]!.values()) queue.push(s);
    for (let qi = 0; qi < queue.length; qi++) {
      const r = queue[qi]!;
      for (const [c, s] of this.goto[r]!) {
        queue.push(s);
        let f = this.fail[r]!;
        while (f !== 0 && !this.goto[f]!.has(c)) f = this.fail[f]!;
        const target = this.goto[f]!.get(c);
        this.fail[s] = target !== undefined && target !== s ? target : 0;
        this.output[s] ??= this.output[this.fail[s]!];
      }
    }
  }

  /** The first phrase found in the input, or undefined. */
  find(input: string): string | undefined {
    let state = 0;
    for (let i = 0; i < input.length; i++) {
      let c = input.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      let next = this.goto[state]!.get(c);
      while (next === undefined && state !== 0) {
        state = this.fail[state]!;
        next = this.goto[state]!.get(c);
      }
      state = next ?? 0;
      const out = this.output[state];
      if (out !== undefined) return out;
    }
    return undefined;
  }
}
