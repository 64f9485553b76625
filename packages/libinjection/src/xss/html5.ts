/**
 * The HTML5 tokenizer of libinjection (libinjection_html5.c): a small subset of the HTML5
 * tokenization state machine, enough to find tags, attributes, values and comments, that can
 * start in the data state or inside an attribute value (how a reflected input would land).
 * Works on a byte string (see ../bytes.ts).
 */
import { asciiUpper } from '../bytes';

export enum Html5Type {
  DATA_TEXT,
  TAG_NAME_OPEN,
  TAG_NAME_CLOSE,
  TAG_NAME_SELFCLOSE,
  TAG_DATA,
  TAG_CLOSE,
  ATTR_NAME,
  ATTR_VALUE,
  TAG_COMMENT,
  DOCTYPE,
}

export const HTML5_TYPE_NAMES = [
  'DATA_TEXT',
  'TAG_NAME_OPEN',
  'TAG_NAME_CLOSE',
  'TAG_NAME_SELFCLOSE',
  'TAG_DATA',
  'TAG_CLOSE',
  'ATTR_NAME',
  'ATTR_VALUE',
  'TAG_COMMENT',
  'DOCTYPE',
] as const;

/** Where tokenization starts. */
export enum Html5Flags {
  DATA_STATE,
  VALUE_NO_QUOTE,
  VALUE_SINGLE_QUOTE,
  VALUE_DOUBLE_QUOTE,
  VALUE_BACK_QUOTE,
}

const CH_BANG = 0x21;
const CH_DOUBLE = 0x22;
const CH_PERCENT = 0x25;
const CH_SINGLE = 0x27;
const CH_DASH = 0x2d;
const CH_SLASH = 0x2f;
const CH_LT = 0x3c;
const CH_EQUALS = 0x3d;
const CH_GT = 0x3e;
const CH_QUESTION = 0x3f;
const CH_RIGHTB = 0x5d;
const CH_TICK = 0x60;
const EOF = -1;

/** " \t\n\v\f\r" -- and NUL, since libinjection tests with strchr(). */
function isWhite(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0;
}

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

type State = (hs: Html5Tokenizer) => boolean;

export class Html5Tokenizer {
  readonly s: string;
  readonly len: number;
  pos = 0;
  isClose = false;
  private state: State;
  /** The current token: its type, start offset and length in `s`. */
  tokenType: Html5Type = Html5Type.DATA_TEXT;
  tokenStart = 0;
  tokenLen = 0;

  constructor(s: string, flags: Html5Flags = Html5Flags.DATA_STATE) {
    this.s = s;
    this.len = s.length;
    switch (flags) {
      case Html5Flags.DATA_STATE:
        this.state = stateData;
        break;
      case Html5Flags.VALUE_NO_QUOTE:
        this.state = stateBeforeAttributeName;
        break;
      case Html5Flags.VALUE_SINGLE_QUOTE:
        this.state = stateAttributeValueSingleQuote;
        break;
      case Html5Flags.VALUE_DOUBLE_QUOTE:
        this.state = stateAttributeValueDoubleQuote;
        break;
      case Html5Flags.VALUE_BACK_QUOTE:
        this.state = stateAttributeValueBackQuote;
        break;
    }
  }

  /** Advances to the next token; false at the end (libinjection_h5_next). */
  next(): boolean {
    return this.state(this);
  }

  /** The current token's bytes. */
  get token(): string {
    return this.s.substr(this.tokenStart, this.tokenLen);
  }

  set(state: State): void {
    this.state = state;
  }

  emit(type: Html5Type, start: number, len: number): void {
    this.tokenType = type;
    this.tokenStart = start;
    this.tokenLen = len;
  }

  at(i: number): number {
    return this.s.charCodeAt(i);
  }

  indexOf(c: number, from: number): number {
    return this.s.indexOf(String.fromCharCode(c), from);
  }

  /**
   * Skips white space (including NUL, IE-only \v and \r); returns the next byte or EOF.
   * libinjection returns the byte as a signed char, so 0xFF is -1 and reads as EOF too.
   */
  skipWhite(): number {
    while (this.pos < this.len) {
      const c = this.at(this.pos);
      if (c === 0x00 || c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
        this.pos += 1;
      } else {
        return c === 0xff ? EOF : c;
      }
    }
    return EOF;
  }
}

const stateEof: State = () => false;

