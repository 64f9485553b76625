/** Splits `id:1,phase:2,msg:'a, b',t:none` into name/value pairs (commas inside '…' kept). */
export function splitActions(text: string): { name: string; value: string | undefined }[] {
  const out: { name: string; value: string | undefined }[] = [];
  let current = '';
  let quoted = false;
  const flush = () => {
    const item = current.trim();
    current = '';
    if (!item) return;
    const colon = item.indexOf(':');
    if (colon < 0) {
      out.push({ name: item, value: undefined });
      return;
    }
    let value = item.slice(colon + 1).trim();
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
    out.push({ name: item.slice(0, colon).trim(), value });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted && text[i + 1] === "'") {
      current += "\\'";
      i++;
      continue;
    }
    if (c === "'") quoted = !quoted;
    if (c === ',' && !quoted) {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return out;
}
