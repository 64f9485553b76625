/** A configuration error that names where it happened. */
export class SecLangError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'SecLangError';
  }
}