function stateData(hs: Html5Tokenizer): boolean {
  if (hs.len < hs.pos) return false;
  const idx = hs.indexOf(CH_LT, hs.pos);
  if (idx < 0) {
    hs.emit(Html5Type.DATA_TEXT, hs.pos, hs.len - hs.pos);
    hs.set(stateEof);
    return hs.tokenLen !== 0;
  }
  hs.emit(Html5Type.DATA_TEXT, hs.pos, idx - hs.pos);
  hs.pos = idx + 1;
  hs.set(stateTagOpen);
  if (hs.tokenLen === 0) return stateTagOpen(hs);
  return true;
}

function stateTagOpen(hs: Html5Tokenizer): boolean {
  if (hs.pos >= hs.len) return false;
  const c = hs.at(hs.pos);
  if (c === CH_BANG) {
    hs.pos += 1;
    return stateMarkupDeclarationOpen(hs);
  } else if (c === CH_SLASH) {
    hs.pos += 1;
    hs.isClose = true;
    return stateEndTagOpen(hs);
  } else if (c === CH_QUESTION) {
    hs.pos += 1;
    return stateBogusComment(hs);
  } else if (c === CH_PERCENT) {
    // not in the spec: "<% ... %>" comments of IE <= 9 and Safari < 4.0.3
    hs.pos += 1;
    return stateBogusComment2(hs);
  } else if (isAlpha(c) || c === 0) {
    // IE ignores NUL
    return stateTagName(hs);
  }
  // not a tag: '<' is text
  if (hs.pos === 0) return stateData(hs);
  hs.emit(Html5Type.DATA_TEXT, hs.pos - 1, 1);
  hs.set(stateData);
  return true;
}

function stateEndTagOpen(hs: Html5Tokenizer): boolean {
  if (hs.pos >= hs.len) return false;
  const c = hs.at(hs.pos);
  if (c === CH_GT) return stateData(hs);
  if (isAlpha(c)) return stateTagName(hs);
  hs.isClose = false;
  return stateBogusComment(hs);
}

function stateTagNameClose(hs: Html5Tokenizer): boolean {
  hs.isClose = false;
  hs.emit(Html5Type.TAG_NAME_CLOSE, hs.pos, 1);
  hs.pos += 1;
  hs.set(hs.pos < hs.len ? stateData : stateEof);
  return true;
}

function stateTagName(hs: Html5Tokenizer): boolean {
  let pos = hs.pos;
  while (pos < hs.len) {
    const c = hs.at(pos);
    if (c === 0) {
      // some old browsers allow and ignore NUL in tag names
      pos += 1;
    } else if (isWhite(c)) {
      hs.emit(Html5Type.TAG_NAME_OPEN, hs.pos, pos - hs.pos);
      hs.pos = pos + 1;
      hs.set(stateBeforeAttributeName);
      return true;
    } else if (c === CH_SLASH) {
      hs.emit(Html5Type.TAG_NAME_OPEN, hs.pos, pos - hs.pos);
      hs.pos = pos + 1;
      hs.set(stateSelfClosingStartTag);
      return true;
    } else if (c === CH_GT) {
      hs.emit(Html5Type.TAG_NAME_OPEN, hs.pos, pos - hs.pos);
      if (hs.isClose) {
        hs.pos = pos + 1;
        hs.isClose = false;
        hs.tokenType = Html5Type.TAG_CLOSE;
        hs.set(stateData);
      } else {
        hs.pos = pos;
        hs.set(stateTagNameClose);
      }
      return true;
    } else {
      pos += 1;
    }
  }
  hs.emit(Html5Type.TAG_NAME_OPEN, hs.pos, hs.len - hs.pos);
  hs.set(stateEof);
  return true;
}

function stateBeforeAttributeName(hs: Html5Tokenizer): boolean {
  const c = hs.skipWhite();
  switch (c) {
    case EOF:
      return false;
    case CH_SLASH:
      hs.pos += 1;
      return stateSelfClosingStartTag(hs);
    case CH_GT:
      hs.set(stateData);
      hs.emit(Html5Type.TAG_NAME_CLOSE, hs.pos, 1);
      hs.pos += 1;
      return true;
    default:
      return stateAttributeName(hs);
  }
}

function stateAttributeName(hs: Html5Tokenizer): boolean {
  let pos = hs.pos + 1;
  while (pos < hs.len) {
    const c = hs.at(pos);
    if (isWhite(c)) {
      hs.emit(Html5Type.ATTR_NAME, hs.pos, pos - hs.pos);
      hs.set(stateAfterAttributeName);
      hs.pos = pos + 1;
      return true;
    } else if (c === CH_SLASH) {
      hs.emit(Html5Type.ATTR_NAME, hs.pos, pos - hs.pos);
      hs.set(stateSelfClosingStartTag);
      hs.pos = pos + 1;
      return true;
    } else if (c === CH_EQUALS) {
      hs.emit(Html5Type.ATTR_NAME, hs.pos, pos - hs.pos);
      hs.set(stateBeforeAttributeValue);
      hs.pos = pos + 1;
      return true;
    } else if (c === CH_GT) {
      hs.emit(Html5Type.ATTR_NAME, hs.pos, pos - hs.pos);
      hs.set(stateTagNameClose);
      hs.pos = pos;
      return true;
    }
    pos += 1;
  }
  hs.emit(Html5Type.ATTR_NAME, hs.pos, hs.len - hs.pos);
  hs.set(stateEof);
  hs.pos = hs.len;
  return true;
}

