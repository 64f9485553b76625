/**
 * Normalises a shell command line the way ModSecurity's t:cmdLine does: drops `\ " ' ^`,
 * turns `,` `;` and whitespace runs into one space, removes a space before `/` or `(`,
 * and lowercases.
 */
export function cmdLine(input: string): string {
  let out = '';
  let space = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    switch (c) {
      case '"':
      case "'":
      case '\\':
      case '^':
        break;
      case ' ':
      case '\t':
      case '\r':
      case '\n':
      case ',':
      case ';':
        if (!space) {
          out += ' ';
          space = true;
        }
        break;
      case '/':
      case '(':
        if (space) out = out.slice(0, -1);
        space = false;
        out += c;
        break;
      default:
        out += c >= 'A' && c <= 'Z' ? c.toLowerCase() : c;
        space = false;
    }
  }
  return out;
}