function stateAfterAttributeName(hs: Html5Tokenizer): boolean {
  const c = hs.skipWhite();
  switch (c) {
    case EOF:
      return false;
    case CH_SLASH:
      hs.pos += 1;
      return stateSelfClosingStartTag(hs);
    case CH_EQUALS:
      hs.pos += 1;
      return stateBeforeAttributeValue(hs);
    case CH_GT:
      return stateTagNameClose(hs);
    default:
      return stateAttributeName(hs);
  }
}

function stateBeforeAttributeValue(hs: Html5Tokenizer): boolean {
  const c = hs.skipWhite();
  if (c === EOF) {
    hs.set(stateEof);
    return false;
  }
  if (c === CH_DOUBLE) return stateAttributeValueDoubleQuote(hs);
  if (c === CH_SINGLE) return stateAttributeValueSingleQuote(hs);
  if (c === CH_TICK) return stateAttributeValueBackQuote(hs); // non-standard, IE
  return stateAttributeValueNoQuote(hs);
}

function attributeValueQuote(hs: Html5Tokenizer, q: number): boolean {
  // Skip the opening quote, except when starting in a value state at offset 0:
  // for an input like '><foo we want a zero-length value first.
  if (hs.pos > 0) hs.pos += 1;
  const idx = hs.indexOf(q, hs.pos);
  if (idx < 0) {
    hs.emit(Html5Type.ATTR_VALUE, hs.pos, hs.len - hs.pos);
    hs.set(stateEof);
  } else {
    hs.emit(Html5Type.ATTR_VALUE, hs.pos, idx - hs.pos);
    hs.set(stateAfterAttributeValueQuoted);
    hs.pos += hs.tokenLen + 1;
  }
  return true;
}

function stateAttributeValueDoubleQuote(hs: Html5Tokenizer): boolean {
  return attributeValueQuote(hs, CH_DOUBLE);
}

function stateAttributeValueSingleQuote(hs: Html5Tokenizer): boolean {
  return attributeValueQuote(hs, CH_SINGLE);
}

function stateAttributeValueBackQuote(hs: Html5Tokenizer): boolean {
  return attributeValueQuote(hs, CH_TICK);
}

function stateAttributeValueNoQuote(hs: Html5Tokenizer): boolean {
  let pos = hs.pos;
  while (pos < hs.len) {
    const c = hs.at(pos);
    if (isWhite(c)) {
      hs.emit(Html5Type.ATTR_VALUE, hs.pos, pos - hs.pos);
      hs.pos = pos + 1;
      hs.set(stateBeforeAttributeName);
      return true;
    } else if (c === CH_GT) {
      hs.emit(Html5Type.ATTR_VALUE, hs.pos, pos - hs.pos);
      hs.pos = pos;
      hs.set(stateTagNameClose);
      return true;
    }
    pos += 1;
  }
  hs.set(stateEof);
  hs.emit(Html5Type.ATTR_VALUE, hs.pos, hs.len - hs.pos);
  return true;
}

function stateAfterAttributeValueQuoted(hs: Html5Tokenizer): boolean {
  if (hs.pos >= hs.len) return false;
  const c = hs.at(hs.pos);
  if (isWhite(c)) {
    hs.pos += 1;
    return stateBeforeAttributeName(hs);
  } else if (c === CH_SLASH) {
    hs.pos += 1;
    return stateSelfClosingStartTag(hs);
  } else if (c === CH_GT) {
    hs.emit(Html5Type.TAG_NAME_CLOSE, hs.pos, 1);
    hs.pos += 1;
    hs.set(stateData);
    return true;
  }
  return stateBeforeAttributeName(hs);
}

function stateSelfClosingStartTag(hs: Html5Tokenizer): boolean {
  if (hs.pos >= hs.len) return false;
  if (hs.at(hs.pos) === CH_GT) {
    if (hs.pos <= 0) return false;
    hs.emit(Html5Type.TAG_NAME_SELFCLOSE, hs.pos - 1, 2);
    hs.set(stateData);
    hs.pos += 1;
    return true;
  }
  return stateBeforeAttributeName(hs);
}

function stateBogusComment(hs: Html5Tokenizer): boolean {
  const idx = hs.indexOf(CH_GT, hs.pos);
  if (idx < 0) {
    hs.emit(Html5Type.TAG_COMMENT, hs.pos, hs.len - hs.pos);
    hs.pos = hs.len;
    hs.set(stateEof);
  } else {
    hs.emit(Html5Type.TAG_COMMENT, hs.pos, idx - hs.pos);
    hs.pos = idx + 1;
    hs.set(stateData);
  }
  return true;
}

/** "<% ... %>" */
function stateBogusComment2(hs: Html5Tokenizer): boolean {
  let pos = hs.pos;
  for (;;) {
    const idx = hs.indexOf(CH_PERCENT, pos);
    if (idx < 0 || idx + 1 >= hs.len) {
      hs.emit(Html5Type.TAG_COMMENT, hs.pos, hs.len - hs.pos);
      hs.pos = hs.len;
      hs.set(stateEof);
      return true;
    }
    if (hs.at(idx + 1) !== CH_GT) {
      pos = idx + 1;
      continue;
    }
    hs.emit(Html5Type.TAG_COMMENT, hs.pos, idx - hs.pos);
    hs.pos = idx + 2;
    hs.set(stateData);
    return true;
  }
}

function stateMarkupDeclarationOpen(hs: Html5Tokenizer): boolean {
  const remaining = hs.len - hs.pos;
  if (remaining >= 7 && asciiUpper(hs.s.substr(hs.pos, 7)) === 'DOCTYPE') {
    return stateDoctype(hs);
  } else if (remaining >= 7 && hs.s.substr(hs.pos, 7) === '[CDATA[') {
    hs.pos += 7;
    return stateCdata(hs);
  } else if (remaining >= 2 && hs.at(hs.pos) === CH_DASH && hs.at(hs.pos + 1) === CH_DASH) {
    hs.pos += 2;
    return stateComment(hs);
  }
  return stateBogusComment(hs);
}

/**
 * Comments end at EOF, "-->" or "-!>" (NULs between the dashes are skipped, as some
 * browsers do).
 */
function stateComment(hs: Html5Tokenizer): boolean {
  const end = hs.len;
  let pos = hs.pos;
  const toEof = (): boolean => {
    hs.set(stateEof);
    hs.emit(Html5Type.TAG_COMMENT, hs.pos, hs.len - hs.pos);
    return true;
  };
  for (;;) {
    const idx = hs.indexOf(CH_DASH, pos);
    // nothing found, or fewer than 3 bytes left
    if (idx < 0 || idx > hs.len - 3) return toEof();
    let offset = 1;
    while (idx + offset < end && hs.at(idx + offset) === 0) offset += 1;
    if (idx + offset === end) return toEof();
    let c = hs.at(idx + offset);
    if (c !== CH_DASH && c !== CH_BANG) {
      pos = idx + 1;
      continue;
    }
    offset += 1;
    if (idx + offset === end) return toEof();
    c = hs.at(idx + offset);
    if (c !== CH_GT) {
      pos = idx + 1;
      continue;
    }
    offset += 1;
    hs.emit(Html5Type.TAG_COMMENT, hs.pos, idx - hs.pos);
    hs.pos = idx + offset;
    hs.set(stateData);
    return true;
  }
}

function stateCdata(hs: Html5Tokenizer): boolean {
  let pos = hs.pos;
  for (;;) {
    const idx = hs.indexOf(CH_RIGHTB, pos);
    if (idx < 0 || idx > hs.len - 3) {
      hs.set(stateEof);
      hs.emit(Html5Type.DATA_TEXT, hs.pos, hs.len - hs.pos);
      return true;
    } else if (hs.at(idx + 1) === CH_RIGHTB && hs.at(idx + 2) === CH_GT) {
      hs.set(stateData);
      hs.emit(Html5Type.DATA_TEXT, hs.pos, idx - hs.pos);
      hs.pos = idx + 3;
      return true;
    }
    pos = idx + 1;
  }
}

function stateDoctype(hs: Html5Tokenizer): boolean {
  const start = hs.pos;
  const idx = hs.indexOf(CH_GT, hs.pos);
  if (idx < 0) {
    hs.set(stateEof);
    hs.emit(Html5Type.DOCTYPE, start, hs.len - hs.pos);
  } else {
    hs.set(stateData);
    hs.emit(Html5Type.DOCTYPE, start, idx - hs.pos);
    hs.pos = idx + 1;
  }
  return true;
}
